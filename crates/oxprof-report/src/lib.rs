//! Turns profiles into answers: call graph construction and trimming with pprof's semantics, and
//! the text reports `top`, `tree`, `peek`, `traces`, `tags`, `raw` and `comments`, formatted as
//! `go tool pprof` formats them.
//!
//! # Brief overview
//!
//! [`Options`] holds pprof's report options (`nodecount`, `nodefraction`, `sort`, `unit`...);
//! [`Report`] binds them to a profile and a command (sample type, unit, total).
//! [`graph::Graph`] collects samples into nodes and edges with flat and cumulative weights, and
//! [`graph::trimmed`] drops and cuts nodes as pprof does. Each report module (`top`, `tree`,
//! `traces`, `tags`, `raw`, `comments`) writes one format, and [`measurement`] formats values
//! and percentages exactly as pprof does. The call graph is also drawn: [`dot::DotGraph`] styles
//! it as pprof's `-dot` does, [`layout`] places it without Graphviz and [`svg`] draws it;
//! [`callgrind`] writes it for KCachegrind.
//!
//! Everything here is a pure function over data that writes to `&mut dyn Write`: filters and
//! granularity are applied to the profile before a report is made (`oxprof-profile`).
//!
//! # Example
//!
//! ```
//! use oxprof_profile::Profile;
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/go/cpu.pprof"))?;
//! let profile = Profile::parse(&bytes)?;
//! let options = oxprof_report::Options { node_count: Some(3), ..Default::default() };
//! let mut out = Vec::new();
//! oxprof_report::top::write_top(&mut out, &profile, &options)?;
//! let text = String::from_utf8(out)?;
//! assert!(text.contains("Showing top 3 nodes out of"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
pub mod callgrind;
pub mod comments;
pub mod disasm;
pub mod dot;
pub mod flame;
mod go_time;
pub mod graph;
pub mod header;
pub mod layout;
pub mod list;
pub mod measurement;
pub mod objects;
pub mod options;
pub mod raw;
pub mod source_files;
pub mod svg;
pub mod tags;
pub mod top;
pub mod traces;
pub mod tree;
pub mod weblist;
pub use options::{Options, Report};
