//! The `weblist` report: the source of every function matching a regular expression with the
//! samples of each line, and under each line, folded away until clicked, the machine code it
//! became and the inlined calls it holds, as the HTML page `go tool pprof -weblist` opens.
//!
//! [`web_listing`] computes the page's content ([`WebListing`]), [`write_weblist`] writes the
//! self-contained HTML page (styles and the one script inline). The profile is expected at
//! address granularity with inline frames, as the driver aggregates it for `weblist`.

mod html;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};

use oxprof_profile::{Location, Profile};
use regex::Regex;

use crate::disasm::parse_go_uint;
use crate::graph::go_clean;
use crate::list::no_matches;
use crate::objects::{Frame, ObjectFile, ObjectTool, Syntax};
use crate::source_files::SourceReader;
use crate::{header, Options, Report};

/// Bytes disassembled around each sampled address, and the gap below which ranges merge.
const EXPAND: u64 = 500;
/// At most this many address ranges are disassembled, the heaviest first.
const MAX_RANGES: usize = 25;
/// Sampled lines of one function closer than this are shown as one block.
const MERGE_LIMIT: i64 = 20;
/// Lines of context around each block.
const CONTEXT: i64 = 5;
/// An instruction without a line takes its predecessor's frames when this close to it.
const NEIGHBORHOOD: u64 = 32;

/// What the `weblist` page shows.
///
/// ```
/// assert!(oxprof_report::weblist::WebListing::default().functions.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebListing {
    /// The profile's header lines (`File:`, `Type:`...).
    pub labels: Vec<String>,
    /// The total percentages refer to.
    pub total: i64,
    /// Blocks of lines, by file name, then by line.
    pub functions: Vec<WebFunction>,
}

/// A block of source lines of one function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebFunction {
    /// The function.
    pub name: String,
    /// Its source file.
    pub file: String,
    /// Flat weight of the block.
    pub flat: i64,
    /// Cumulative weight of the block.
    pub cum: i64,
    /// The lines.
    pub lines: Vec<WebLine>,
}

/// One source line and the code it became.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebLine {
    /// Line number.
    pub lineno: i64,
    /// The text, or `???` past the end of the file, or a note for line 0.
    pub text: String,
    /// Flat weight of its instructions.
    pub flat: i64,
    /// Cumulative weight of its instructions.
    pub cum: i64,
    /// Its instructions, by address.
    pub instructions: Vec<WebInstruction>,
}

/// One instruction of a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebInstruction {
    /// Object address.
    pub address: u64,
    /// The instruction; empty when no binary was read and only the profile tells the line.
    pub text: String,
    /// File of the instruction's innermost frame.
    pub file: String,
    /// Line of that frame.
    pub line: i64,
    /// Flat weight.
    pub flat: i64,
    /// Cumulative weight.
    pub cum: i64,
    /// Not contiguous with the previous instruction of the line.
    pub starts_block: bool,
    /// The inlined calls from the line down to the instruction, outermost first.
    pub inline_calls: Vec<InlineCall>,
}

/// An inlined call an instruction lies in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InlineCall {
    /// File of the call.
    pub file: String,
    /// Line of the call.
    pub line: i64,
    /// That line's text, empty when the file cannot be read.
    pub text: String,
}

/// What is known of one instruction address.
#[derive(Debug, Clone, Default)]
struct Inst {
    object_address: u64,
    length: u64,
    text: String,
    file: String,
    line: i64,
    flat: i64,
    cum: i64,
}

/// An address of a line, with the inlined calls above it.
#[derive(Debug, Clone)]
struct LineInst {
    address: u64,
    stack: Vec<(String, i64)>,
}

/// The lines of one file to show.
#[derive(Default)]
struct SourceFile {
    lines: BTreeMap<i64, Vec<LineInst>>,
    function_at: HashMap<i64, String>,
}

/// Collects the page's content: instructions with samples, frames and files.
struct Collector<'a> {
    insts: HashMap<u64, Inst>,
    files: BTreeMap<String, SourceFile>,
    interest: HashSet<String>,
    pretty_names: HashMap<String, String>,
    reader: &'a mut SourceReader,
}

