//! The `disasm` report: the machine code of every function symbol matching a regular
//! expression (or holding an address) that samples landed in, each instruction with the flat
//! and cumulative weight of the samples at it and its source location, as
//! `go tool pprof -disasm` prints it.
//!
//! [`assembly_listing`] computes what is shown ([`AssemblyListing`]); [`write_disasm`] prints
//! it. Binaries are read through an [`ObjectTool`]. The profile is expected at address
//! granularity without inline frames, as the driver aggregates it for `disasm`.

use std::collections::HashSet;
use std::io::{self, Write};

use oxprof_profile::Profile;
use regex::Regex;

use crate::graph::{go_base, Graph, GraphOptions, Node};
use crate::list::{no_matches, value_or_dot};
use crate::objects::{ObjectFile, ObjectTool, Symbol, Syntax};
use crate::{measurement, Options, Report};

/// What `disasm` shows.
///
/// ```
/// assert!(oxprof_report::disasm::AssemblyListing::default().routines.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssemblyListing {
    /// The total percentages refer to.
    pub total: i64,
    /// One routine per function symbol with samples, by name then address.
    pub routines: Vec<AsmRoutine>,
    /// Binaries that could not be read while others could, one line each.
    pub warnings: Vec<String>,
}

/// One function's instructions.
///
/// ```
/// let r = oxprof_report::disasm::AsmRoutine { name: "main".into(), flat: 0, cum: 0, instructions: vec![] };
/// assert_eq!(r.name, "main");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsmRoutine {
    /// The function's name.
    pub name: String,
    /// Flat weight of its samples.
    pub flat: i64,
    /// Cumulative weight of its samples.
    pub cum: i64,
    /// Its instructions, by address.
    pub instructions: Vec<AsmInstruction>,
}

/// One instruction with its weights and source location.
///
/// ```
/// let i = oxprof_report::disasm::AsmInstruction { address: 0x1000, text: "ret".into(), ..Default::default() };
/// assert_eq!(i.flat, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsmInstruction {
    /// Object address.
    pub address: u64,
    /// The instruction.
    pub text: String,
    /// Function of its innermost source frame (or of the samples at it).
    pub function: String,
    /// Base name of that frame's file.
    pub file: String,
    /// That frame's line, 0 when unknown.
    pub line: i64,
    /// Flat weight of the samples at it (mean when reporting means).
    pub flat: i64,
    /// Cumulative weight.
    pub cum: i64,
}

