//! The store's page of `oxprof serve` in headless Chromium: the service and type menus fill in
//! from what was pushed, the timeline draws the totals, the analyzer below shows the hour
//! merged, a drag on the timeline narrows it to a range, and comparing range A with range B
//! shows a diff flame graph coloured by growth and shrinkage. Screenshots go to
//! `target/tmp/store-ui/`.

use super::serve::{cpu_profile, push_body, PROTO};
use super::serve_process::Serve;
use super::web_browser::Page;

const MINUTE_NS: i64 = 60_000_000_000;

/// Pushes one CPU profile of `frames` worth `value`, dated `minutes_ago`.
fn push(serve: &Serve, service: &str, frames: &[&str], value: i64, minutes_ago: i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let body = push_body(
        &[("__name__", "process_cpu"), ("service_name", service)],
        &[cpu_profile(frames, value, now - minutes_ago * MINUTE_NS)],
    );
    let (status, answer) = serve.post(oxprof_push::PUSH_PATH, &[PROTO], &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
}

/// Frames named `name` in the analyzer's flame graph, inside the page's frame.
fn frames_named(page: &mut Page, name: &str) -> u64 {
    page.eval(&format!(
        "document.getElementById('analyzer').contentDocument.querySelectorAll(\".frame[data-name='{name}']\").length"
    ))
    .as_u64()
    .unwrap()
}

/// Marks the analyzer's current document, runs `action`, and waits until a new document has
/// drawn its flame graph.
fn reload_analyzer(page: &mut Page, action: &str) {
    page.eval("document.getElementById('analyzer').contentDocument.body.dataset.old = '1'");
    page.eval(action);
    page.wait(
        "(() => { const d = document.getElementById('analyzer').contentDocument; \
           return d && d.body && !d.body.dataset.old && (d.body.dataset.rendered || '').startsWith('flame:'); })()",
        &format!("the analyzer after {action}"),
    );
}

/// A drag on the timeline from `from` to `until` minutes ago.
fn drag(from: i64, until: i64) -> String {
    format!(
        "(() => {{ const c = document.getElementById('chart'); const b = c.getBoundingClientRect();
           const at = (ago) => b.left + b.width * (1 - ago / 60);
           c.dispatchEvent(new MouseEvent('mousedown', {{bubbles: true, clientX: at({from}), clientY: b.top + 20}}));
           window.dispatchEvent(new MouseEvent('mouseup', {{bubbles: true, clientX: at({until}), clientY: b.top + 20}})); }})()"
    )
}

#[test]
fn the_store_page_narrows_a_range_and_compares_two() {
    let store = super::scratch("store-ui").join("store");
    let serve = Serve::start(&store, "127.0.0.1:0");
    // Forty minutes ago old_hot led and gone ran; ten minutes ago new_hot leads.
    for minutes_ago in [42, 40, 38] {
        push(&serve, "shop", &["old_hot", "main"], 100, minutes_ago);
        push(&serve, "shop", &["new_hot", "main"], 50, minutes_ago);
        push(&serve, "shop", &["gone", "main"], 40, minutes_ago);
    }
    for minutes_ago in [12, 10, 8] {
        push(&serve, "shop", &["new_hot", "main"], 300, minutes_ago);
        push(&serve, "shop", &["old_hot", "main"], 20, minutes_ago);
    }
    push(&serve, "cart", &["cart_work", "main"], 50, 5);
    let Some(mut page) = Page::open(&serve.url("/"), "store-ui") else {
        return;
    };
    page.wait(
        "(() => { const d = document.getElementById('analyzer').contentDocument; \
           return d && d.body && (d.body.dataset.rendered || '').startsWith('flame:'); })()",
        "the analyzer's first flame graph",
    );

    // The menus: both services, the first listed chosen until another is.
    let services =
        page.text("[...document.getElementById('service').options].map((o) => o.value).join(',')");
    assert_eq!(services, "cart,shop");
    reload_analyzer(
        &mut page,
        "const s = document.getElementById('service'); s.value = 'shop'; s.dispatchEvent(new Event('change'))",
    );
    page.wait(
        "new URLSearchParams(location.search).get('service') === 'shop' && \
         document.querySelectorAll('#chart rect.bar').length >= 2",
        "the shop service's timeline",
    );
    let ty = page.text("document.getElementById('type').value");
    assert!(ty.starts_with("process_cpu:cpu:nanoseconds"), "{ty}");
    reload_analyzer(&mut page, "document.getElementById('show').click()");
    // The hour merged: every stack; none of the other service's.
    for name in ["old_hot", "new_hot", "gone"] {
        assert_eq!(frames_named(&mut page, name), 1, "{name}");
    }
    assert_eq!(frames_named(&mut page, "cart_work"), 0);
    page.shot("1-hour");

    // A drag over the last 20 minutes narrows the analyzer to it, and the address keeps it.
    reload_analyzer(&mut page, &drag(20, 0));
    assert_eq!(frames_named(&mut page, "gone"), 0);
    assert_eq!(frames_named(&mut page, "new_hot"), 1);
    assert!(page.query().contains("from="), "{}", page.query());
    assert_eq!(page.count("#chart rect.rangeA"), 1);
    page.shot("2-range");

    // Compare: A stays the recent range, the next drag picks B over the older one; the flame
    // graph is then a diff, new_hot coloured as growth (red) and old_hot as shrinkage (blue).
    reload_analyzer(
        &mut page,
        "const c = document.getElementById('compare'); c.checked = true; c.dispatchEvent(new Event('change'))",
    );
    let status = page.text("document.getElementById('status').textContent");
    assert!(
        status.ends_with("drag on the timeline to pick range B"),
        "{status}"
    );
    reload_analyzer(&mut page, &drag(50, 30));
    assert_eq!(page.count("#chart rect.rangeA"), 1);
    assert_eq!(page.count("#chart rect.rangeB"), 1);
    let status = page.text("document.getElementById('status').textContent");
    assert!(
        status.starts_with("Showing A (new) against B (base)"),
        "{status}"
    );
    // The command it offers opens the same comparison.
    assert!(
        status.contains("oxprof -http=: -diff_base 'http://"),
        "{status}"
    );
    let colour = |page: &mut Page, name: &str| {
        page.text(&format!(
            "getComputedStyle(document.getElementById('analyzer').contentDocument.querySelector(\".frame[data-name='{name}']\")).backgroundColor"
        ))
    };
    let (grew, shrank) = (colour(&mut page, "new_hot"), colour(&mut page, "old_hot"));
    assert!(grew.starts_with("rgb(255, "), "new_hot is {grew}");
    assert!(shrank.ends_with(", 255)"), "old_hot is {shrank}");
    page.shot("3-compare");
}