/// Computes the `weblist` page for the functions matching `symbol` (by name, system name or
/// file, or whose binary's path matches) or at the profile address `symbol` spells.
///
/// Fails when nothing matches.
pub fn web_listing(
    profile: &Profile,
    report: &Report,
    symbol: &Regex,
    tool: &mut dyn ObjectTool,
    syntax: Syntax,
    reader: &mut SourceReader,
) -> io::Result<WebListing> {
    let address = parse_go_uint(symbol.as_str());
    let functions: HashMap<u64, &oxprof_profile::Function> =
        profile.function.iter().map(|f| (f.id, f)).collect();
    let locations: HashMap<u64, &Location> = profile.location.iter().map(|l| (l.id, l)).collect();
    let mappings: HashMap<u64, &oxprof_profile::Mapping> =
        profile.mapping.iter().map(|m| (m.id, m)).collect();
    let mut synthetic = Synthetic::new(profile);
    let mut c = Collector {
        insts: HashMap::new(),
        files: BTreeMap::new(),
        interest: HashSet::new(),
        pretty_names: HashMap::new(),
        reader,
    };
    let (mut flat, mut cum) = (HashMap::<u64, i64>::new(), HashMap::<u64, i64>::new());
    // Addresses of interest, each with its location.
    let mut addrs: BTreeMap<u64, &Location> = BTreeMap::new();
    let options = report.graph_options();
    for sample in &profile.sample {
        let (w, div) = options.weigh(sample);
        let value = if div != 0 { w.wrapping_div(div) } else { w };
        for (i, id) in sample.location_id.iter().enumerate().rev() {
            let Some(&loc) = locations.get(id) else {
                continue;
            };
            for line in &loc.line {
                if let Some(f) = functions.get(&line.function_id) {
                    c.pretty_names.insert(f.system_name.clone(), f.name.clone());
                }
            }
            let addr = match loc.address {
                0 => synthetic.address(loc.id),
                a => a,
            };
            *cum.entry(addr).or_default() += value;
            if i == 0 {
                *flat.entry(addr).or_default() += value;
            }
            let mut interest = |j: usize| {
                let Some(f) = loc.line.get(j).and_then(|l| functions.get(&l.function_id)) else {
                    return;
                };
                c.interest.insert(f.name.clone());
                c.interest.insert(f.system_name.clone());
                addrs.entry(addr).or_insert(loc);
            };
            if address == Some(addr) {
                if !loc.line.is_empty() {
                    interest(loc.line.len() - 1);
                }
                continue;
            }
            let mapping_matches = mappings
                .get(&loc.mapping_id)
                .is_some_and(|m| symbol.is_match(&m.filename));
            for (j, line) in loc.line.iter().enumerate() {
                let matches = functions.get(&line.function_id).is_some_and(|f| {
                    symbol.is_match(&f.name)
                        || symbol.is_match(&f.system_name)
                        || symbol.is_match(&f.filename)
                });
                if (j == 0 && mapping_matches) || matches {
                    interest(j);
                }
            }
        }
    }
    if c.interest.is_empty() {
        return Err(no_matches(symbol));
    }

    // Disassemble around the addresses whose binary can be read; the rest keep the lines the
    // profile gives them.
    let mut objects: HashMap<u64, Option<Box<dyn ObjectFile>>> = HashMap::new();
    let mut ranges: Vec<Range> = Vec::new();
    let mut unprocessed = Vec::new();
    for (&addr, &loc) in &addrs {
        let mapping = mappings.get(&loc.mapping_id).copied();
        let has_object = mapping.is_some_and(|m| {
            objects
                .entry(m.id)
                .or_insert_with(|| tool.open(m).ok())
                .is_some()
        });
        match (mapping, has_object) {
            (Some(m), true) => match ranges.last_mut() {
                Some(r)
                    if r.mapping == m.id
                        && addr <= r.end.saturating_add(2 * EXPAND)
                        && addr < m.memory_limit =>
                {
                    r.end = addr;
                    r.score += flat.get(&addr).copied().unwrap_or(0);
                }
                _ => ranges.push(Range {
                    begin: addr,
                    end: addr,
                    mapping: m.id,
                    score: flat.get(&addr).copied().unwrap_or(0),
                }),
            },
            _ => unprocessed.push(addr),
        }
    }
    for r in &mut ranges {
        let m = mappings[&r.mapping];
        r.begin = r.begin.saturating_sub(EXPAND).max(m.memory_start);
        r.end = r.end.saturating_add(EXPAND).min(m.memory_limit);
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.score));
    ranges.truncate(MAX_RANGES);
    for r in &ranges {
        if let Some(Some(object)) = objects.get(&r.mapping) {
            c.disassemble(object.as_ref(), r, syntax);
        }
    }
    for addr in unprocessed {
        let loc = addrs[&addr];
        let frames: Vec<Frame> = loc
            .line
            .iter()
            .filter_map(|l| {
                let f = functions.get(&l.function_id)?;
                Some(Frame {
                    function: f.name.clone(),
                    file: f.filename.clone(),
                    line: l.line,
                })
            })
            .collect();
        let innermost = frames.first();
        c.insts.insert(
            addr,
            Inst {
                object_address: addr,
                length: 1,
                file: innermost.map(|f| f.file.clone()).unwrap_or_default(),
                line: innermost.map_or(0, |f| f.line),
                ..Default::default()
            },
        );
        c.add_stack(addr, &frames);
    }
    // Samples recorded inside an instruction count at its start.
    for (&addr, inst) in &mut c.insts {
        for p in addr..addr.saturating_add(inst.length) {
            inst.flat += flat.get(&p).copied().unwrap_or(0);
            inst.cum += cum.get(&p).copied().unwrap_or(0);
        }
    }
    Ok(WebListing {
        labels: header::profile_labels(report, profile),
        total: report.total,
        functions: c.functions(),
    })
}