/// Computes the `disasm` report of `profile` for the function symbols matching `symbol` (by
/// shown or linkage name), or containing the profile address `symbol` spells (`0x4011d0`), in
/// the binaries of mappings whose samples match. Fails when no such symbol has samples; when a
/// binary could not be read and nothing else matched, with the reason it could not.
///
/// ```
/// use oxprof_profile::{Function, Line, Location, Mapping, Profile, Sample, ValueType};
/// use oxprof_report::objects::*;
/// struct One(Vec<Symbol>);
/// impl ObjectFile for One {
///     fn object_address(&self, a: u64) -> Option<u64> { Some(a - 0x1000) }
///     fn symbols(&self) -> &[Symbol] { &self.0 }
///     fn disassemble(&self, start: u64, _: u64, _: Syntax) -> std::io::Result<Vec<Instruction>> {
///         Ok(vec![Instruction { address: start, length: 2, text: "nop".into(), frames: vec![] },
///                 Instruction { address: start + 2, length: 1, text: "ret".into(), frames: vec![] }])
///     }
/// }
/// struct Tool;
/// impl ObjectTool for Tool {
///     fn open(&mut self, _: &Mapping) -> std::io::Result<Box<dyn ObjectFile>> {
///         Ok(Box::new(One(vec![Symbol { name: "hot".into(), linkage_name: "hot".into(), start: 0x10, end: 0x13 }])))
///     }
/// }
/// let p = Profile {
///     sample_type: vec![ValueType::new("samples", "count")],
///     sample: vec![Sample { location_id: vec![1], value: vec![5], label: vec![] }],
///     location: vec![Location { id: 1, mapping_id: 1, address: 0x1012, line: vec![Line { function_id: 1, line: 3, column: 0 }], ..Default::default() }],
///     function: vec![Function { id: 1, name: "hot".into(), ..Default::default() }],
///     mapping: vec![Mapping { id: 1, memory_start: 0x1000, memory_limit: 0x2000, filename: "/bin/app".into(), ..Default::default() }],
///     ..Default::default()
/// };
/// let report = oxprof_report::Report::new(&p, &Default::default(), "disasm")?;
/// let re = regex::Regex::new("hot").unwrap();
/// let listing = oxprof_report::disasm::assembly_listing(&p, &report, &re, &mut Tool, Syntax::Att)?;
/// let code = &listing.routines[0].instructions;
/// assert_eq!((code[0].flat, code[1].flat, code[1].address), (0, 5, 0x12));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn assembly_listing(
    profile: &Profile,
    report: &Report,
    symbol: &Regex,
    tool: &mut dyn ObjectTool,
    syntax: Syntax,
) -> io::Result<AssemblyListing> {
    let options = GraphOptions {
        obj_names: true,
        ..report.graph_options()
    };
    let graph = Graph::new(profile, &options, None);
    let address = parse_go_uint(symbol.as_str());
    let with_samples: HashSet<&str> = graph
        .nodes
        .iter()
        .filter(|n| !n.info.objfile.is_empty() && symbol.is_match(&n.info.printable_name()))
        .map(|n| n.info.objfile.as_str())
        .collect();

    let mut objects: Vec<Box<dyn ObjectFile>> = Vec::new();
    // Each function with samples, the index of its object, and its nodes.
    let mut found: Vec<Found> = Vec::new();
    let mut warnings = Vec::new();
    for m in &profile.mapping {
        let holds_address = address.is_some_and(|a| (m.memory_start..=m.memory_limit).contains(&a));
        if !with_samples.contains(m.filename.as_str()) && !holds_address {
            continue;
        }
        let object = match tool.open(m) {
            Ok(object) => object,
            Err(e) => {
                warnings.push(e.to_string());
                continue;
            }
        };
        let object_address = address.and_then(|a| object.object_address(a));
        // The mapping's nodes by object address, in pprof's address order.
        let mut nodes: Vec<(u64, &Node)> = graph
            .nodes
            .iter()
            .filter(|n| n.info.objfile == m.filename)
            .filter_map(|n| Some((object.object_address(n.info.address)?, n)))
            .collect();
        nodes.sort_by(|(a, x), (b, y)| {
            (a, x.info.address)
                .cmp(&(b, y.info.address))
                .then_with(|| x.info.go_sprint().cmp(&y.info.go_sprint()))
        });
        let matching: Vec<Symbol> = object
            .symbols()
            .iter()
            .filter(|s| {
                symbol.is_match(&s.name)
                    || symbol.is_match(&s.linkage_name)
                    || object_address.is_some_and(|a| s.contains(a))
            })
            .cloned()
            .collect();
        for s in matching {
            let inside: Vec<(u64, &Node)> = nodes
                .iter()
                .filter(|(a, _)| s.contains(*a))
                .copied()
                .collect();
            if !inside.is_empty() {
                found.push((s, objects.len(), inside));
            }
        }
        objects.push(object);
    }
    if found.is_empty() {
        return Err(match warnings.first() {
            Some(w) => io::Error::new(io::ErrorKind::NotFound, w.clone()),
            None => no_matches(symbol),
        });
    }
    found.sort_by(|(a, _, _), (b, _, _)| a.name.cmp(&b.name).then(a.start.cmp(&b.start)));

    let mut routines = Vec::with_capacity(found.len());
    for (s, object, nodes) in found {
        let object = &objects[object];
        let (flat, cum) = nodes.iter().fold((0i64, 0i64), |(f, c), (_, n)| {
            (f.wrapping_add(n.flat), c.wrapping_add(n.cum))
        });
        let code = object.disassemble(s.start, s.end, syntax)?;
        routines.push(AsmRoutine {
            name: s.name,
            flat,
            cum,
            instructions: annotate(&code, &nodes),
        });
    }
    Ok(AssemblyListing {
        total: report.total,
        routines,
        warnings,
    })
}

/// A function symbol with samples: the index of its object file, and its nodes by object
/// address.
type Found<'g> = (Symbol, usize, Vec<(u64, &'g Node)>);

