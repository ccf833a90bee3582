//! The loop finder in the stages of the journey, each a fix that the previous stage's profile
//! pointed to, as "Profiling Go Programs" took the Go port from `havlak1` to `havlak6`:
//!
//! | stage | the blog's | what changed |
//! |---|---|---|
//! | [`v1`] | havlak1 | the first port: DFS numbers in a `HashMap`, non-back-edge predecessors and loops' members in `HashSet`s |
//! | [`v2`] | havlak2 | DFS numbers in a `Vec` indexed by block (the CPU profile's hash lookups) |
//! | [`v4`] | havlak4 | `Vec`s instead of `HashSet`s, duplicates skipped by a scan (the heap profile's sets) |
//! | [`v5`] | havlak5 | the finder's bookkeeping kept in a global cache and reused from call to call |
//! | [`v6`] | havlak6 | `tuned`: a `LoopFinder` that owns and reuses everything, the loop graph too |
//!
//! (havlak3 only added `-memprofile`, which every stage has.) Each stage module holds its
//! whole finder, as each of the blog's files did, so `diff v1.rs v2.rs` is the step. What does
//! not change is shared here: the block classes, the ancestor test, the safeguard.

pub mod v1;
pub mod v2;
pub mod v4;
pub mod v5;
pub mod v6;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::cfg::Cfg;
use crate::lsg::Lsg;

/// How the finder classifies a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum BlockClass {
    /// A block heading no loop.
    #[default]
    NonHeader,
    /// The header of a reducible loop.
    Reducible,
    /// A block that is a loop by itself (an edge to itself).
    SelfLoop,
    /// The header of a loop with more than one entry.
    Irreducible,
    /// A block the start node does not reach.
    Dead,
}

/// A DFS number not given yet.
const UNVISITED: usize = usize::MAX;

/// Past this many non-back-edge predecessors of one block the algorithm has degenerated and
/// gives up (the benchmark's safeguard).
const MAX_NON_BACK_PREDS: usize = 32 * 1024;

/// Whether DFS number `w` is an ancestor of `v` in the depth-first spanning tree: `v` was
/// numbered during `w`'s visit, which ended with number `last[w]`.
fn is_ancestor(w: usize, v: usize, last: &[usize]) -> bool {
    w <= v && v <= last[w]
}

/// One stage of the journey.
///
/// ```
/// use havlak::Stage;
/// assert_eq!("tuned".parse(), Ok(Stage::V6));
/// assert_eq!(Stage::V2.to_string(), "v2");
/// assert!("v3".parse::<Stage>().unwrap_err().contains("v1, v2, v4, v5, v6"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The first port ([`v1`]).
    V1,
    /// DFS numbers in a `Vec` ([`v2`]).
    V2,
    /// Sets as `Vec`s ([`v4`]).
    V4,
    /// A global cache of the bookkeeping ([`v5`]).
    V5,
    /// The tuned finder ([`v6`]).
    V6,
}

impl Stage {
    /// Every stage, in the order of the journey.
    pub const ALL: [Stage; 5] = [Stage::V1, Stage::V2, Stage::V4, Stage::V5, Stage::V6];

    /// The stage's name on the command line.
    ///
    /// ```
    /// assert_eq!(havlak::Stage::V6.name(), "v6");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Stage::V1 => "v1",
            Stage::V2 => "v2",
            Stage::V4 => "v4",
            Stage::V5 => "v5",
            Stage::V6 => "v6",
        }
    }

    /// What the stage changed, in a few words.
    ///
    /// ```
    /// assert!(havlak::Stage::V1.change().contains("first port"));
    /// ```
    pub fn change(self) -> &'static str {
        match self {
            Stage::V1 => "the first port: HashMap and HashSet bookkeeping",
            Stage::V2 => "DFS numbers in a Vec instead of a HashMap",
            Stage::V4 => "Vecs instead of HashSets",
            Stage::V5 => "bookkeeping cached across calls",
            Stage::V6 => "tuned: a LoopFinder reusing everything",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Stage, String> {
        if s == "tuned" {
            return Ok(Stage::V6);
        }
        Stage::ALL
            .into_iter()
            .find(|stage| stage.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown stage {s:?}: the stages are {} (or tuned, for v6)",
                    names.join(", ")
                )
            })
    }
}

/// What one search found: the loops (the root not counted) and the depth of the deepest nest.
///
/// ```
/// let mut cfg = havlak::cfg::simple();
/// havlak::cfg::add_loop_trees(&mut cfg, 1);
/// let found = havlak::Finder::new(havlak::Stage::V1, true).summarize(&cfg);
/// assert_eq!(found, havlak::LoopSummary { loops: 7600, nesting: 3 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopSummary {
    /// Loops found, the artificial root not counted.
    pub loops: usize,
    /// The root's nesting level: how many loops deep the deepest nest is, the root included.
    pub nesting: usize,
}

/// A stage's loop finder with whatever it keeps from one search to the next (only the tuned
/// stage keeps anything of its own; v5's cache is global).
///
/// ```
/// use havlak::{Finder, Stage};
/// let mut cfg = havlak::cfg::simple();
/// havlak::cfg::add_loop_trees(&mut cfg, 1);
/// let counts: Vec<usize> = Stage::ALL.iter().map(|&s| Finder::new(s, true).count_loops(&cfg)).collect();
/// assert!(counts.iter().all(|&n| n == 7600));
/// ```
pub struct Finder {
    stage: Stage,
    tuned: v6::LoopFinder,
    /// The tuned stage's loop graph, reused from search to search when `-reuseloopgraph`.
    reused_graph: Option<Lsg<Vec<usize>>>,
    /// The last summarized search's loop graph, kept as the benchmark's `main` keeps the
    /// first one to the end.
    kept: Kept,
    summarized: bool,
}

