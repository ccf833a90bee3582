//! A running `oxprof serve` for tests: started on a store directory, asked over HTTP, killed
//! at once as a crash would. Shared by the CLI's tests and the continuous agent's end-to-end
//! test.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `oxprof serve`, killed when dropped.
pub struct Serve {
    child: Child,
    /// `host:port` it serves on.
    pub addr: String,
}

impl Serve {
    /// Starts `oxprof serve --store store --listen listen` and waits until it serves.
    pub fn start(store: &Path, listen: &str) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oxprof"))
            .args([
                "serve",
                "--store",
                store.to_str().unwrap(),
                "--listen",
                listen,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start oxprof serve");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = line
            .split("serving on http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("oxprof serve said {line:?}"))
            .to_owned();
        // Later lines (retention errors) must not fill the pipe and stall the server.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Serve { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Kills the server at once, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// GETs `path`: status and body.
    pub fn get(&self, path: &str) -> (u16, Vec<u8>) {
        answer(client().get(&self.url(path)).call())
    }

    /// POSTs `body` to `path` with these headers: status and body.
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
        let mut request = client().post(&self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send(body))
    }

    /// How many profiles the store holds.
    pub fn profiles(&self) -> u64 {
        let (status, body) = self.get("/api/stats");
        assert_eq!(status, 200);
        let stats: serde_json::Value = serde_json::from_slice(&body).unwrap();
        stats["profiles"].as_u64().unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Vec<u8>) {
    let mut response = response.expect("the server answers");
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .unwrap();
    (status, body)
}
