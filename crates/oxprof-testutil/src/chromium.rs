//! Headless Chromium driven over the Chrome DevTools Protocol, for tests (and benchmarks) of
//! oxprof's web UI: load a page, run script in it, wait for what it shows, take screenshots.
//!
//! Chromium is Debian's `chromium` (or `$CHROMIUM`). It is started with its own empty profile
//! and without background networking, answers on a WebSocket whose address it prints, and is
//! killed when the [`Chromium`] is dropped. One page (tab) is attached with a flat session.

use std::{
    io::{self, BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine as _;
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// A running headless Chromium with one page attached.
///
/// ```no_run
/// let mut browser = oxprof_testutil::chromium::launch(800, 600).expect("chromium");
/// browser.navigate("data:text/html,<title>t</title>").unwrap();
/// assert_eq!(browser.eval("document.title").unwrap(), "t");
/// ```
pub struct Chromium {
    child: Child,
    socket: WebSocket<Patient>,
    session: String,
    next_id: u64,
    profile_dir: PathBuf,
}

/// The DevTools connection, retrying reads and writes a signal interrupted: tests that run a
/// profiler in the same process get `SIGPROF` at any time, and the WebSocket library gives up
/// on `EINTR`.
struct Patient(TcpStream);

impl Read for Patient {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.0.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
}

impl Write for Patient {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.0.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// The Chromium command: `$CHROMIUM`, else `chromium`.
fn program() -> String {
    std::env::var("CHROMIUM")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "chromium".into())
}

/// A headless Chromium with a `width`×`height` window, or `None` (after printing why) when it
/// is not installed outside CI. Panics when it is missing and `CI` is set, or fails to start.
///
/// ```no_run
/// if let Some(mut browser) = oxprof_testutil::chromium::launch(1200, 800) {
///     browser.navigate("data:text/html,<p>hi</p>").unwrap();
///     assert_eq!(browser.eval("document.body.textContent").unwrap(), "hi");
/// }
/// ```
pub fn launch(width: u32, height: u32) -> Option<Chromium> {
    let found = Command::new(program())
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed but CI is set: .ci/run must install chromium"
        );
        eprintln!("note: chromium is not installed; skipping a browser test");
        return None;
    }
    // A loaded machine sometimes gets a Chromium that dies before printing its DevTools address
    // or before opening its first page: a fresh one usually starts fine.
    let mut last_error = None;
    for _ in 0..3 {
        match Chromium::start(width, height) {
            Ok(browser) => return Some(browser),
            Err(e) => {
                eprintln!("note: chromium did not start ({e}); trying again");
                last_error = Some(e);
            }
        }
    }
    panic!("start chromium: {}", last_error.expect("three attempts"))
}

impl Chromium {
    fn start(width: u32, height: u32) -> io::Result<Chromium> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let profile_dir =
            std::env::temp_dir().join(format!("oxprof-chromium-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile_dir);
        std::fs::create_dir_all(&profile_dir)?;
        let mut child = Command::new(program())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", profile_dir.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        // Chromium keeps writing to stderr: read it to the end so it never blocks.
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("ws://").filter(|_| !sent) {
                    sent = tx.send(line[at..].trim().to_string()).is_ok();
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other(
                    "chromium printed no DevTools address in 30 s",
                ));
            }
        };
        let host = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let connected = TcpStream::connect(&host)
            .and_then(|stream| {
                stream.set_read_timeout(Some(Duration::from_secs(120)))?;
                Ok(stream)
            })
            .and_then(|stream| {
                tungstenite::client(url.as_str(), Patient(stream))
                    .map_err(|e| io::Error::other(format!("DevTools handshake: {e}")))
            });
        let socket = match connected {
            Ok((socket, _)) => socket,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let mut browser = Chromium {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            profile_dir,
        };
        let page = browser.first_page()?;
        let attached = browser.call_browser(
            "Target.attachToTarget",
            json!({"targetId": page, "flatten": true}),
        )?;
        browser.session = attached["sessionId"]
            .as_str()
            .ok_or_else(|| io::Error::other("no session id"))?
            .to_string();
        Ok(browser)
    }

