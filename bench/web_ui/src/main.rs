//! Loads a flame graph page in headless Chromium and prints, on one line: milliseconds from
//! navigation start until the flame graph is drawn, bytes transferred (compressed) and decoded
//! for the page and everything it fetched, the server's peak resident memory (VmHWM) in MB, and
//! how many frames the page drew.
//!
//! ```text
//! web_ui_bench oxprof|pprof URL SERVER_PID
//! ```
//!
//! "Drawn" is, for oxprof, the `oxprof-rendered` performance mark its page sets once the flame
//! graph is in the page; for `go tool pprof`, the end of the page's load event with the
//! d3-flame-graph SVG's frames in the page (its script draws them while the page loads).

use std::time::Duration;

const WAIT: Duration = Duration::from_secs(900);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tool, url, pid] = &args[..] else {
        eprintln!("usage: web_ui_bench oxprof|pprof URL SERVER_PID");
        std::process::exit(2);
    };
    let Some(mut browser) = oxprof_testutil::chromium::launch(1400, 900) else {
        eprintln!("web_ui_bench: chromium is not installed (apt-get install chromium)");
        std::process::exit(2);
    };
    browser.set_timeout(WAIT).expect("set the timeout");
    browser.navigate(url).expect("load the page");
    let (drawn, frames) = match tool.as_str() {
        "oxprof" => (
            "performance.getEntriesByName('oxprof-rendered').length > 0 && document.body.dataset.rendered.startsWith('flame')",
            "document.querySelectorAll('.frame').length",
        ),
        "pprof" => (
            "document.readyState === 'complete' && document.querySelectorAll('#chart svg g').length > 0",
            "document.querySelectorAll('#chart svg g').length",
        ),
        other => panic!("unknown tool {other}"),
    };
    browser
        .wait_for(drawn, WAIT)
        .expect("the flame graph is drawn");
    let elapsed = match tool.as_str() {
        "oxprof" => "performance.getEntriesByName('oxprof-rendered')[0].startTime",
        _ => "performance.getEntriesByType('navigation')[0].loadEventEnd",
    };
    let ms = browser.eval(elapsed).expect("timing").as_f64().unwrap();
    let weight = browser
        .eval(
            "(() => { const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
               return [all.reduce((s, e) => s + e.transferSize, 0), all.reduce((s, e) => s + e.decodedBodySize, 0)]; })()",
        )
        .expect("page weight");
    let frames = browser.eval(frames).expect("frames").as_u64().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server status");
    let hwm_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM");
    println!(
        "{ms:.0} {} {} {:.0} {frames}",
        weight[0],
        weight[1],
        hwm_kb / 1024.0
    );
}
