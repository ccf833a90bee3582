//! The report options pprof calls its config: what `-nodecount=5` on the command line and
//! `nodecount=5` in the shell both set, with pprof's defaults and value syntax.

use oxprof_profile::FilterOptions;

use super::table::{self, Role};

/// pprof's report options, with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    pub output: String,
    pub drop_negative: bool,
    pub call_tree: bool,
    pub relative_percentages: bool,
    pub unit: String,
    pub compact_labels: bool,
    pub mean: bool,
    pub sample_index: String,
    pub divide_by: f64,
    pub normalize: bool,
    /// `flat` or `cum`.
    pub sort: String,
    /// -1 means "the command's default" (all for `top`, 10 for `top` in the shell, 80 else).
    pub nodecount: i64,
    pub nodefraction: f64,
    pub edgefraction: f64,
    pub trim: bool,
    /// The name and tag filters, handed as they are to `Profile::apply_filters`.
    pub filters: FilterOptions,
    pub noinlines: bool,
    /// Print the path of a page (`web`) instead of opening a browser.
    pub no_browser: bool,
    /// Where `list` and `weblist` look for source files, `:`-separated.
    pub source_path: String,
    /// Prefixes removed from source file names before looking, `:`-separated.
    pub trim_path: String,
    /// `disasm` and `weblist` print Intel syntax instead of AT&T.
    pub intel_syntax: bool,
    /// `functions`, `filefunctions`, `files`, `lines` or `addresses`.
    pub granularity: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            output: String::new(),
            drop_negative: false,
            call_tree: false,
            relative_percentages: false,
            unit: "minimum".into(),
            compact_labels: false,
            mean: false,
            sample_index: String::new(),
            divide_by: 1.0,
            normalize: false,
            sort: "flat".into(),
            nodecount: -1,
            nodefraction: 0.005,
            edgefraction: 0.001,
            trim: true,
            filters: FilterOptions::default(),
            noinlines: false,
            no_browser: false,
            source_path: String::new(),
            trim_path: String::new(),
            intel_syntax: false,
            granularity: "functions".into(),
        }
    }
}

/// A typed handle on one field of a [`Config`], so the flag table can name fields.
pub(crate) enum Field<'a> {
    Bool(&'a mut bool),
    Int(&'a mut i64),
    Float(&'a mut f64),
    Str(&'a mut String),
}

impl Field<'_> {
    /// The value as pprof prints it in `options`.
    pub(crate) fn display(&self) -> String {
        match self {
            Field::Bool(b) => b.to_string(),
            Field::Int(i) => i.to_string(),
            Field::Float(f) => f.to_string(),
            Field::Str(s) => s.to_string(),
        }
    }

    fn set(self, name: &str, value: &str) -> Result<(), String> {
        let bad = |what: &str| format!("invalid {what} value {value:?} for {name}");
        match self {
            Field::Bool(b) => *b = parse_bool(value).ok_or_else(|| bad("boolean"))?,
            Field::Int(i) => *i = value.parse().map_err(|_| bad("integer"))?,
            Field::Float(f) => {
                *f = value
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| bad("number"))?
            }
            Field::Str(s) => *s = value.to_string(),
        }
        Ok(())
    }
}

/// pprof's boolean syntax (`commands.go: stringToBool`); an empty value is true so that a bare
/// `-cum` or `cum` turns the option on.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "" | "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// The choices of a multiple-choice option, sorted.
pub(crate) fn choices(group: &str) -> Vec<&'static str> {
    let mut names: Vec<_> = table::FLAGS
        .iter()
        .filter(|f| matches!(f.role, Role::Choice { group: g } if g == group))
        .map(|f| f.name)
        .collect();
    names.sort_unstable();
    names
}

impl Config {
    /// Sets the option, choice or group `name` from its text form, as both `-name=value` and
    /// the shell's `name=value` do. `Ok(false)` if `name` is no option at all.
    pub(crate) fn set(&mut self, name: &str, value: &str) -> Result<bool, String> {
        let Some(flag) = table::lookup(name) else {
            return Ok(false);
        };
        match flag.role {
            Role::Option(field) => field(self).set(name, value)?,
            Role::Choice { group } => {
                let on = parse_bool(value)
                    .ok_or_else(|| format!("invalid boolean value {value:?} for {name}"))?;
                let Some(Role::Group(field)) = table::lookup(group).map(|g| g.role) else {
                    unreachable!("the table gives every choice a group")
                };
                if on {
                    *field(self) = name.to_string();
                } else if *field(self) == name {
                    // pprof's radio buttons: turning the current choice off selects the default.
                    *field(self) = field(&mut Config::default()).clone();
                }
            }
            Role::Group(field) => {
                let options = choices(name);
                if !options.contains(&value) {
                    return Err(format!(
                        "unrecognized value for {name}: {value:?}. Use one of {}",
                        options.join(", ")
                    ));
                }
                *field(self) = value.to_string();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The current value of option or group `name` as text, if it is one.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let mut copy = self.clone();
        match table::lookup(name)?.role {
            Role::Option(field) => Some(field(&mut copy).display()),
            Role::Group(field) => Some(field(&mut copy).clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_their_kinds() {
        let mut c = Config::default();
        assert_eq!(c.set("nodecount", "5"), Ok(true));
        assert_eq!(c.nodecount, 5);
        assert_eq!(c.set("nodefraction", "0.1"), Ok(true));
        assert_eq!(c.nodefraction, 0.1);
        assert_eq!(c.set("trim", "no"), Ok(true));
        assert!(!c.trim);
        assert_eq!(c.set("focus", "main"), Ok(true));
        assert_eq!(c.filters.focus, "main");
        assert_eq!(
            c.set("nodecount", "x"),
            Err("invalid integer value \"x\" for nodecount".into())
        );
        assert_eq!(
            c.set("divide_by", "nan"),
            Err("invalid number value \"nan\" for divide_by".into())
        );
        assert_eq!(c.set("nosuch", "1"), Ok(false));
    }

    #[test]
    fn choices_and_groups_set_the_group() {
        let mut c = Config::default();
        c.set("cum", "").unwrap();
        assert_eq!(c.sort, "cum");
        c.set("cum", "false").unwrap();
        assert_eq!(c.sort, "flat");
        c.set("granularity", "lines").unwrap();
        assert_eq!(c.granularity, "lines");
        c.set("files", "true").unwrap();
        assert_eq!(c.granularity, "files");
        let err = c.set("sort", "up").unwrap_err();
        assert_eq!(
            err,
            "unrecognized value for sort: \"up\". Use one of cum, flat"
        );
    }

    #[test]
    fn get_reads_back() {
        let mut c = Config::default();
        c.set("focus", "a").unwrap();
        assert_eq!(c.get("focus").as_deref(), Some("a"));
        assert_eq!(c.get("granularity").as_deref(), Some("functions"));
        assert_eq!(c.get("nodecount").as_deref(), Some("-1"));
        assert_eq!(c.get("cum"), None);
    }
}