/// A loop graph of either set type.
enum Kept {
    Nothing,
    Hashed(Lsg<HashSet<usize>>),
    Listed(Lsg<Vec<usize>>),
}

impl Finder {
    /// A finder of `stage`; `reuse_loop_graph` matters to the tuned stage only.
    ///
    /// ```
    /// let finder = havlak::Finder::new(havlak::Stage::V6, false);
    /// assert_eq!(finder.stage(), havlak::Stage::V6);
    /// ```
    pub fn new(stage: Stage, reuse_loop_graph: bool) -> Finder {
        Finder {
            stage,
            tuned: v6::LoopFinder::default(),
            reused_graph: reuse_loop_graph.then(Lsg::new),
            kept: Kept::Nothing,
            summarized: false,
        }
    }

    /// The stage this finder runs.
    ///
    /// ```
    /// assert_eq!(havlak::Finder::new(havlak::Stage::V1, true).stage(), havlak::Stage::V1);
    /// ```
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Finds the loops of `cfg` into a new loop graph and counts them, the benchmark's
    /// `FindHavlakLoops(cfg, NewLSG())`.
    ///
    /// ```
    /// let cfg = havlak::cfg::simple();
    /// assert_eq!(havlak::Finder::new(havlak::Stage::V4, true).count_loops(&cfg), 0);
    /// ```
    pub fn count_loops(&mut self, cfg: &Cfg) -> usize {
        self.search(cfg, false).loops
    }

    /// Finds the loops of `cfg` and computes their nesting; the finder keeps their loop graph
    /// until the next summary.
    ///
    /// ```
    /// let cfg = havlak::cfg::simple();
    /// let found = havlak::Finder::new(havlak::Stage::V5, true).summarize(&cfg);
    /// assert_eq!((found.loops, found.nesting), (0, 0));
    /// ```
    pub fn summarize(&mut self, cfg: &Cfg) -> LoopSummary {
        self.search(cfg, true)
    }

    /// How many loops the kept loop graph holds: the last summarized search's (the tuned
    /// stage reusing its graph keeps the last search's); `None` before any summary.
    ///
    /// ```
    /// let mut finder = havlak::Finder::new(havlak::Stage::V1, true);
    /// assert_eq!(finder.kept_loops(), None);
    /// let mut cfg = havlak::cfg::simple();
    /// havlak::cfg::add_loop_trees(&mut cfg, 1);
    /// finder.summarize(&cfg);
    /// finder.count_loops(&havlak::cfg::simple());
    /// assert_eq!(finder.kept_loops(), Some(7600));
    /// ```
    pub fn kept_loops(&self) -> Option<usize> {
        match (&self.kept, &self.reused_graph) {
            (Kept::Hashed(lsg), _) => Some(lsg.num_loops()),
            (Kept::Listed(lsg), _) => Some(lsg.num_loops()),
            (Kept::Nothing, Some(lsg)) if self.summarized => Some(lsg.num_loops()),
            (Kept::Nothing, _) => None,
        }
    }

    fn search(&mut self, cfg: &Cfg, keep: bool) -> LoopSummary {
        self.summarized |= keep;
        let (summary, kept) = match self.stage {
            Stage::V1 => search_with(v1::find_havlak_loops, cfg, Lsg::new(), keep, Kept::Hashed),
            Stage::V2 => search_with(v2::find_havlak_loops, cfg, Lsg::new(), keep, Kept::Hashed),
            Stage::V4 => search_with(v4::find_havlak_loops, cfg, Lsg::new(), keep, Kept::Listed),
            Stage::V5 => search_with(v5::find_havlak_loops, cfg, Lsg::new(), keep, Kept::Listed),
            Stage::V6 => match &mut self.reused_graph {
                Some(lsg) => {
                    lsg.reset();
                    let loops = self.tuned.find_loops(cfg, lsg);
                    let nesting = if keep {
                        lsg.calculate_nesting_level()
                    } else {
                        0
                    };
                    (LoopSummary { loops, nesting }, None)
                }
                None => {
                    let tuned = &mut self.tuned;
                    let find = |cfg: &Cfg, lsg: &mut Lsg<Vec<usize>>| tuned.find_loops(cfg, lsg);
                    search_with(find, cfg, Lsg::new(), keep, Kept::Listed)
                }
            },
        };
        if let Some(kept) = kept {
            self.kept = kept;
        }
        summary
    }
}

/// Runs a stage's search on a new loop graph; when `keep`, computes the nesting and returns
/// the graph too.
fn search_with<S: crate::lsg::Members>(
    find: impl FnOnce(&Cfg, &mut Lsg<S>) -> usize,
    cfg: &Cfg,
    mut lsg: Lsg<S>,
    keep: bool,
    wrap: fn(Lsg<S>) -> Kept,
) -> (LoopSummary, Option<Kept>) {
    let loops = find(cfg, &mut lsg);
    if !keep {
        return (LoopSummary { loops, nesting: 0 }, None);
    }
    let nesting = lsg.calculate_nesting_level();
    (LoopSummary { loops, nesting }, Some(wrap(lsg)))
}
