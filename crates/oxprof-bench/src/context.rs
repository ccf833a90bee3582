//! What every benchmark of one run shares: the settings, the clock, the name filter, and where
//! results are printed.

use std::cell::{Cell, RefCell};

use crate::clock::Clock;
use crate::monitor::Monitor;
use crate::names::{Filter, UniqueNames};
use crate::report::Report;
use crate::BenchTime;

pub(crate) struct Context {
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) benchtime: BenchTime,
    pub(crate) benchmem: bool,
    pub(crate) cpu: Vec<usize>,
    pub(crate) count: u64,
    /// `None`: everything runs (the programmatic [`benchmark`](crate::benchmark)).
    pub(crate) filter: Option<Filter>,
    pub(crate) names: RefCell<UniqueNames>,
    /// `None`: nothing is printed and each benchmark is measured once.
    pub(crate) report: Option<RefCell<Report>>,
    pub(crate) monitor: Option<Monitor>,
    /// Whether `oxprof::heap::Profiled` counts allocations, decided once.
    pub(crate) counting_allocs: bool,
    /// Allocation columns were printed, as zeros, because nothing counts allocations.
    pub(crate) allocs_uncounted: Cell<bool>,
    /// Width of the name column: Go's `maxLen`, grown by sub-benchmarks with slack.
    pub(crate) max_len: Cell<usize>,
    /// Length of the longest `-P` suffix.
    pub(crate) ext_len: usize,
    pub(crate) failed: Cell<bool>,
}

impl Context {
    /// A context that prints nothing and runs everything, with the given time source.
    pub(crate) fn quiet(clock: Box<dyn Clock>, benchtime: BenchTime) -> Context {
        Context {
            clock,
            benchtime,
            benchmem: false,
            cpu: vec![1],
            count: 1,
            filter: None,
            names: RefCell::default(),
            report: None,
            monitor: None,
            counting_allocs: oxprof::heap::is_installed(),
            allocs_uncounted: Cell::new(false),
            max_len: Cell::new(0),
            ext_len: 0,
            failed: Cell::new(false),
        }
    }

    /// Total allocations and allocated bytes of the process so far, zeros when not counted.
    /// Process-wide, as Go's `ReadMemStats`: allocations made by threads the benchmark starts
    /// (and by `run_parallel`'s workers) are the benchmark's too.
    #[inline]
    pub(crate) fn alloc_counts(&self) -> (u64, u64) {
        if !self.counting_allocs {
            return (0, 0);
        }
        let c = oxprof::heap::stats().process;
        (c.allocs, c.allocated_bytes)
    }
}