    /// The target id of the first page, waiting up to 30 s for Chromium to open it: the DevTools
    /// address is printed before `about:blank` exists.
    fn first_page(&mut self) -> io::Result<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let targets = self.call_browser("Target.getTargets", json!({}))?;
            let page = targets["targetInfos"]
                .as_array()
                .and_then(|list| list.iter().find(|t| t["type"] == "page"))
                .and_then(|t| t["targetId"].as_str())
                .map(str::to_string);
            match page {
                Some(page) => return Ok(page),
                None if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                None => return Err(io::Error::other("chromium opened no page in 30 s")),
            }
        }
    }

    fn send(&mut self, method: &str, params: Value, session: bool) -> io::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if session {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .map_err(io::Error::other)?;
        loop {
            let reply = match self.socket.read().map_err(io::Error::other)? {
                Message::Text(text) => text,
                _ => continue,
            };
            let reply: Value = serde_json::from_str(&reply).map_err(io::Error::other)?;
            if reply["id"] != json!(id) {
                continue; // an event
            }
            if let Some(error) = reply.get("error") {
                return Err(io::Error::other(format!("{method}: {error}")));
            }
            return Ok(reply["result"].clone());
        }
    }

    fn call_browser(&mut self, method: &str, params: Value) -> io::Result<Value> {
        self.send(method, params, false)
    }

    /// Calls a DevTools method on the page and returns its result.
    ///
    /// ```no_run
    /// let mut browser = oxprof_testutil::chromium::launch(800, 600).expect("chromium");
    /// let layout = browser.call("Page.getLayoutMetrics", serde_json::json!({})).unwrap();
    /// assert!(layout["cssVisualViewport"]["clientWidth"].as_f64().unwrap() > 0.0);
    /// ```
    pub fn call(&mut self, method: &str, params: Value) -> io::Result<Value> {
        self.send(method, params, true)
    }

    /// How long a DevTools call may take (two minutes unless set): a page whose server takes
    /// longer to answer needs more.
    ///
    /// ```no_run
    /// let mut browser = oxprof_testutil::chromium::launch(800, 600).expect("chromium");
    /// browser.set_timeout(std::time::Duration::from_secs(900)).unwrap();
    /// ```
    pub fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.socket.get_ref().0.set_read_timeout(Some(timeout))
    }

    /// Loads `url` in the page and waits for its `load` event.
    ///
    /// ```no_run
    /// let mut browser = oxprof_testutil::chromium::launch(800, 600).expect("chromium");
    /// browser.navigate("data:text/html,<p>hi</p>").unwrap();
    /// ```
    pub fn navigate(&mut self, url: &str) -> io::Result<()> {
        let result = self.call("Page.navigate", json!({ "url": url }))?;
        if let Some(error) = result.get("errorText") {
            return Err(io::Error::other(format!("navigate to {url}: {error}")));
        }
        self.wait_for(
            "document.readyState === 'complete'",
            Duration::from_secs(60),
        )
        .map(|_| ())
    }

    /// The value of a script expression in the page (promises awaited), as JSON.
    ///
    /// ```no_run
    /// let mut browser = oxprof_testutil::chromium::launch(800, 600).expect("chromium");
    /// assert_eq!(browser.eval("Promise.resolve(1 + 2)").unwrap(), 3);
    /// ```
    pub fn eval(&mut self, expression: &str) -> io::Result<Value> {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(e) = result.get("exceptionDetails") {
            let text = e["exception"]["description"]
                .as_str()
                .or(e["text"].as_str())
                .unwrap_or("exception");
            return Err(io::Error::other(format!("{expression}: {text}")));
        }
        Ok(result["result"]["value"].clone())
    }

    /// Evaluates `expression` every 10 ms until it is truthy, and returns that value.
    ///
    /// ```no_run
    /// let mut browser = oxprof_testutil::chromium::launch(800, 600).expect("chromium");
    /// browser.eval("setTimeout(() => document.title = 'ready', 50)").unwrap();
    /// let title = browser.wait_for("document.title", std::time::Duration::from_secs(5)).unwrap();
    /// assert_eq!(title, "ready");
    /// ```
    pub fn wait_for(&mut self, expression: &str, timeout: Duration) -> io::Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(expression)?;
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return Ok(value);
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{expression} still false after {timeout:?}"),
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Saves a PNG screenshot of the page's window to `path`, creating its directory.
    ///
    /// ```no_run
    /// let mut browser = oxprof_testutil::chromium::launch(800, 600).expect("chromium");
    /// browser.screenshot(&std::env::temp_dir().join("page.png")).unwrap();
    /// ```
    pub fn screenshot(&mut self, path: &Path) -> io::Result<()> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}))?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .map_err(io::Error::other)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, data)
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.socket.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}
