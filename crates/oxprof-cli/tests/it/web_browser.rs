//! The web UI in headless Chromium, as a person uses it: the page loads on a real Go CPU
//! profile, every view is switched to and shows what it should, a function is chosen in the
//! flame graph and focused on, the sample type changes, the back and forward buttons go through
//! those states, a tag filter applies on a heap profile, and a saved configuration comes back.
//! Each step's screenshot is kept under `target/tmp/web-ui/`.

use std::{path::PathBuf, time::Duration};

use oxprof_testutil::chromium::{self, Chromium};
use serde_json::Value;

use crate::{testdata, web::Server};

const WAIT: Duration = Duration::from_secs(60);

/// Drives one page (also the store's page, in `serve_browser`).
pub(crate) struct Page {
    browser: Chromium,
    shots: PathBuf,
    /// Driving a browser keeps this process busy now and then: the tests that profile this
    /// process wait until the page is done.
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl Page {
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        self.browser
            .eval(expression)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn text(&mut self, expression: &str) -> String {
        match self.eval(expression) {
            Value::String(s) => s,
            other => panic!("{expression} gave {other}"),
        }
    }

    /// How many views the page has drawn.
    fn renders(&mut self) -> u64 {
        let r = self.text("document.body.dataset.rendered || 'none:0'");
        r.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Runs `action` (script) and waits until the page has drawn `view` again.
    fn act(&mut self, action: &str, view: &str) {
        let before = self.renders();
        self.eval(action);
        let done = format!(
            "(() => {{ const [v, n] = (document.body.dataset.rendered || ':0').split(':'); return v === '{view}' && Number(n) > {before}; }})()"
        );
        self.browser
            .wait_for(&done, WAIT)
            .unwrap_or_else(|e| panic!("after {action}: {e}; error bar: {}", self.error()));
    }

    fn click(&mut self, selector: &str, view: &str) {
        let selector_js = serde_json::to_string(selector).unwrap();
        self.act(
            &format!("document.querySelector({selector_js}).click()"),
            view,
        );
    }

    pub(crate) fn error(&mut self) -> String {
        self.text("document.getElementById('error').textContent")
    }

    pub(crate) fn count(&mut self, selector: &str) -> u64 {
        let selector_js = serde_json::to_string(selector).unwrap();
        self.eval(&format!("document.querySelectorAll({selector_js}).length"))
            .as_u64()
            .unwrap()
    }

    pub(crate) fn query(&mut self) -> String {
        self.text("decodeURIComponent(location.search)")
    }

    /// The tooltip the flame graph shows over the frame `selector` picks.
    fn tooltip(&mut self, selector: &str) -> String {
        let selector_js = serde_json::to_string(selector).unwrap();
        self.text(&format!(
            "(() => {{ const f = document.querySelector({selector_js}); const r = f.getBoundingClientRect();
               f.dispatchEvent(new MouseEvent('mousemove', {{bubbles: true, clientX: r.left + 2, clientY: r.top + 2}}));
               return document.getElementById('tooltip').textContent; }})()"
        ))
    }

    pub(crate) fn shot(&mut self, name: &str) {
        let path = self.shots.join(format!("{name}.png"));
        self.browser.screenshot(&path).expect("screenshot");
    }

    /// Opens `url` in a fresh headless Chromium, its screenshots kept under
    /// `target/tmp/<shots>/`; `None` where Chromium is missing outside CI.
    pub(crate) fn open(url: &str, shots: &str) -> Option<Page> {
        let serial = crate::runtime::serial();
        let mut browser = chromium::launch(1400, 900)?;
        browser.navigate(url).expect("load the page");
        Some(Page {
            browser,
            shots: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(shots),
            _serial: serial,
        })
    }

    /// Waits until `expression` is truthy, naming `what` if it never is.
    pub(crate) fn wait(&mut self, expression: &str, what: &str) -> Value {
        self.browser
            .wait_for(expression, WAIT)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }
}

fn open(server: &Server) -> Option<Page> {
    let mut page = Page::open(&server.url, "web-ui")?;
    page.browser
        .wait_for("document.body.dataset.rendered", WAIT)
        .expect("the first view is drawn");
    // The menus fill in when the profile's description arrives, beside the first view.
    page.browser
        .wait_for(
            "document.querySelectorAll('#sample-items button').length",
            WAIT,
        )
        .expect("the menus are filled in");
    Some(page)
}

