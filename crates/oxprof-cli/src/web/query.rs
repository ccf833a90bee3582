//! The state of a view as its URL carries it: report options named as on the command line
//! (`focus=`, `sample_index=`, `granularity=`...), the page's `view`, the function regex `re`
//! of Peek, Source and Disassembly, and the flame graph's zoom `path`. The page keeps all of it
//! in its address, so a view can be shared and the back button works.

use anyhow::{anyhow, bail, Result};

use crate::flags::Config;

/// The report options a URL may set, by their command-line names. The rest (`output`,
/// `source_path`...) are the server's, fixed on its command line.
pub(crate) const OPTIONS: &[&str] = &[
    "focus",
    "ignore",
    "hide",
    "show",
    "show_from",
    "prune_from",
    "tagfocus",
    "tagignore",
    "tagshow",
    "taghide",
    "sample_index",
    "mean",
    "granularity",
    "noinlines",
    "unit",
    "divide_by",
    "drop_negative",
    "relative_percentages",
    "nodecount",
    "nodefraction",
    "edgefraction",
    "trim",
    "compact_labels",
    "intel_syntax",
];

/// The views of the page, the first the default.
pub(crate) const VIEWS: &[&str] = &["flame", "top", "graph", "peek", "source", "disasm"];

/// One request's state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    /// The report options: the server's, with the URL's on top.
    pub config: Config,
    /// `re`: the functions Peek, Source and Disassembly show.
    pub re: String,
    /// `path`, repeated: the frames from the root to the flame graph's zoomed frame.
    pub path: Vec<String>,
}

/// The server's options with every option a URL may set at its default, and the query string
/// that gives those options the values the command line gave them (the page's first address).
pub(crate) fn split_config(cli: &Config) -> (Config, String) {
    let defaults = Config::default();
    let mut base = cli.clone();
    let mut initial = Vec::new();
    for &name in OPTIONS {
        let (Some(given), Some(default)) = (cli.get(name), defaults.get(name)) else {
            continue;
        };
        base.set(name, &default)
            .expect("a default is a valid value");
        if given != default {
            initial.push((name.to_string(), given));
        }
    }
    (base, encode(&initial))
}

/// Reads a query string onto `base`. Unknown parameters and bad values are errors naming them.
pub(crate) fn parse(query: &str, base: &Config) -> Result<State> {
    let mut state = State {
        config: base.clone(),
        re: String::new(),
        path: Vec::new(),
    };
    for (key, value) in decode(query)? {
        match key.as_str() {
            "re" => state.re = value,
            "path" => state.path.push(value),
            "view" if VIEWS.contains(&value.as_str()) => {}
            "view" => bail!("unknown view {value:?}: use one of {}", VIEWS.join(", ")),
            name if OPTIONS.contains(&name) => {
                state.config.set(name, &value).map_err(|e| anyhow!(e))?;
            }
            _ => bail!("unknown parameter {key:?}"),
        }
    }
    Ok(state)
}

/// The pairs of an `application/x-www-form-urlencoded` string.
/// A request's decoded query parameters; a name given twice means its first value, as Go's
/// `FormValue` reads it. Servers add their own readers of typed values.
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn decode(query: &str) -> Result<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((unescape(k)?, unescape(v)?))
        })
        .collect()
}

/// Pairs as an `application/x-www-form-urlencoded` string.
pub(crate) fn encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-decodes `s` (`+` is a space).
pub(crate) fn unescape(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| anyhow!("bad escape in query {s:?}"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| anyhow!("query {s:?} is not UTF-8"))
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_the_url_on_the_servers_defaults() {
        let mut cli = Config::default();
        cli.set("focus", "main").unwrap();
        cli.set("granularity", "lines").unwrap();
        cli.set("source_path", "/src").unwrap();
        let (base, initial) = split_config(&cli);
        assert_eq!(initial, "focus=main&granularity=lines");
        assert_eq!(
            (base.filters.focus.as_str(), base.granularity.as_str()),
            ("", "functions")
        );
        assert_eq!(base.source_path, "/src");
        let s = parse(
            "view=top&focus=a%5Eb+c&re=%5Emain%24&path=x&path=y%3Bz&sample_index=cpu&trim=false",
            &base,
        )
        .unwrap();
        assert_eq!(s.config.filters.focus, "a^b c");
        assert_eq!(s.re, "^main$");
        assert_eq!(s.path, ["x", "y;z"]);
        assert_eq!(s.config.sample_index, "cpu");
        assert!(!s.config.trim);
        assert_eq!(parse(&initial, &base).unwrap().config, cli);
    }

    #[test]
    fn bad_parameters_are_named() {
        let base = Config::default();
        let err = |q: &str| parse(q, &base).unwrap_err().to_string();
        assert_eq!(err("output=x"), "unknown parameter \"output\"");
        assert_eq!(err("nosuch=1"), "unknown parameter \"nosuch\"");
        assert_eq!(
            err("nodecount=many"),
            "invalid integer value \"many\" for nodecount"
        );
        assert_eq!(
            err("granularity=atoms"),
            "unrecognized value for granularity: \"atoms\". Use one of addresses, filefunctions, files, functions, lines"
        );
        assert_eq!(
            err("view=pie"),
            "unknown view \"pie\": use one of flame, top, graph, peek, source, disasm"
        );
        assert_eq!(err("focus=%zz"), "bad escape in query \"%zz\"");
    }

    #[test]
    fn encoding_round_trips() {
        let pairs = vec![
            ("focus".to_string(), "^a\\.b$|c d&e=f".to_string()),
            ("tagfocus".to_string(), "bytes=1kb:2mb".to_string()),
        ];
        assert_eq!(decode(&encode(&pairs)).unwrap(), pairs);
    }
}
