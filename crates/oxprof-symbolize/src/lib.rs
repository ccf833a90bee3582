//! Addresses to functions, files, lines, columns and inline chains for ELF objects, and
//! demangling.
//!
//! # Brief overview
//!
//! [`Symbolizer`] takes a [`Profile`](oxprof_profile::Profile) whose locations hold only
//! addresses and fills in their [`Line`](oxprof_profile::Line)s and
//! [`Function`](oxprof_profile::Function)s from the objects the profile's mappings name: found
//! by an explicitly given binary, by build id in debug-file directories, or at the recorded path.
//! Runtime addresses are turned into the addresses the file states using the mapping's start and
//! file offset and the object's program headers, so PIE executables, shared libraries and
//! non-PIE executables all resolve. DWARF gives files, lines, columns and inlined calls;
//! the symbol tables name what DWARF does not cover. Functions DWARF names only by their plain
//! name, as rustc's `debuginfo = "line-tables-only"` does for every function, get their path
//! from the symbol at the address or from the scopes of a declaration of the same function
//! elsewhere in the object (`core::ptr::copy<u64>` rather than `copy<u64>`). [`Report`] lists what could not be
//! symbolized; only a wrong or unreadable *given* binary is an [`Error`].
//!
//! [`Symbolizer::open_binary`] opens the object of one mapping as a [`Binary`] for the
//! assembly listings: its function symbols, source frames at any address, and its x86-64 code
//! decoded with iced-x86 ([`Binary::disassemble`]).
//!
//! [`demangle`] and [`Demangle`] turn Rust (legacy and v0) and C++ linkage names into readable
//! ones; the mangled name stays in `Function.system_name`.
//!
//! # Example
//!
//! Symbolizing an address of the running program, as the profiler does when it writes a profile:
//!
//! ```
//! use oxprof_profile::{Location, Mapping, Profile};
//!
//! #[inline(never)]
//! fn work() -> u64 { std::hint::black_box(7) }
//!
//! let address = work as *const () as usize as u64;
//! // The mapping holding `address`, as /proc/self/maps describes it.
//! let maps = std::fs::read_to_string("/proc/self/maps")?;
//! let mapping = maps.lines().find_map(|line| {
//!     let mut fields = line.split_whitespace();
//!     let (start, limit) = fields.next()?.split_once('-')?;
//!     let (start, limit) = (u64::from_str_radix(start, 16).ok()?, u64::from_str_radix(limit, 16).ok()?);
//!     let offset = u64::from_str_radix(fields.nth(1)?, 16).ok()?;
//!     let path = fields.nth(2)?;
//!     (start..limit).contains(&address).then(|| Mapping {
//!         id: 1, memory_start: start, memory_limit: limit, file_offset: offset,
//!         filename: path.into(), ..Default::default()
//!     })
//! }).expect("mapped");
//! let mut profile = Profile {
//!     mapping: vec![mapping],
//!     location: vec![Location { id: 1, mapping_id: 1, address, ..Default::default() }],
//!     ..Profile::default()
//! };
//!
//! oxprof_symbolize::Symbolizer::new().symbolize(&mut profile)?;
//!
//! let function = &profile.function[0];
//! assert!(function.name.ends_with("::work"), "{}", function.name);
//! // Demangled for display; the linkage name is kept.
//! assert!(function.system_name.starts_with("_ZN") || function.system_name.starts_with("_R"));
//! assert!(profile.mapping[0].has_functions);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod address;
mod binary;
mod cache;
mod declarations;
mod demangle;
mod disasm;
mod dwarf;
mod elf;
mod error;
mod functions;
mod loader;
mod locate;
mod naming;
mod origin;
mod resolve;
mod scope_path;
mod scope_walk;
mod symbolizer;
mod symtab;
mod units;

pub use binary::{Binary, FunctionSymbol, SourceFrame};
pub use cache::{keep_parsed_objects, parsed_objects_kept};
pub use demangle::{demangle, Demangle};
pub use disasm::{AsmSyntax, DecodedInstruction};
pub use error::{Error, ErrorKind, Result};
pub use symbolizer::{Report, Symbolizer};