#[test]
fn a_cpu_profile_through_every_view_and_back() {
    let server = Server::start(&[&testdata("go/cpu.pprof")]);
    let Some(mut page) = open(&server) else {
        return;
    };

    // The flame graph is the first view, its frames named by function.
    assert!(page
        .text("document.body.dataset.rendered")
        .starts_with("flame:"));
    assert_eq!(page.error(), "");
    assert!(page.count(".frame[data-name='main.hot']") >= 1);
    assert!(page.count(".frame[data-name='main.mapHeavy']") == 1);
    assert_eq!(
        page.tooltip(".frame[data-index='0']"),
        "root\n5.74s (100.00% of total), self 0ns"
    );
    assert!(page
        .text("document.getElementById('legend-title').textContent")
        .contains("File: cpuhot"));
    page.shot("1-flame");

    // Top: a table led by main.hot.
    page.click("#views button[data-view='top']", "top");
    assert_eq!(page.query(), "?view=top");
    assert_eq!(
        page.text("document.querySelector('#top-table tbody tr').textContent"),
        "2.28s39.72%39.72%2.30s40.07%main.hot"
    );
    // Choosing a row selects its function for the next views.
    page.eval("document.querySelector(\"#top-table tr[data-name='main.mapHeavy']\").click()");
    assert_eq!(
        page.text("document.getElementById('selection').textContent"),
        "selected: main.mapHeavy"
    );
    page.shot("2-top");

    // Graph: the call graph as SVG, nodes named by function.
    page.click("#views button[data-view='graph']", "graph");
    assert!(page.count("#content svg g.node[data-name='main.hot']") == 1);
    assert!(page.count("#content svg g.edge") > 10);
    page.shot("3-graph");

    // Peek, Source and Disassembly show the selected function.
    page.click("#views button[data-view='peek']", "peek");
    assert_eq!(page.query(), "?view=peek&re=^(?:main\\.mapHeavy)$");
    let peek = page.text("document.getElementById('peek-text').textContent");
    assert!(peek.contains("| main.mapHeavy\n"), "{peek}");
    page.shot("4-peek");
    page.click("#views button[data-view='source']", "source");
    let routine = page.text("document.querySelector('h3.routine').textContent");
    assert!(
        routine.starts_with("main.mapHeavy in cpuhot/main.go"),
        "{routine}"
    );
    assert!(page.count("table.source tr.line") >= 2);
    page.shot("5-source");
    page.click("#views button[data-view='disasm']", "disasm");
    // Disassembly names functions with their addresses, so the regexp allows for them.
    assert_eq!(
        page.query(),
        "?view=disasm&re=(?:^|\\s)(?:main\\.mapHeavy)(?:\\s|$)"
    );
    // The profile's binary is not on this machine: the page says so.
    let error = page.error();
    assert!(
        error.starts_with("no object file found for mapping /tmp/anc/bin/cpuhot"),
        "{error}"
    );
    page.shot("6-disasm");

    // Back to the flame graph; a click on a frame selects it and zooms into it.
    page.click("#views button[data-view='flame']", "flame");
    assert_eq!(page.error(), "");
    page.click(".frame[data-name='main.mapHeavy']", "flame");
    let zoomed_width = page.eval(
        "document.querySelector(\".frame[data-name='main.mapHeavy']\").getBoundingClientRect().width \
         / document.querySelector('.flame').getBoundingClientRect().width",
    );
    assert!(zoomed_width.as_f64().unwrap() > 0.95, "{zoomed_width}");
    page.shot("7-flame-zoomed");
    // Refine → Focus keeps only the samples through it.
    page.click("[data-refine='focus']", "flame");
    assert_eq!(page.query(), "?focus=^(?:main\\.mapHeavy)$");
    assert_eq!(page.count("#filters .chip[data-filter='focus']"), 1);
    assert_eq!(page.count(".frame[data-name='main.hot']"), 0);
    assert_eq!(
        page.tooltip(".frame[data-index='0']"),
        "root\n3.11s (54.18% of total), self 0ns"
    );
    page.shot("8-focused");

    // Sample → samples: counts instead of time.
    page.click("#sample-items button[data-sample='samples']", "flame");
    assert_eq!(
        page.query(),
        "?focus=^(?:main\\.mapHeavy)$&sample_index=samples"
    );
    assert_eq!(
        page.tooltip(".frame[data-index='0']"),
        "root\n311 (54.18% of total), self 0"
    );
    page.shot("9-samples");

    // Back: time again; back: no focus; forward: the focus again.
    page.act("history.back()", "flame");
    assert_eq!(page.query(), "?focus=^(?:main\\.mapHeavy)$");
    assert!(page
        .tooltip(".frame[data-index='0']")
        .starts_with("root\n3.11s"));
    page.act("history.back()", "flame");
    assert_eq!(page.query(), "");
    assert!(page.count(".frame[data-name='main.hot']") >= 1);
    page.act("history.back()", "disasm");
    assert_eq!(
        page.query(),
        "?view=disasm&re=(?:^|\\s)(?:main\\.mapHeavy)(?:\\s|$)"
    );
    page.act("history.forward()", "flame");
    page.act("history.forward()", "flame");
    assert_eq!(page.query(), "?focus=^(?:main\\.mapHeavy)$");
    assert_eq!(page.count(".frame[data-name='main.hot']"), 0);

    // Search highlights the matching frames and says what share they cover.
    page.eval("const s = document.getElementById('search'); s.value = 'evacuate'; s.dispatchEvent(new Event('input'));");
    assert!(page.count(".frame.match") >= 1);
    let matched = page.text("document.getElementById('match').textContent");
    assert!(matched.starts_with("Matched: 14.29% (820ms)"), "{matched}");
    page.shot("10-search");

    // Refine → Reset removes the filters.
    page.eval("document.getElementById('search').value = ''");
    page.click("[data-refine='reset']", "flame");
    assert_eq!(page.query(), "");
    assert_eq!(page.count("#filters .chip"), 0);

    // A configuration saved here comes back from the Config menu.
    page.click("#sample-items button[data-sample='samples']", "flame");
    page.eval("document.getElementById('config-name').value = 'counts'; document.getElementById('config-save').click()");
    page.browser
        .wait_for(
            "document.querySelector(\"#config-list button[data-config='counts']\")",
            WAIT,
        )
        .expect("the saved configuration is listed");
    page.act(
        "history.pushState(null, '', '/?view=top'); dispatchEvent(new PopStateEvent('popstate'))",
        "top",
    );
    page.click("#config-list button[data-config='counts']", "flame");
    assert_eq!(page.query(), "?sample_index=samples");
}