/// Writes the `weblist` page of `profile` for the functions matching `symbol`.
pub fn write_weblist(
    w: &mut dyn Write,
    profile: &Profile,
    options: &Options,
    symbol: &Regex,
    tool: &mut dyn ObjectTool,
    syntax: Syntax,
    reader: &mut SourceReader,
) -> io::Result<()> {
    let report = Report::new(profile, options, "weblist")?;
    let listing = web_listing(profile, &report, symbol, tool, syntax, reader)?;
    html::write_page(w, &listing, &report)
}

/// A range of profile addresses to disassemble.
struct Range {
    begin: u64,
    end: u64,
    mapping: u64,
    score: i64,
}

/// Addresses past every mapping for locations that have none, as pprof makes them.
struct Synthetic {
    next: u64,
    given: HashMap<u64, u64>,
}

impl Synthetic {
    fn new(profile: &Profile) -> Synthetic {
        let next = profile
            .mapping
            .iter()
            .map(|m| m.memory_limit)
            .max()
            .unwrap_or(0)
            .max(1);
        Synthetic {
            next,
            given: HashMap::new(),
        }
    }

    fn address(&mut self, location: u64) -> u64 {
        let next = &mut self.next;
        *self.given.entry(location).or_insert_with(|| {
            *next += 1;
            *next - 1
        })
    }
}