/// Gives each instruction the samples from its address up to the next instruction's (samples
/// may point into an instruction), and a source location: its own innermost frame, else that
/// of its first sample.
fn annotate(code: &[crate::objects::Instruction], nodes: &[(u64, &Node)]) -> Vec<AsmInstruction> {
    let mut next_node = 0;
    let mut out = Vec::with_capacity(code.len());
    for (i, inst) in code.iter().enumerate() {
        let next = code.get(i + 1).map_or(u64::MAX, |n| n.address);
        let frame = inst.frames.first();
        let mut a = AsmInstruction {
            address: inst.address,
            text: inst.text.clone(),
            function: frame.map(|f| f.function.clone()).unwrap_or_default(),
            file: frame
                .filter(|f| !f.file.is_empty())
                .map(|f| go_base(&f.file).to_string())
                .unwrap_or_default(),
            line: frame.map_or(0, |f| f.line),
            ..Default::default()
        };
        let (mut flat, mut flat_div, mut cum, mut cum_div) = (0i64, 0i64, 0i64, 0i64);
        while let Some(&(address, n)) = nodes.get(next_node) {
            if address >= next {
                break;
            }
            flat = flat.wrapping_add(n.flat);
            flat_div = flat_div.wrapping_add(n.flat_div);
            cum = cum.wrapping_add(n.cum);
            cum_div = cum_div.wrapping_add(n.cum_div);
            if a.file.is_empty() && !n.info.file.is_empty() {
                a.file = go_base(&n.info.file).to_string();
            }
            if a.line == 0 {
                a.line = n.info.lineno;
            }
            if a.function.is_empty() {
                a.function = n.info.name.clone();
            }
            next_node += 1;
        }
        a.flat = divided(flat, flat_div);
        a.cum = divided(cum, cum_div);
        out.push(a);
    }
    out
}

fn divided(v: i64, div: i64) -> i64 {
    if div == 0 {
        v
    } else {
        v.wrapping_div(div)
    }
}

/// Writes the `disasm` report as `go tool pprof -disasm` prints it: `Total:`, then per routine
/// `ROUTINE ===...`, its weights, and `flat cum address: instruction ;function file:line`, the
/// location only where it changes.
///
/// Binaries that could not be read while others could are noted in the listing's warnings,
/// which the caller prints where it prints diagnostics.
pub fn write_disasm(
    w: &mut dyn Write,
    profile: &Profile,
    options: &Options,
    symbol: &Regex,
    tool: &mut dyn ObjectTool,
    syntax: Syntax,
) -> io::Result<AssemblyListing> {
    let report = Report::new(profile, options, "disasm")?;
    let listing = assembly_listing(profile, &report, symbol, tool, syntax)?;
    writeln!(w, "Total: {}", report.format_value(listing.total))?;
    for routine in &listing.routines {
        writeln!(w, "ROUTINE ======================== {}", routine.name)?;
        writeln!(
            w,
            "{:>10} {:>10} (flat, cum) {} of Total",
            report.format_value(routine.flat),
            report.format_value(routine.cum),
            measurement::percentage(routine.cum, listing.total)
        )?;
        let mut last: (&str, &str, i64) = ("", "", 0);
        for inst in &routine.instructions {
            let here = (inst.function.as_str(), inst.file.as_str(), inst.line);
            let mut location = String::new();
            if here != last {
                last = here;
                if !inst.function.is_empty() {
                    location = format!("{} ", inst.function);
                }
                if !inst.file.is_empty() {
                    location += &inst.file;
                    if inst.line != 0 {
                        location += &format!(":{}", inst.line);
                    }
                }
            }
            let (flat, cum) = (
                value_or_dot(inst.flat, &report),
                value_or_dot(inst.cum, &report),
            );
            if location.is_empty() {
                writeln!(
                    w,
                    "{flat:>10} {cum:>10} {:>10x}: {}",
                    inst.address, inst.text
                )?;
            } else if inst.text.len() < 40 {
                writeln!(
                    w,
                    "{flat:>10} {cum:>10} {:>10x}: {:<40};{location}",
                    inst.address, inst.text
                )?;
            } else {
                writeln!(w, "{:>74};{location}", "")?;
                writeln!(
                    w,
                    "{flat:>10} {cum:>10} {:>10x}: {}",
                    inst.address, inst.text
                )?;
            }
        }
    }
    Ok(listing)
}

/// Go's `strconv.ParseUint(s, 0, 64)`: decimal, or hex, octal or binary after `0x`, `0o` (or a
/// bare leading `0`) and `0b`.
pub(crate) fn parse_go_uint(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(hex) = lower.strip_prefix("0x") {
        (hex, 16)
    } else if let Some(bin) = lower.strip_prefix("0b") {
        (bin, 2)
    } else if let Some(oct) = lower.strip_prefix("0o") {
        (oct, 8)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_go_parses_them() {
        assert_eq!(parse_go_uint("0x4011d0"), Some(0x4011d0));
        assert_eq!(parse_go_uint("0X10"), Some(16));
        assert_eq!(parse_go_uint("010"), Some(8));
        assert_eq!(parse_go_uint("0b11"), Some(3));
        assert_eq!(parse_go_uint("42"), Some(42));
        assert_eq!(parse_go_uint("0"), Some(0));
        assert_eq!(parse_go_uint("main"), None);
        assert_eq!(parse_go_uint("-1"), None);
        assert_eq!(parse_go_uint("0x"), None);
    }
}