#[test]
fn a_tag_filter_on_a_heap_profile() {
    let server = Server::start(&[&testdata("go/heap.pprof")]);
    let Some(mut page) = open(&server) else {
        return;
    };
    assert!(page
        .tooltip(".frame[data-index='0']")
        .starts_with("root\n13.46MB"));
    page.eval("document.getElementById('tags-menu').open = true");
    assert_eq!(
        page.text("document.querySelector('#tag-values .tagkey').textContent"),
        "bytes"
    );
    page.shot("11-tags-menu");
    page.click("#tag-values button[data-tagfocus='bytes=64kB']", "flame");
    assert_eq!(page.query(), "?tagfocus=bytes=64kB");
    assert_eq!(
        page.text("document.getElementById('notes').textContent"),
        "tagfocus:Interpreted '64kB' as range, not regexp"
    );
    assert!(page
        .tooltip(".frame[data-index='0']")
        .starts_with("root\n10.64MB (79.04% of total)"));
    page.shot("12-tagfocus");
    // Typed into the menu, a tag filter applies as well.
    page.eval("document.getElementById('tagfocus-input').value = ''; document.getElementById('tagignore-input').value = 'bytes=64kB'");
    page.click("#tags-apply", "flame");
    assert_eq!(page.query(), "?tagignore=bytes=64kB");
    assert!(page
        .tooltip(".frame[data-index='0']")
        .starts_with("root\n2.82MB (20.96% of total)"));
    page.act("history.back()", "flame");
    assert_eq!(page.query(), "?tagfocus=bytes=64kB");
}
