//! The call graph in callgrind's format, for KCachegrind and QCachegrind, as
//! `go tool pprof -callgrind` writes it: one cost line per node (address, line, flat value) and
//! one call record per outgoing edge, with callgrind's name and position compression.
//!
//! The profile should be aggregated to addresses first, as pprof does for this format, so that
//! each node is an address with its function, file and line.

use std::collections::HashMap;
use std::io::{self, Write};

use oxprof_profile::Profile;

use crate::graph::{Graph, GraphOptions, NodeInfo};
use crate::measurement::scale;
use crate::{Options, Report};

/// Writes the callgrind form of `profile`. Nothing is trimmed; values are whole numbers in the
/// unit of the smallest node (`events: cpu(ms)`).
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Profile, Sample, ValueType};
/// let f = |id, name: &str| Function { id, name: name.into(), filename: "main.go".into(), ..Default::default() };
/// let loc = |id, address, line| Location { id, address, line: vec![Line { function_id: id, line, ..Default::default() }], ..Default::default() };
/// let p = Profile {
///     sample_type: vec![ValueType::new("cpu", "nanoseconds")],
///     sample: vec![Sample { location_id: vec![2, 1], value: vec![30_000_000], label: vec![] }],
///     location: vec![loc(1, 0x1000, 10), loc(2, 0x1010, 20)],
///     function: vec![f(1, "main.main"), f(2, "main.work")],
///     ..Default::default()
/// };
/// let mut out = Vec::new();
/// oxprof_report::callgrind::write_callgrind(&mut out, &p, &Default::default())?;
/// assert_eq!(String::from_utf8(out).unwrap(), "\
/// positions: instr line
/// events: cpu(ms)
///
/// ob=
/// fl=(1) main.go
/// fn=(1) main.work
/// 0x1010 20 30
///
/// ob=
/// fl=(1)
/// fn=(2) main.main
/// -16 10 0
/// cfl=(1)
/// cfn=(1)
/// calls=0 * 20
/// * * 30
/// ");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_callgrind(w: &mut dyn Write, profile: &Profile, options: &Options) -> io::Result<()> {
    let mut report = Report::new(profile, options, "callgrind")?;
    let gopt = GraphOptions {
        obj_names: true,
        ..report.graph_options()
    };
    let mut g = Graph::new(profile, &gopt, None);
    g.sort_nodes(report.options.cum_sort);
    report.select_integral_output_unit(g.nodes.iter().map(|n| (n.flat_value(), n.cum_value())));
    let names = disambiguated_names(&g);
    let (unit, output_unit) = (&report.sample_unit, &report.options.output_unit);
    let scaled = |v: i64| scale(v, unit, output_unit).0 as i64;

    writeln!(w, "positions: instr line")?;
    writeln!(w, "events: {}({output_unit})", report.sample_type)?;
    let (mut objfiles, mut files, mut functions) = (
        Compressor::default(),
        Compressor::default(),
        Compressor::default(),
    );
    let mut prev: Option<&NodeInfo> = None;
    for n in &g.nodes {
        let info = &n.info;
        let same_function = prev.is_some_and(|p| {
            (&p.objfile, &p.file, &p.name) == (&info.objfile, &info.file, &info.name)
        });
        if !same_function {
            writeln!(w)?;
            writeln!(w, "ob={}", objfiles.name(&info.objfile))?;
            writeln!(w, "fl={}", files.name(&info.file))?;
            writeln!(w, "fn={}", functions.name(&info.name))?;
        }
        writeln!(
            w,
            "{} {} {}",
            position(prev, info.address),
            info.lineno,
            scaled(n.flat_value())
        )?;
        for e in g.sorted_edges(&n.outgoing) {
            let callee = &g.nodes[e.dest].info;
            writeln!(w, "cfl={}", files.name(&callee.file))?;
            writeln!(w, "cfn={}", functions.name(&names[e.dest]))?;
            // pprof has no call counts: the count stays 0. The position is that of the called
            // address, as pprof writes it, relative to the previous node's.
            writeln!(
                w,
                "calls=0 {} {}",
                position(prev, callee.address),
                callee.lineno
            )?;
            writeln!(w, "* * {}", scaled(e.weight))?;
        }
        prev = Some(info);
    }
    Ok(())
}

/// Callgrind's name compression: a name's first use is `(N) name`, later ones `(N)`.
#[derive(Default)]
struct Compressor {
    ids: HashMap<String, usize>,
}

impl Compressor {
    fn name(&mut self, name: &str) -> String {
        if name.is_empty() {
            return String::new();
        }
        if let Some(id) = self.ids.get(name) {
            return format!("({id})");
        }
        let id = self.ids.len() + 1;
        self.ids.insert(name.to_string(), id);
        format!("({id}) {name}")
    }
}

/// An address relative to the previous one (`+16`, `-4`, `*` for the same) when that is
/// shorter than the absolute `0x…` form.
fn position(prev: Option<&NodeInfo>, address: u64) -> String {
    let absolute = format!("{address:#x}");
    let Some(prev) = prev else {
        return absolute;
    };
    if prev.address == address {
        return "*".to_string();
    }
    let relative = format!("{:+}", address.wrapping_sub(prev.address) as i64);
    if relative.len() < absolute.len() {
        relative
    } else {
        absolute
    }
}

/// Each node's function name, with a ` [i/n]` suffix where nodes of different functions share
/// a file and a name: callgrind would merge them otherwise.
fn disambiguated_names(g: &Graph) -> Vec<String> {
    // A function is what a node's info is without its address and line.
    let function = |info: &NodeInfo| NodeInfo {
        address: 0,
        lineno: 0,
        ..info.clone()
    };
    let mut index: HashMap<(&str, &str), Vec<NodeInfo>> = HashMap::new();
    for n in &g.nodes {
        let seen = index
            .entry((n.info.file.as_str(), n.info.name.as_str()))
            .or_default();
        let f = function(&n.info);
        if !seen.contains(&f) {
            seen.push(f);
        }
    }
    g.nodes
        .iter()
        .map(|n| {
            let functions = &index[&(n.info.file.as_str(), n.info.name.as_str())];
            if functions.len() < 2 {
                return n.info.name.clone();
            }
            let f = function(&n.info);
            let i = functions.iter().position(|x| *x == f).unwrap_or(0);
            format!("{} [{}/{}]", n.info.name, i + 1, functions.len())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_relative_when_shorter() {
        let at = |address| NodeInfo {
            address,
            ..Default::default()
        };
        assert_eq!(position(None, 0x4bb91a), "0x4bb91a");
        assert_eq!(position(Some(&at(0x4bb91a)), 0x4bb91a), "*");
        assert_eq!(position(Some(&at(0x4bb91a)), 0x4bb927), "+13");
        assert_eq!(position(Some(&at(0x10)), 0x0), "0x0");
        assert_eq!(position(Some(&at(u64::MAX)), 0x1), "+2");
    }

    #[test]
    fn same_name_in_different_binaries_is_numbered() {
        let node = |objfile: &str, address| crate::graph::Node {
            info: NodeInfo {
                name: "f".into(),
                file: "a.c".into(),
                objfile: objfile.into(),
                address,
                ..Default::default()
            },
            ..Default::default()
        };
        let g = Graph {
            nodes: vec![node("/a", 1), node("/b", 2), node("/a", 3)],
            edges: vec![],
        };
        assert_eq!(disambiguated_names(&g), ["f [1/2]", "f [2/2]", "f [1/2]"]);
    }
}
