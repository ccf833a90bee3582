//! oxprof's execution trace format: what the `oxprof::trace` runtime writes and
//! `oxprof trace` reads. A trace says *when*: which thread ran which region of which task,
//! where it waited and who let it go, what the CPU profiler saw at each instant.
//!
//! # Brief overview
//!
//! [`parse`] reads a file into a [`Trace`]: its threads, its [`Event`]s in time order, and the
//! string, stack and symbol tables they refer to. [`encode`] writes the format (the runtime
//! uses it; tests and tools can make traces with it). [`wire`] holds the constants both sides
//! share.
//!
//! # The format
//!
//! Modelled on Go's execution trace v2 (Go 1.22):
//!
//! - a 16-byte header, [`wire::MAGIC`];
//! - then *batches*: a kind byte ([`wire::BatchKind`]), uvarints `generation`, `thread`,
//!   `time` and `len`, and `len` bytes of payload. Threads buffer their events on their own
//!   (no lock on the hot path) and hand over whole batches of at most 64 KiB;
//! - events ([`wire::EventType`]) are a type byte, the uvarint delta in nanoseconds from the
//!   previous event of the batch (the first counts from the batch's `time`), and a fixed list
//!   of uvarint arguments per type. Times are `CLOCK_MONOTONIC` nanoseconds;
//! - batches come in *generations* of about a second. Each generation is self-contained: it
//!   opens with a clock sync (monotonic and wall time), carries its own string, stack,
//!   symbol, mapping and thread tables, and closes with an end batch. A reader keeps only
//!   complete generations, so a file cut anywhere (a process killed while tracing) loses at
//!   most its last, unfinished generation, and any suffix of whole generations (what a flight
//!   recorder keeps) is a valid trace.
//!
//! Strings and stacks are ids in per-thread tables of the generation, so threads intern them
//! without sharing anything; the reader merges every table into one.
//!
//! # Example
//!
//! ```
//! use oxprof_trace::encode::{Events, GenerationEncoder};
//! use oxprof_trace::EventKind;
//!
//! let mut generation = GenerationEncoder::new(1, 0, 0);
//! generation.strings(7, [(1, "handle request")]);
//! let mut events = Events::new(0);
//! events.region_begin(100, 0, 1);
//! events.region_end(350, 0, 1);
//! generation.events(7, &events);
//! let mut file = oxprof_trace::wire::MAGIC.to_vec();
//! file.extend(generation.finish(1_000));
//!
//! let trace = oxprof_trace::parse(&file)?;
//! let EventKind::RegionBegin { name, .. } = trace.events[0].kind else { panic!() };
//! assert_eq!(trace.str(name), "handle request");
//! assert_eq!(trace.events[1].time - trace.events[0].time, 250);
//! # Ok::<(), oxprof_trace::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analysis;
pub mod encode;
pub mod export;
mod model;
mod read;
pub mod timeline;
pub mod window;
pub mod wire;

pub use model::{Event, EventKind, Frame, Generation, Mapping, StackId, StrId, Thread, Trace};
pub use read::{parse, Error};
