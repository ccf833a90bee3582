//! Where results go: Go's text (header, result lines, `PASS`/`ok` trailer) or, with `-json`,
//! the event stream `go test -json` prints (test2json's `Time`, `Action`, `Package`, `Test`,
//! `Output`, `Elapsed`), whose `output` events carry exactly the text lines.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;

use crate::monitor::Monitor;
use crate::sysinfo;

pub(crate) struct Report {
    out: Box<dyn Write>,
    pkg: String,
    json: bool,
    monitor: Option<Monitor>,
    header_done: bool,
}

impl Report {
    pub(crate) fn new(
        out: Box<dyn Write>,
        pkg: &str,
        json: bool,
        monitor: Option<Monitor>,
    ) -> Report {
        Report {
            out,
            pkg: pkg.to_string(),
            json,
            monitor,
            header_done: false,
        }
    }

    /// The run's first event (`-json` only).
    pub(crate) fn start(&mut self) {
        self.action("start", None, None);
    }

    /// Go's header, once, before the first result: `goos`, `goarch`, `pkg`, `cpu`.
    pub(crate) fn header(&mut self) {
        if std::mem::replace(&mut self.header_done, true) {
            return;
        }
        let mut text = format!(
            "goos: {}\ngoarch: {}\npkg: {}\n",
            sysinfo::goos(),
            sysinfo::goarch(),
            self.pkg
        );
        if let Some(cpu) = sysinfo::cpu_name() {
            text.push_str(&format!("cpu: {cpu}\n"));
        }
        self.output(None, &text);
    }

    /// `PASS` and `ok  <pkg>  <seconds>s`, or `FAIL` and `FAIL  <pkg>  <seconds>s`, then (with
    /// `-json`) the package's pass or fail event.
    pub(crate) fn trailer(&mut self, failed: bool, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let text = match failed {
            false => format!("PASS\nok  \t{}\t{secs:.3}s\n", self.pkg),
            true => format!("FAIL\nFAIL\t{}\t{secs:.3}s\n", self.pkg),
        };
        self.output(None, &text);
        self.action(if failed { "fail" } else { "pass" }, None, Some(elapsed));
    }

    /// Text lines (each ending in `\n`), attributed to a benchmark for `-json`.
    pub(crate) fn output(&mut self, test: Option<&str>, text: &str) {
        let _quiet = self.monitor.as_ref().map(Monitor::quiet);
        if !self.json {
            let _ = self.out.write_all(text.as_bytes());
        } else {
            for line in text.split_inclusive('\n') {
                let event = self.event("output", test, None, Some(line));
                let _ = self.out.write_all(event.as_bytes());
            }
        }
        let _ = self.out.flush();
    }

    /// A `-json` event without output (`start`, `run`, `pass`, `fail`); nothing in text mode.
    pub(crate) fn action(&mut self, action: &str, test: Option<&str>, elapsed: Option<Duration>) {
        if self.json {
            let event = self.event(action, test, elapsed, None);
            let _ = self.out.write_all(event.as_bytes());
            let _ = self.out.flush();
        }
    }

    fn event(
        &self,
        action: &str,
        test: Option<&str>,
        elapsed: Option<Duration>,
        output: Option<&str>,
    ) -> String {
        let mut e = format!(
            "{{\"Time\":\"{}\",\"Action\":\"{action}\",\"Package\":{}",
            rfc3339_now(),
            json_string(&self.pkg)
        );
        if let Some(test) = test {
            e.push_str(&format!(",\"Test\":{}", json_string(test)));
        }
        if let Some(output) = output {
            e.push_str(&format!(",\"Output\":{}", json_string(output)));
        }
        if let Some(elapsed) = elapsed {
            e.push_str(&format!(
                ",\"Elapsed\":{}",
                (elapsed.as_secs_f64() * 1000.0).round() / 1000.0
            ));
        }
        e.push_str("}\n");
        e
    }
}

/// A JSON string as Go's `encoding/json` writes it, `<`, `>` and `&` escaped too.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Now in UTC as RFC 3339 with nanoseconds, trailing zeros dropped (Go's `RFC3339Nano`).
fn rfc3339_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(since)
}

fn rfc3339(since_epoch: Duration) -> String {
    let nanos = i128::try_from(since_epoch.as_nanos()).unwrap_or(i128::MAX);
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "9999-12-31T23:59:59Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_as_go_does() {
        assert_eq!(
            json_string("a\t\"b\"\n<&>\u{1}"),
            r#""a\t\"b\"\n\u003c\u0026\u003e\u0001""#
        );
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(Duration::ZERO), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(Duration::new(1_709_251_199, 120_000_000)),
            "2024-02-29T23:59:59.12Z"
        );
    }
}
