//! Turns profiles into answers: call graph construction and trimming with pprof's semantics, and
//! the text reports `top`, `tree`, `peek`, `traces`, `tags`, `raw` and `comments`, formatted as
//! `go tool pprof` formats them.
//!
//! Everything here is a pure function over data that writes to `&mut dyn Write`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
pub mod measurement;
pub mod comments;
pub mod raw;
pub mod tags;
pub mod traces;
pub mod graph;
pub mod header;
pub mod options;
pub mod top;
pub mod tree;
pub use options::{Options, Report};
