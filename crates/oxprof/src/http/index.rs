//! The index page, `/debug/pprof/`: every profile with its count and a link to its text form,
//! the endpoints beside them, and what each holds, laid out as `net/http/pprof`'s page.

use std::fmt::Write;

use super::query::escape_path;
use crate::profiles;

/// The endpoints that are not named profiles, with the descriptions Go gives them.
const OTHERS: [(&str, &str); 4] = [
    (
        "cmdline",
        "The command line invocation of the current program",
    ),
    (
        "profile",
        "CPU profile. You can specify the duration in the seconds GET parameter. After you get \
         the profile file, use the go tool pprof command to investigate the profile.",
    ),
    (
        "symbol",
        "Maps given program counters to function names. Counters can be specified in a GET raw \
         query or POST body, multiple counters are separated by '+'.",
    ),
    (
        "trace",
        "A trace of execution of the current program. You can specify the duration in the \
         seconds GET parameter. After you get the trace file, use the oxprof trace command to \
         investigate the trace. Programs built without oxprof's trace feature answer 501.",
    ),
];

/// One row of the page.
struct Entry {
    name: String,
    count: usize,
    description: &'static str,
}

/// The entries: every named profile with its count now, and the other endpoints (count 0),
/// sorted by name.
fn entries() -> Vec<Entry> {
    let mut entries: Vec<Entry> = profiles::all()
        .iter()
        .map(|p| Entry {
            name: p.name().to_owned(),
            count: p.count(),
            description: p.description(),
        })
        .chain(OTHERS.iter().map(|&(name, description)| Entry {
            name: name.to_owned(),
            count: 0,
            description,
        }))
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

/// The page, titled with the path it is served at (`/debug/pprof/` unless mounted elsewhere).
/// Links are relative, so they work under any mount point: at `/debug/pprof/` they are
/// `heap?debug=1`, at `/debug/pprof` (no slash, where `heap?debug=1` would mean
/// `/debug/heap`) they are `pprof/heap?debug=1`.
pub(super) fn page(path: &str) -> String {
    let base = match path.rsplit_once('/') {
        Some((_, last)) if !last.is_empty() => format!("{}/", escape_html(last)),
        _ => String::new(),
    };
    let path = escape_html(path);
    let mut html = format!(
        "<html>\n<head>\n<title>{path}</title>\n<style>\n.profile-name{{\n\tdisplay:inline-block;\n\
         \twidth:6rem;\n}}\n</style>\n</head>\n<body>\n{path}\n<br>\n<p>Set debug=1 as a query \
         parameter to export in legacy text format</p>\n<br>\nTypes of profiles available:\n\
         <table>\n<thead><td>Count</td><td>Profile</td></thead>\n"
    );
    let entries = entries();
    for e in &entries {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td><a href='{base}{}?debug=1'>{}</a></td></tr>",
            e.count,
            escape_path(&e.name),
            escape_html(&e.name)
        );
    }
    let _ = write!(
        html,
        "</table>\n<a href=\"{base}goroutine?debug=2\">full goroutine stack dump</a>\n<br>\n\
         <p>\nProfile Descriptions:\n<ul>\n"
    );
    for e in &entries {
        let _ = writeln!(
            html,
            "<li><div class=profile-name>{}: </div> {}</li>",
            escape_html(&e.name),
            escape_html(e.description)
        );
    }
    html.push_str("</ul>\n</p>\n</body>\n</html>");
    html
}

/// Escapes text for HTML, as Go's `html.EscapeString`.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_and_endpoint_is_listed_in_order_with_links() {
        let html = page("/debug/pprof/");
        assert!(html.starts_with("<html>\n<head>\n<title>/debug/pprof/</title>"));
        let rows: Vec<&str> = html.lines().filter(|l| l.starts_with("<tr>")).collect();
        let names: Vec<String> = rows
            .iter()
            .map(|r| {
                r.split("'>")
                    .nth(1)
                    .unwrap()
                    .split('<')
                    .next()
                    .unwrap()
                    .into()
            })
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        for name in [
            "allocs",
            "block",
            "cmdline",
            "goroutine",
            "heap",
            "mutex",
            "profile",
            "symbol",
            "threadcreate",
            "trace",
        ] {
            assert!(
                html.contains(&format!("<a href='{name}?debug=1'>{name}</a>")),
                "{name}:\n{html}"
            );
            assert!(html.contains(&format!("<li><div class=profile-name>{name}: </div> ")));
        }
        assert!(html.contains("<a href=\"goroutine?debug=2\">full goroutine stack dump</a>"));
        assert!(html.ends_with("</ul>\n</p>\n</body>\n</html>"));
    }

    #[test]
    fn links_stay_under_a_mount_point_without_its_slash() {
        let html = page("/debug/pprof");
        assert!(
            html.contains("<a href='pprof/heap?debug=1'>heap</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"pprof/goroutine?debug=2\">"),
            "{html}"
        );
        let html = page("/admin/profiling/");
        assert!(html.contains("<a href='heap?debug=1'>heap</a>"), "{html}");
    }

    #[test]
    fn names_are_escaped_in_text_and_links() {
        assert_eq!(
            escape_html("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"
        );
        let _p = crate::custom::Profile::new("http_index.<b>&'quoted'").unwrap();
        let html = page("/debug/pprof/");
        assert!(html.contains(
            "<a href='http_index.%3Cb%3E%26%27quoted%27?debug=1'>http_index.&lt;b&gt;&amp;&#39;quoted&#39;</a>"
        ), "{html}");
    }
}
