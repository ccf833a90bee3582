//! Robert Hundt's loop-recognition benchmark ("Loop Recognition in C++/Java/Go/Scala", Scala
//! Days 2011) in Rust, in the stages in which Go's blog post "Profiling Go Programs" tuned its
//! Go port by following the profiles: oxprof's worked example, its demo and its guide.
//!
//! # Brief overview
//!
//! - [`cfg`]: the control-flow graph and the benchmark's builders of it (a top block, then
//!   ten trees of 100 loops around 25 loops of 3, about 260,000 blocks and 76,000 loops).
//! - [`stages`]: Havlak's loop finder in each [`Stage`] of the journey, from [`Stage::V1`], the
//!   first port with its `HashMap`s and `HashSet`s, to [`Stage::V6`], the tuned one; a
//!   [`Finder`] runs any of them, and every stage finds the same loops.
//! - [`lsg`]: the loop structure graph the finder fills.
//! - [`run`]: the benchmark's driver, as the `havlak` binary runs it.
//!
//! # Example
//!
//! ```
//! use havlak::{Size, Stage};
//! let size = Size { trees: 1, dummy_loops: 10, iterations: 2 };
//! let found = havlak::run(&havlak::Config { stage: Stage::V1, size, ..Default::default() })?;
//! assert_eq!((found.summary.loops, found.summary.nesting), (7600, 3));
//! # Ok::<(), String>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cfg;
pub mod lsg;
pub mod stages;

pub use stages::{Finder, LoopSummary, Stage};

use oxprof::{sync::mpsc, trace};

/// How much work the benchmark does. [`Size::default`] is the benchmark's.
///
/// ```
/// let size = havlak::Size::default();
/// assert_eq!((size.trees, size.dummy_loops, size.iterations), (10, 15_000, 50));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Loop trees in the large graph (7,600 loops each).
    pub trees: usize,
    /// Searches of the three-block graph before the large one is built.
    pub dummy_loops: usize,
    /// Searches of the large graph after the first.
    pub iterations: usize,
}

impl Default for Size {
    fn default() -> Self {
        Size {
            trees: 10,
            dummy_loops: 15_000,
            iterations: 50,
        }
    }
}

/// One run of the benchmark: the finder, the graph's size, the threads.
///
/// ```
/// let config = havlak::Config { stage: havlak::Stage::V4, ..Default::default() };
/// assert_eq!((config.threads, config.size.trees), (1, 10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The stage whose finder searches.
    pub stage: Stage,
    /// Whether the tuned stage refills its last loop graph (`-reuseloopgraph`).
    pub reuse_loop_graph: bool,
    /// How much work there is.
    pub size: Size,
    /// Threads sharing the searches after the first, each with its own finder.
    pub threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            stage: Stage::V1,
            reuse_loop_graph: true,
            size: Size::default(),
            threads: 1,
        }
    }
}

/// What a run found.
///
/// ```
/// let size = havlak::Size { trees: 1, dummy_loops: 0, iterations: 3 };
/// let config = havlak::Config { stage: havlak::Stage::V6, size, threads: 2, ..Default::default() };
/// let found = havlak::run(&config)?;
/// assert_eq!((found.passes, found.total), (4, 4 * 7600));
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The first search of the large graph: its loops and their nesting.
    pub summary: LoopSummary,
    /// Searches of the large graph, the first included.
    pub passes: usize,
    /// Loops found over all those searches.
    pub total: usize,
}

/// Stack for the threads that search: the depth-first numbering of stages v1 to v5 recurses
/// once per block on the longest path, about 23,000 blocks deep in the benchmark's graph.
const STACK_SIZE: usize = 256 << 20;

/// Runs the benchmark as its `main` does (see [`run_then`]).
///
/// ```
/// let size = havlak::Size { trees: 0, dummy_loops: 0, iterations: 0 };
/// let config = havlak::Config { stage: havlak::Stage::V2, size, ..Default::default() };
/// assert_eq!(havlak::run(&config)?.summary.loops, 0);
/// # Ok::<(), String>(())
/// ```
pub fn run(config: &Config) -> Result<Outcome, String> {
    run_then(config, || ()).map(|(outcome, ())| outcome)
}

