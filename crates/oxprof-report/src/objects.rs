//! What the assembly listings (`disasm`, `weblist`) need from the binaries a profile's samples
//! ran in, as traits the caller implements: pprof's `ObjTool` and `ObjFile`. Reports stay free
//! of file access and of any one disassembler; `oxprof` implements these over
//! `oxprof-symbolize` and iced-x86, tests over fixed tables.
//!
//! Addresses come in two kinds: *profile* addresses, where the code ran (`Location.address`,
//! `Mapping.memory_start`), and *object* addresses, where the file's symbols and line tables
//! put it. [`ObjectFile::object_address`] turns the first into the second.

use std::io;

use oxprof_profile::Mapping;

/// Assembly syntax for instruction text.
///
/// ```
/// assert_eq!(oxprof_report::objects::Syntax::default(), oxprof_report::objects::Syntax::Att);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Syntax {
    /// AT&T syntax, as `objdump` prints by default: `mov %rsp,%rbp`.
    #[default]
    Att,
    /// Intel syntax (`-intel_syntax`): `mov rbp,rsp`.
    Intel,
}

/// A function symbol of an object file.
///
/// ```
/// let s = oxprof_report::objects::Symbol { name: "app::main".into(), linkage_name: "_ZN3app4main17h0123456789abcdefE".into(), start: 0x1000, end: 0x1010 };
/// assert!(s.contains(0x100f) && !s.contains(0x1010));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Symbol {
    /// The name shown, as the profile names functions (demangled).
    pub name: String,
    /// The name in the symbol table (mangled); regular expressions may match either.
    pub linkage_name: String,
    /// First object address of the function.
    pub start: u64,
    /// Object address just past its last byte.
    pub end: u64,
}

impl Symbol {
    /// Whether object address `address` lies in the function.
    pub fn contains(&self, address: u64) -> bool {
        (self.start..self.end).contains(&address)
    }
}

/// One source frame of an instruction's inline chain.
///
/// ```
/// let f = oxprof_report::objects::Frame { function: "main".into(), file: "/src/main.rs".into(), line: 3 };
/// assert_eq!(f.line, 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// Function name, as the profile names functions.
    pub function: String,
    /// Source file, as the line tables record it.
    pub file: String,
    /// Line, 0 when unknown.
    pub line: i64,
}

/// One decoded machine instruction.
///
/// ```
/// let i = oxprof_report::objects::Instruction { address: 0x1000, length: 1, text: "ret".into(), frames: vec![] };
/// assert_eq!(i.text, "ret");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instruction {
    /// Object address.
    pub address: u64,
    /// Length in bytes.
    pub length: u64,
    /// The instruction in the requested syntax.
    pub text: String,
    /// Its source frames, innermost inlined callee first; empty without line information.
    pub frames: Vec<Frame>,
}

/// An object file opened for one mapping of a profile.
pub trait ObjectFile {
    /// The object address of profile address `address`, `None` when the mapping cannot hold it.
    fn object_address(&self, address: u64) -> Option<u64>;

    /// The object's function symbols.
    fn symbols(&self) -> &[Symbol];

    /// The instructions whose first byte lies in object addresses `start..end`.
    fn disassemble(&self, start: u64, end: u64, syntax: Syntax) -> io::Result<Vec<Instruction>>;
}

/// Opens the object files of a profile's mappings.
///
/// ```
/// use oxprof_report::objects::{ObjectFile, ObjectTool};
/// struct NoBinaries;
/// impl ObjectTool for NoBinaries {
///     fn open(&mut self, mapping: &oxprof_profile::Mapping) -> std::io::Result<Box<dyn ObjectFile>> {
///         Err(std::io::Error::other(format!("no binary for {}", mapping.filename)))
///     }
/// }
/// assert!(NoBinaries.open(&Default::default()).is_err());
/// ```
pub trait ObjectTool {
    /// The object file of `mapping`; the error says why it cannot be used (missing, another
    /// build, an architecture not disassembled).
    fn open(&mut self, mapping: &Mapping) -> io::Result<Box<dyn ObjectFile>>;
}
