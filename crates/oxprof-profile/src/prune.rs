//! Pruning stacks: `drop_frames`/`keep_frames` (the profile's own list of uninteresting frames,
//! such as allocator internals) and the `prune_from` option.
//!
//! Both match a regex against function names simplified as pprof does: a leading `.` (PPC ELF
//! v1 ABI) is dropped, and so is everything from the first `(` (unsimplified C++ argument
//! lists), unless that `(` opens `(anonymous namespace)`.

use regex::Regex;

use crate::filter::{regex_error_summary, Names};
use crate::lookup::Lookup;
use crate::{Error, Profile, Result};

/// The name pruning regexes are matched against.
fn simplified_name(name: &str) -> &str {
    let name = name.strip_prefix('.').unwrap_or(name);
    match name.find('(') {
        Some(i) if i > 0 && !name[i..].starts_with("(anonymous namespace)") => &name[..i],
        _ => name,
    }
}

/// Compiles a `drop_frames`/`keep_frames` regex the way pprof anchors it.
fn anchored(field: &str, pattern: &str) -> Result<Regex> {
    Regex::new(&format!("^({pattern})$")).map_err(|err| {
        Error::invalid(format!(
            "{field} regexp {pattern:?}: {}",
            regex_error_summary(&err)
        ))
    })
}

impl Profile {
    /// Removes from every stack the frames at and below (leafward of) the rootmost frame whose
    /// function matches `drop` but not `keep`, as pprof's `Prune`.
    ///
    /// A location whose outermost line matches goes entirely; one where an inlined callee
    /// matches keeps the lines above it. Frames rootward of the first frame that matches nothing
    /// are never pruned, so a stack made only of matching frames stays whole.
    ///
    /// ```
    /// use oxprof_profile::{Function, Line, Location, Profile, Sample};
    /// let f = |id: u64, name: &str| Function { id, name: name.into(), ..Default::default() };
    /// let loc = |id: u64| Location { id, line: vec![Line { function_id: id, line: 1, column: 0 }], ..Default::default() };
    /// let mut p = Profile {
    ///     function: vec![f(1, "main"), f(2, "malloc"), f(3, "sbrk")],
    ///     location: vec![loc(1), loc(2), loc(3)],
    ///     sample: vec![Sample { location_id: vec![3, 2, 1], value: vec![1], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// p.prune(&regex::Regex::new("^malloc$").unwrap(), None);
    /// assert_eq!(p.sample[0].location_id, vec![1]);
    /// ```
    pub fn prune(&mut self, drop: &Regex, keep: Option<&Regex>) {
        let lookup = Lookup::new(self);
        let names = Names::new(&self.function, &self.mapping, &lookup);
        let mut prune = vec![false; self.location.len()];
        let mut prune_beneath = vec![false; self.location.len()];
        for (i, loc) in self.location.iter_mut().enumerate() {
            let rootmost = loc.line.iter().rposition(|line| {
                names.function(line).is_some_and(|f| {
                    let name = simplified_name(&f.name);
                    !f.name.is_empty()
                        && drop.is_match(name)
                        && !keep.is_some_and(|k| k.is_match(name))
                })
            });
            if let Some(at) = rootmost {
                prune_beneath[i] = true;
                if at + 1 == loc.line.len() {
                    prune[i] = true;
                } else {
                    loc.line.drain(..=at);
                }
            }
        }

        for s in &mut self.sample {
            let mut found_user = false;
            for i in (0..s.location_id.len()).rev() {
                let pos = lookup.location.get(s.location_id[i]);
                let (pruned, beneath) =
                    pos.map_or((false, false), |p| (prune[p], prune_beneath[p]));
                if !pruned && !beneath {
                    found_user = true;
                } else if found_user {
                    s.location_id.drain(..if pruned { i + 1 } else { i });
                    break;
                }
            }
        }
    }

    /// Prunes with the profile's own `drop_frames` and `keep_frames` (anchored, as pprof's
    /// `RemoveUninteresting`); does nothing when `drop_frames` is empty.
    ///
    /// ```
    /// let mut p = oxprof_profile::Profile { drop_frames: "(".into(), ..Default::default() };
    /// assert!(p.remove_uninteresting_frames().is_err());
    /// ```
    pub fn remove_uninteresting_frames(&mut self) -> Result<()> {
        if self.drop_frames.is_empty() {
            return Ok(());
        }
        let drop = anchored("drop_frames", &self.drop_frames)?;
        let keep = match self.keep_frames.as_str() {
            "" => None,
            keep => Some(anchored("keep_frames", keep)?),
        };
        self.prune(&drop, keep.as_ref());
        Ok(())
    }

    /// Removes every frame leafward of the leafmost frame matching `re`, keeping that frame
    /// (pprof's `PruneFrom`, the `prune_from` option). Within a location, inlined callees below
    /// the innermost matching line go too.
    ///
    /// ```
    /// use oxprof_profile::{Function, Line, Location, Profile, Sample};
    /// let f = |id: u64, name: &str| Function { id, name: name.into(), ..Default::default() };
    /// let loc = |id: u64| Location { id, line: vec![Line { function_id: id, line: 1, column: 0 }], ..Default::default() };
    /// let mut p = Profile {
    ///     function: vec![f(1, "main"), f(2, "parse"), f(3, "alloc")],
    ///     location: vec![loc(1), loc(2), loc(3)],
    ///     sample: vec![Sample { location_id: vec![3, 2, 1], value: vec![1], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// p.prune_from(&regex::Regex::new("parse").unwrap());
    /// assert_eq!(p.sample[0].location_id, vec![2, 1]);
    /// ```
    pub fn prune_from(&mut self, re: &Regex) {
        let lookup = Lookup::new(self);
        let names = Names::new(&self.function, &self.mapping, &lookup);
        let mut prune_beneath = vec![false; self.location.len()];
        for (i, loc) in self.location.iter_mut().enumerate() {
            let innermost = loc.line.iter().position(|line| {
                names
                    .function(line)
                    .is_some_and(|f| !f.name.is_empty() && re.is_match(simplified_name(&f.name)))
            });
            if let Some(at) = innermost {
                prune_beneath[i] = true;
                loc.line.drain(..at);
            }
        }
        for s in &mut self.sample {
            let leafmost = s
                .location_id
                .iter()
                .position(|&id| lookup.location.get(id).is_some_and(|p| prune_beneath[p]));
            if let Some(i) = leafmost {
                s.location_id.drain(..i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::simplified_name;

    #[test]
    fn names_are_simplified_like_pprof() {
        assert_eq!(simplified_name(".foo"), "foo");
        assert_eq!(simplified_name("foo(int)"), "foo");
        assert_eq!(simplified_name("(anonymous)"), "(anonymous)");
        assert_eq!(
            simplified_name("ns::(anonymous namespace)::f"),
            "ns::(anonymous namespace)::f"
        );
        assert_eq!(
            simplified_name("f(anonymous namespace)"),
            "f(anonymous namespace)"
        );
    }
}