/// Runs the benchmark as its `main` does, with the configured stage's finder: searches
/// [`cfg::simple`]'s three-block graph `dummy_loops` times, grows it into the large graph,
/// searches that once for the loops and their nesting, then `iterations` more times, on
/// `threads` threads (with one, the same finder goes on). Then, with the graph, the first
/// search's loop graph and what the finder keeps still alive, it calls `at_end` (to write a
/// heap profile of what the program holds). Every search of the large graph must find as many
/// loops as the first: an error says which did not. While an execution trace runs
/// (`oxprof::trace`), the phases are regions: `dummy loops`, `build graph`, and a `search` per
/// search, on the thread that made it.
///
/// ```
/// let size = havlak::Size { trees: 1, dummy_loops: 1, iterations: 1 };
/// let config = havlak::Config { size, ..Default::default() };
/// let (found, at_end) = havlak::run_then(&config, || "the graph is still alive")?;
/// assert_eq!((found.summary.loops, at_end), (7600, "the graph is still alive"));
/// # Ok::<(), String>(())
/// ```
pub fn run_then<R: Send>(
    config: &Config,
    at_end: impl FnOnce() -> R + Send,
) -> Result<(Outcome, R), String> {
    let (summary, counts, end) = on_search_stack(|| search(config, at_end))??;
    if let Some((pass, &n)) = counts
        .iter()
        .enumerate()
        .find(|&(_, &n)| n != summary.loops)
    {
        return Err(format!(
            "{}: search {} found {n} loops where the first found {}",
            config.stage,
            pass + 2,
            summary.loops
        ));
    }
    let outcome = Outcome {
        summary,
        passes: counts.len() + 1,
        total: summary.loops + counts.iter().sum::<usize>(),
    };
    Ok((outcome, end))
}

/// Runs `f` on a thread with room for the search's recursion: a search of the benchmark's
/// graph needs more stack than a thread gets by default.
///
/// ```
/// let mut cfg = havlak::cfg::simple();
/// havlak::cfg::add_loop_trees(&mut cfg, 10);
/// let loops = havlak::on_search_stack(|| havlak::Finder::new(havlak::Stage::V6, true).count_loops(&cfg))?;
/// assert_eq!(loops, 76_000);
/// # Ok::<(), String>(())
/// ```
pub fn on_search_stack<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R, String> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("havlak".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, f)
            .map_err(|e| format!("cannot start a thread: {e}"))?
            .join()
            .map_err(|_| "the search panicked".to_string())
    })
}

/// [`run_then`]'s searches: the first one's summary, the others' loop counts, and what
/// `at_end` returned.
fn search<R>(
    config: &Config,
    at_end: impl FnOnce() -> R,
) -> Result<(LoopSummary, Vec<usize>, R), String> {
    let Config {
        stage,
        reuse_loop_graph,
        size,
        threads,
    } = *config;
    let mut finder = Finder::new(stage, reuse_loop_graph);
    let mut cfg = cfg::simple();
    trace::with_region("dummy loops", || {
        for _ in 0..size.dummy_loops {
            finder.count_loops(&cfg);
        }
    });
    trace::with_region("build graph", || cfg::add_loop_trees(&mut cfg, size.trees));
    let summary = trace::with_region("search", || finder.summarize(&cfg));
    let counts = if threads <= 1 {
        (0..size.iterations)
            .map(|_| trace::with_region("search", || finder.count_loops(&cfg)))
            .collect()
    } else {
        search_on_threads(config, &cfg)?
    };
    let end = at_end();
    if finder.kept_loops() != Some(summary.loops) {
        return Err(format!(
            "{stage}: the first search's loop graph did not survive the others"
        ));
    }
    Ok((summary, counts, end))
}

/// The searches after the first, shared by `threads` threads with a finder each; their
/// counts come back over a channel, where the waiting shows in the block profile.
fn search_on_threads(config: &Config, cfg: &cfg::Cfg) -> Result<Vec<usize>, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for t in 0..config.threads {
            let tx = tx.clone();
            let mine = (t..config.size.iterations).step_by(config.threads).count();
            std::thread::Builder::new()
                .name(format!("havlak-{t}"))
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, move || {
                    let mut finder = Finder::new(config.stage, config.reuse_loop_graph);
                    for _ in 0..mine {
                        let loops = trace::with_region("search", || finder.count_loops(cfg));
                        if tx.send(loops).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| format!("cannot start a thread: {e}"))?;
        }
        drop(tx);
        Ok(rx.iter().collect())
    })
}
