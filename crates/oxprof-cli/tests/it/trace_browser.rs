//! `oxprof trace FILE`'s page in headless Chromium, on the small trace of `trace_web` (three
//! threads with known timings): one lane per thread, zooming halves the visible range around
//! its middle, clicking a region and a wait shows their details (the wait's stack and who
//! released it), a shift-drag summarizes a range, the analyses draw their tables, and the
//! blocking profile opens in the analyzer's flame graph. Screenshots go to
//! `target/tmp/trace-ui/`.

use super::trace_web::{serve_small, MAIN, TICKER, WORKER};
use super::web_browser::Page;

/// How many views the page has drawn.
fn renders(page: &mut Page) -> u64 {
    let r = page.text("document.body.dataset.rendered || 'none:0'");
    r.rsplit(':').next().unwrap().parse().unwrap()
}

/// Runs `action` and waits until the page has drawn `view` again.
fn act(page: &mut Page, action: &str, view: &str) {
    let before = renders(page);
    page.eval(action);
    page.wait(
        &format!(
            "(() => {{ const [v, n] = (document.body.dataset.rendered || ':0').split(':'); return v === '{view}' && Number(n) > {before}; }})()"
        ),
        &format!("{view} after {action}"),
    );
}

/// A click at the middle of the drawn slice named `name` on lane `lane`.
fn click_slice(page: &mut Page, lane: u64, name: &str) {
    let found = page.eval(&format!(
        "(() => {{ const h = hits.find((h) => h.kind === 'slice' && h.lane === {lane} && h.name === '{name}');
           if (!h) return false;
           const c = document.getElementById('canvas'); const r = c.getBoundingClientRect();
           const at = {{bubbles: true, clientX: r.left + h.x + h.w / 2, clientY: r.top + h.y + h.h / 2}};
           c.dispatchEvent(new MouseEvent('mousedown', at));
           c.dispatchEvent(new MouseEvent('mouseup', at));
           return true; }})()"
    ));
    assert_eq!(found, true, "slice {name} drawn on lane {lane}");
}

fn details(page: &mut Page) -> String {
    page.text("document.getElementById('details').innerText")
}

#[test]
fn the_timeline_zooms_shows_details_and_the_analyses() {
    let server = serve_small();
    let Some(mut page) = Page::open(&server.url, "trace-ui") else {
        return;
    };
    page.wait(
        "(document.body.dataset.rendered || '').startsWith('timeline:')",
        "the timeline is drawn",
    );
    assert_eq!(page.error(), "");

    // One lane per thread, labelled with its name and id.
    let lanes = page.text(
        "[...document.querySelectorAll('.lane-label')].map((l) => l.dataset.tid + ' ' + l.textContent).join('; ')",
    );
    assert_eq!(
        lanes,
        format!("{MAIN} main {MAIN}; {WORKER} worker {WORKER}; {TICKER} ticker {TICKER}")
    );
    assert_eq!(page.text("document.body.dataset.range"), "0-100000");
    page.shot("1-timeline");

    // Zooming in halves the range around its middle, and the address keeps it.
    act(
        &mut page,
        "document.getElementById('zoom-in').click()",
        "timeline",
    );
    assert_eq!(page.text("document.body.dataset.range"), "25000-75000");
    assert_eq!(page.query(), "?from=25000&to=75000");
    // The keyboard zooms out again (by 1/0.7) around the middle.
    act(
        &mut page,
        "window.dispatchEvent(new KeyboardEvent('keydown', {key: 's'}))",
        "timeline",
    );
    assert_eq!(page.text("document.body.dataset.range"), "14286-85714");
    act(
        &mut page,
        "document.getElementById('zoom-reset').click()",
        "timeline",
    );
    // Into the worker's regions: 1500..10000.
    act(&mut page, "setRange(1500, 10000)", "timeline");
    page.shot("2-zoomed");

    // Clicking a region shows its details.
    click_slice(&mut page, 1, "outer");
    page.wait(
        "document.getElementById('details').dataset.shown === 'slice:outer'",
        "the details of outer",
    );
    let d = details(&mut page);
    for expected in [
        "Region: outer",
        "worker 12",
        "Duration\n7µs",
        "Start\n2µs",
        "1 request",
    ] {
        assert!(d.contains(expected), "{expected:?} in {d:?}");
    }
    page.shot("3-region-details");

    // The wait: its stack and who released it.
    click_slice(&mut page, 1, "sync");
    page.wait(
        "document.getElementById('details').dataset.shown === 'slice:sync'",
        "the details of the wait",
    );
    let d = details(&mut page);
    for expected in [
        "Wait: sync",
        "Duration\n900ns",
        "Released by\nmain 11 at 3µs",
        "Woken, waiting for a CPU\n500ns",
        "app::wait_here",
        "app::release",
        "inner < outer",
    ] {
        assert!(d.contains(expected), "{expected:?} in {d:?}");
    }
    page.shot("4-wait-details");

    // A shift-drag over 2000..3000 summarizes that range.
    act(
        &mut page,
        "(() => { const c = document.getElementById('canvas'); const r = c.getBoundingClientRect();
           const x = (t) => r.left + (t - from) / (to - from) * r.width;
           c.dispatchEvent(new MouseEvent('mousedown', {bubbles: true, shiftKey: true, clientX: x(2000), clientY: r.top + 30}));
           window.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: x(3000), clientY: r.top + 30}));
           window.dispatchEvent(new MouseEvent('mouseup', {bubbles: true, clientX: x(3000), clientY: r.top + 30})); })()",
        "summary",
    );
    let summary = page.text("document.getElementById('summary').innerText");
    assert!(summary.contains("worker 12"), "{summary}");
    assert!(summary.contains("outer"), "{summary}");
    page.shot("5-range-summary");

    // The analyses.
    act(
        &mut page,
        "document.querySelector(\"#views button[data-view='threads']\").click()",
        "threads",
    );
    assert_eq!(page.count("#threads-table tbody tr:not(.sub)"), 3);
    page.shot("6-threads");
    act(
        &mut page,
        "document.querySelector(\"#views button[data-view='latency']\").click()",
        "latency",
    );
    let tick = page.text(
        "[...document.querySelectorAll('#latency-table tbody tr')].find((r) => r.textContent.startsWith('region tick')).innerText",
    );
    assert!(
        tick.starts_with("region tick\t3\t200ns\t400ns\t400ns\t400ns"),
        "{tick:?}"
    );
    page.shot("7-latency");
    act(
        &mut page,
        "document.querySelector(\"#views button[data-view='blocking']\").click()",
        "blocking",
    );
    page.shot("8-blocking");
    // The back button goes through the views.
    act(&mut page, "history.back()", "latency");

    // The blocking profile of every wait opens in the analyzer.
    act(
        &mut page,
        "document.querySelector(\"#views button[data-view='blocking']\").click()",
        "blocking",
    );
    page.eval("document.querySelector('#blocking-table a.open-profile').click()");
    page.wait(
        "location.pathname === '/profile/wait/all/' && document.body && (document.body.dataset.rendered || '').startsWith('flame:')",
        "the analyzer's flame graph of the waits",
    );
    assert!(page.count(".frame[data-name='app::wait_here']") >= 1);
    page.shot("9-blocking-profile");
}
