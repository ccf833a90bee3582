//! What a query selects: a profile type and label matchers, written as Pyroscope writes them,
//! `process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="checkout", env=~"prod|canary"}`.
//!
//! The type is either Pyroscope's full profile type id (`__name__`, sample type and unit, period
//! type and unit) or the `__name__` alone (`memory{...}`), which selects whole profiles with
//! every sample type they have. Matchers are PromQL's: `=`, `!=`, `=~` and `!~` (regular
//! expressions anchored at both ends), values in double quotes with `\"` and `\\` escapes.

use std::fmt;

use oxprof_push::labels::{valid_metric_name, valid_name};
use oxprof_push::proto::LabelPair;
use regex::Regex;

use crate::Error;

/// A profile type: `__name__` and, optionally, one sample type and the period type.
///
/// ```
/// let t: oxprof_store::query::ProfileType = "memory:alloc_space:bytes:space:bytes".parse()?;
/// assert_eq!(t.name, "memory");
/// assert_eq!(t.sample.as_ref().unwrap().0, ["alloc_space", "bytes"]);
/// assert_eq!(t.to_string(), "memory:alloc_space:bytes:space:bytes");
/// # Ok::<(), oxprof_store::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProfileType {
    /// The `__name__` label: `process_cpu`, `memory`, `block`...
    pub name: String,
    /// The sample type and unit, and the period type and unit; `None` for whole profiles.
    pub sample: Option<([String; 2], [String; 2])>,
}

impl std::str::FromStr for ProfileType {
    type Err = Error;

    fn from_str(text: &str) -> Result<ProfileType, Error> {
        let parts: Vec<&str> = text.split(':').collect();
        let bad = |why: &str| Error::BadInput(format!("bad profile type {text:?}: {why}"));
        let name = parts[0];
        if !valid_metric_name(name) {
            return Err(bad(
                "it must start with a name such as process_cpu or memory",
            ));
        }
        match parts[1..] {
            [] => Ok(ProfileType {
                name: name.into(),
                sample: None,
            }),
            [ty, unit, period_ty, period_unit] => Ok(ProfileType {
                name: name.into(),
                sample: Some((
                    [ty.into(), unit.into()],
                    [period_ty.into(), period_unit.into()],
                )),
            }),
            _ => Err(bad(
                "give name:sample_type:sample_unit:period_type:period_unit or the name alone",
            )),
        }
    }
}

impl fmt::Display for ProfileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(([ty, unit], [pty, punit])) = &self.sample {
            write!(f, ":{ty}:{unit}:{pty}:{punit}")?;
        }
        Ok(())
    }
}

/// How a matcher compares a label's value.
///
/// ```
/// use oxprof_store::query::Op;
/// assert_eq!(Op::Regex.to_string(), "=~");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`: equal.
    Equal,
    /// `!=`: not equal.
    NotEqual,
    /// `=~`: the whole value matches the regular expression.
    Regex,
    /// `!~`: the whole value does not match.
    NotRegex,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Equal => "=",
            Op::NotEqual => "!=",
            Op::Regex => "=~",
            Op::NotRegex => "!~",
        })
    }
}

/// One label matcher. A label a series lacks has the value `""`, as in PromQL.
///
/// ```
/// use oxprof_push::proto::LabelPair;
/// let q = oxprof_store::query::Selector::parse(r#"{env=~"prod|canary"}"#)?;
/// assert!(q.matches(&[LabelPair::new("env", "canary")]));
/// assert!(!q.matches(&[LabelPair::new("env", "production")]));
/// # Ok::<(), oxprof_store::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The label's name.
    pub name: String,
    /// The comparison.
    pub op: Op,
    /// The value or regular expression, as written.
    pub value: String,
    regex: Option<Regex>,
}

impl Matcher {
    fn matches(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (Op::Equal, _) => value == self.value,
            (Op::NotEqual, _) => value != self.value,
            (Op::Regex, Some(re)) => re.is_match(value),
            (Op::NotRegex, Some(re)) => !re.is_match(value),
            (Op::Regex | Op::NotRegex, None) => unreachable!("regex matchers are compiled"),
        }
    }
}