impl Collector<'_> {
    fn disassemble(&mut self, object: &dyn ObjectFile, r: &Range, syntax: Syntax) {
        let (Some(begin), Some(last)) = (
            object.object_address(r.begin),
            object.object_address(r.end.saturating_sub(1).max(r.begin)),
        ) else {
            return;
        };
        let base = r.begin.wrapping_sub(begin);
        let Ok(code) = object.disassemble(begin, last.saturating_add(1), syntax) else {
            return;
        };
        let mut last_frames: Option<&[Frame]> = None;
        let (mut last_addr, mut max_addr) = (0u64, 0u64);
        for (i, inst) in code.iter().enumerate() {
            let addr = inst.address.wrapping_add(base);
            if addr <= max_addr {
                continue;
            }
            max_addr = addr;
            let length = match code.get(i + 1) {
                Some(next) if next.address > inst.address => next.address - inst.address,
                _ => 1,
            };
            let innermost = inst.frames.first();
            self.insts.insert(
                addr,
                Inst {
                    object_address: inst.address,
                    length,
                    text: inst.text.clone(),
                    file: innermost.map(|f| f.file.clone()).unwrap_or_default(),
                    line: innermost.map_or(0, |f| f.line),
                    ..Default::default()
                },
            );
            let mut frames: &[Frame] = &inst.frames;
            if innermost.is_some_and(|f| f.line != 0) {
                last_frames = Some(&inst.frames);
                last_addr = addr;
            } else if let Some(previous) = last_frames.filter(|_| addr - last_addr <= NEIGHBORHOOD)
            {
                frames = previous;
            }
            self.add_stack(addr, frames);
        }
    }

    /// Files `addr` under each frame of interest in `frames`, with the calls inlined below it.
    fn add_stack(&mut self, addr: u64, frames: &[Frame]) {
        for (i, f) in frames.iter().enumerate() {
            if !self.interest.contains(&f.function) {
                continue;
            }
            let file = self.files.entry(canonical_file_name(&f.file)).or_default();
            let stack = frames[..i]
                .iter()
                .rev()
                .map(|c| (c.file.clone(), c.line))
                .collect();
            file.lines.entry(f.line).or_default().push(LineInst {
                address: addr,
                stack,
            });
            file.function_at
                .entry(f.line)
                .or_insert_with(|| f.function.clone());
        }
    }

    /// The blocks to show, file by file.
    fn functions(&mut self) -> Vec<WebFunction> {
        let mut out = Vec::new();
        let names: Vec<String> = self.files.keys().cloned().collect();
        for name in names {
            let blocks = self.blocks(&name);
            for block in blocks.into_iter().filter(|b| b.cum != 0) {
                out.push(self.block_lines(&name, block));
            }
        }
        out
    }

    /// Splits a file's lines into blocks of one function each, with context around them.
    fn blocks(&self, name: &str) -> Vec<Block> {
        let file = &self.files[name];
        let mut blocks: Vec<Block> = Vec::new();
        for (&l, insts) in &file.lines {
            let mut function = file.function_at.get(&l).cloned().unwrap_or_default();
            if let Some(pretty) = self.pretty_names.get(&function) {
                function = pretty.clone();
            }
            let (flat, cum) = insts.iter().fold((0i64, 0i64), |(f, c), x| {
                let inst = &self.insts[&x.address];
                (f + inst.flat, c + inst.cum)
            });
            match blocks.last_mut() {
                Some(last) if l - last.end < MERGE_LIMIT && last.function == function => {
                    last.end = l + 1;
                    last.flat += flat;
                    last.cum += cum;
                }
                _ => blocks.push(Block {
                    function,
                    begin: l,
                    end: l + 1,
                    flat,
                    cum,
                }),
            }
        }
        for i in 0..blocks.len() {
            if i == 0 {
                // Line 0 (unknown lines) stays where it is.
                let b = &mut blocks[0];
                if b.begin > CONTEXT {
                    b.begin -= CONTEXT;
                } else if b.begin > 1 {
                    b.begin = 1;
                }
            } else {
                let half_gap = ((blocks[i].begin - blocks[i - 1].end) / 2).min(CONTEXT);
                blocks[i - 1].end += half_gap;
                blocks[i].begin -= half_gap;
            }
        }
        if let Some(last) = blocks.last_mut() {
            last.end += CONTEXT;
        }
        blocks
    }

    fn block_lines(&mut self, name: &str, block: Block) -> WebFunction {
        let mut lines = Vec::new();
        for l in block.begin..block.end {
            let insts = self.files[name].lines.get(&l).cloned().unwrap_or_default();
            let text = match self.reader.line(name, l) {
                Some(text) => text.to_string(),
                None if insts.is_empty() => continue,
                None if l == 0 => "<instructions with unknown line numbers>".to_string(),
                None => "???".to_string(),
            };
            let (mut flat, mut cum, mut last_addr) = (0i64, 0i64, 0u64);
            let mut instructions = Vec::with_capacity(insts.len());
            for x in insts {
                let inst = &self.insts[&x.address];
                flat += inst.flat;
                cum += inst.cum;
                let last_length = self.insts.get(&last_addr).map_or(0, |i| i.length);
                let starts_block = x.address != last_addr.wrapping_add(last_length);
                last_addr = x.address;
                let inst = inst.clone();
                let inline_calls = x
                    .stack
                    .into_iter()
                    .map(|(file, line)| InlineCall {
                        text: self.reader.line(&file, line).unwrap_or("").to_string(),
                        file,
                        line,
                    })
                    .collect();
                instructions.push(WebInstruction {
                    address: inst.object_address,
                    text: inst.text,
                    file: inst.file,
                    line: inst.line,
                    flat: inst.flat,
                    cum: inst.cum,
                    starts_block,
                    inline_calls,
                });
            }
            lines.push(WebLine {
                lineno: l,
                text,
                flat,
                cum,
                instructions,
            });
        }
        WebFunction {
            name: block.function,
            file: name.to_string(),
            flat: block.flat,
            cum: block.cum,
            lines,
        }
    }
}

/// A block of lines of one function, end exclusive.
struct Block {
    function: String,
    begin: i64,
    end: i64,
    flat: i64,
    cum: i64,
}

/// A frame's file as the page groups by it: `/proc/self/cwd/` and `./` dropped, cleaned.
fn canonical_file_name(name: &str) -> String {
    let name = name.strip_prefix("/proc/self/cwd/").unwrap_or(name);
    go_clean(name.strip_prefix("./").unwrap_or(name))
}