/// A set of label matchers, `{a="x", b!~"y.*"}`; every one must hold.
///
/// ```
/// use oxprof_push::proto::LabelPair;
/// let s = oxprof_store::query::Selector::parse(r#"{service_name="api", env!="dev"}"#)?;
/// assert!(s.matches(&[LabelPair::new("service_name", "api")]));
/// assert!(!s.matches(&[LabelPair::new("service_name", "api"), LabelPair::new("env", "dev")]));
/// assert_eq!(s.to_string(), r#"{service_name="api", env!="dev"}"#);
/// # Ok::<(), oxprof_store::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Selector {
    /// The matchers.
    pub matchers: Vec<Matcher>,
}

impl Selector {
    /// Reads `{...}` (an empty or missing selector matches everything).
    ///
    /// ```
    /// use oxprof_store::query::Selector;
    /// assert!(Selector::parse("")?.matchers.is_empty());
    /// assert_eq!(
    ///     Selector::parse(r#"{env="prod"#).unwrap_err().to_string(),
    ///     r#"bad label selector {env="prod: unterminated string at offset 5"#
    /// );
    /// # Ok::<(), oxprof_store::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Selector, Error> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Selector::default());
        }
        Parser { text, at: 0 }
            .selector()
            .map_err(|why| Error::BadInput(format!("bad label selector {text}: {why}")))
    }

    /// Whether a series with these labels is selected.
    ///
    /// ```
    /// let all = oxprof_store::query::Selector::default();
    /// assert!(all.matches(&[]));
    /// ```
    pub fn matches(&self, labels: &[LabelPair]) -> bool {
        self.matchers.iter().all(|m| {
            let value = labels
                .iter()
                .find(|l| l.name == m.name)
                .map_or("", |l| l.value.as_str());
            m.matches(value)
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .matchers
            .iter()
            .map(|m| format!("{}{}{:?}", m.name, m.op, m.value))
            .collect();
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// A profile type and a selector: `type{matchers}`.
///
/// ```
/// let q: oxprof_store::query::Query = r#"process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}"#.parse()?;
/// assert_eq!(q.profile_type.name, "process_cpu");
/// assert_eq!(q.selector.matchers[0].value, "api");
/// assert!("{}".parse::<oxprof_store::query::Query>().is_err());
/// # Ok::<(), oxprof_store::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Query {
    /// What kind of profile.
    pub profile_type: ProfileType,
    /// Which series.
    pub selector: Selector,
}

impl std::str::FromStr for Query {
    type Err = Error;

    fn from_str(text: &str) -> Result<Query, Error> {
        let (ty, selector) = match text.find('{') {
            Some(i) => text.split_at(i),
            None => (text, ""),
        };
        Ok(Query {
            profile_type: ty.trim().parse()?,
            selector: Selector::parse(selector)?,
        })
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.profile_type, self.selector)
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn selector(mut self) -> Result<Selector, String> {
        if !self.eat("{") {
            return Err(format!("expected '{{' at offset {}", self.at));
        }
        let mut matchers = Vec::new();
        loop {
            if self.eat("}") {
                break;
            }
            matchers.push(self.matcher()?);
            if self.eat(",") {
                continue;
            }
            if self.eat("}") {
                break;
            }
            return Err(format!("expected ',' or '}}' at offset {}", self.at));
        }
        self.skip_space();
        if !self.rest().is_empty() {
            return Err(format!("unexpected text at offset {}", self.at));
        }
        Ok(Selector { matchers })
    }

    fn matcher(&mut self) -> Result<Matcher, String> {
        self.skip_space();
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(self.rest().len());
        let name = self.rest()[..len].to_owned();
        if !valid_name(&name) {
            return Err(format!("expected a label name at offset {}", self.at));
        }
        self.at += len;
        let op = if self.eat("=~") {
            Op::Regex
        } else if self.eat("!~") {
            Op::NotRegex
        } else if self.eat("!=") {
            Op::NotEqual
        } else if self.eat("=") {
            Op::Equal
        } else {
            return Err(format!("expected =, !=, =~ or !~ at offset {}", self.at));
        };
        let value = self.string()?;
        let regex = match op {
            Op::Regex | Op::NotRegex => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| format!("bad regular expression {value:?}: {e}"))?,
            ),
            Op::Equal | Op::NotEqual => None,
        };
        Ok(Matcher {
            name,
            op,
            value,
            regex,
        })
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_space();
        let start = self.at;
        let mut chars = self.rest().char_indices();
        if !matches!(chars.next(), Some((_, '"'))) {
            return Err(format!("expected a quoted value at offset {start}"));
        }
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, c)) => value.push(c),
                    None => break,
                },
                c => value.push(c),
            }
        }
        Err(format!("unterminated string at offset {start}"))
    }
}
