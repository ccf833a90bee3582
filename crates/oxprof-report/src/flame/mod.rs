//! Flame graphs: the samples of a profile merged into a tree of frames, each with the weight of
//! the samples that pass through it, and the two ways oxprof writes that tree out: folded stacks
//! ([`folded`]) and an interactive SVG ([`svg`]); [`visible`] computes the part of the tree a
//! browser can show, without building all of it.
//!
//! [`FlameGraph`] is the data model and knows no output format, so a browser view can render
//! the same tree. When the profile was compared with a `-diff_base`, every frame also carries its
//! weight in the base, and the tree is a differential flame graph: frames sized by the new
//! profile, coloured by how their own weight changed.

pub mod folded;
pub mod svg;
pub mod visible;

use std::collections::HashMap;

use oxprof_profile::Profile;

use crate::graph::{self, NodeInfo};
use crate::Report;

/// The name of the root frame, which stands for every sample.
///
/// ```
/// let p = oxprof_profile::Profile::parse_folded(b"main 1\n")?;
/// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
/// let g = oxprof_report::flame::FlameGraph::new(&p, &report);
/// assert_eq!(g.name(g.root()), oxprof_report::flame::ROOT_NAME);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const ROOT_NAME: &str = "root";

/// The samples of a profile as a tree of frames, root first. Frames are stored in depth-first
/// order (a parent before its children, children in name order), so index 0 is the root, and
/// name strings are shared between frames through [`FlameGraph::names`].
///
/// ```
/// use oxprof_profile::Profile;
/// let p = Profile::parse_folded(b"main;work 3\nmain;idle 1\nmain 1\n")?;
/// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
/// let g = oxprof_report::flame::FlameGraph::new(&p, &report);
/// let main = &g.frames[1];
/// assert_eq!((g.name(main), main.value, main.self_value), ("main", 5, 1));
/// let children: Vec<&str> = main.children.iter().map(|&c| g.name(&g.frames[c])).collect();
/// assert_eq!(children, ["idle", "work"]);
/// assert_eq!(g.root().value, 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlameGraph {
    /// What the values measure (`cpu`, `alloc_space`...).
    pub sample_type: String,
    /// Their unit (`nanoseconds`, `bytes`, `count`...).
    pub unit: String,
    /// Whether the profile was compared with a base (`-diff_base`): frames then carry base
    /// values.
    pub diff: bool,
    /// Every distinct frame name; [`Frame::name`] indexes it. The root's is [`ROOT_NAME`].
    pub names: Vec<String>,
    /// The frames, depth first; `frames[0]` is the root, which every graph has.
    pub frames: Vec<Frame>,
}

/// One frame of a [`FlameGraph`]: a function (or line, or address, at the profile's
/// granularity) reached through one particular chain of callers.
///
/// ```
/// let f = oxprof_report::flame::Frame { value: 7, base: 4, self_value: 3, base_self: 1, ..Default::default() };
/// assert_eq!(f.self_delta(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// Index of the name in [`FlameGraph::names`].
    pub name: usize,
    /// Distance from the root (the root is 0).
    pub depth: usize,
    /// Index of the calling frame; the root is its own parent.
    pub parent: usize,
    /// Weight of the samples through this frame (its width).
    pub value: i64,
    /// Weight of the samples that end here (the part no callee covers).
    pub self_value: i64,
    /// [`Frame::value`] in the base profile (0 unless the graph is a diff).
    pub base: i64,
    /// [`Frame::self_value`] in the base profile.
    pub base_self: i64,
    /// Every call into this frame was inlined into its caller.
    pub inline: bool,
    /// Indices of the called frames, in name order.
    pub children: Vec<usize>,
}

impl Frame {
    /// How much the frame's own weight grew (negative: shrank) from the base to the profile:
    /// what a differential flame graph colours.
    ///
    /// ```
    /// let shrank = oxprof_report::flame::Frame { self_value: 2, base_self: 5, ..Default::default() };
    /// assert_eq!(shrank.self_delta(), -3);
    /// ```
    pub fn self_delta(&self) -> i64 {
        self.self_value.wrapping_sub(self.base_self)
    }
}

impl FlameGraph {
    /// The flame graph of `profile` for `report`'s sample index. Frames are the profile's
    /// locations as reports name them (inlined calls as frames of their own), so the graph
    /// follows the granularity the profile was aggregated to and every filter applied to it.
    /// Samples labelled as diff-base samples (`pprof::base=true`, negated by `-diff_base`) count
    /// towards the base values instead.
    ///
    /// ```
    /// use oxprof_profile::Profile;
    /// let after = Profile::parse_folded(b"main;a 5\nmain;b 1\n")?;
    /// let before = Profile::parse_folded(b"main;a 2\nmain;b 3\n")?;
    /// let diff = after.with_base(before, true, false)?; // what -diff_base does
    /// let report = oxprof_report::Report::new(&diff, &Default::default(), "flame")?;
    /// let g = oxprof_report::flame::FlameGraph::new(&diff, &report);
    /// assert!(g.diff);
    /// let a = &g.frames[2];
    /// assert_eq!((g.name(a), a.value, a.base, a.self_delta()), ("a", 5, 2, 3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(profile: &Profile, report: &Report) -> FlameGraph {
        let options = report.graph_options();
        let mut builder = Builder::default();
        builder.intern(ROOT_NAME);
        builder.frames.push(Frame::default());
        let location_frames: HashMap<u64, Vec<(usize, bool)>> =
            graph::location_infos(profile, &options)
                .into_iter()
                .map(|(loc, infos)| (loc.id, builder.frame_names(&infos)))
                .collect();
        let mut diff = false;
        let mut path = Vec::new();
        for sample in &profile.sample {
            let (weight, _) = options.weigh(sample);
            if weight == 0 {
                continue;
            }
            let in_base = sample.is_diff_base();
            diff |= in_base;
            path.clear();
            path.push(0);
            for id in sample.location_id.iter().rev() {
                for &(name, inline) in location_frames.get(id).into_iter().flatten().rev() {
                    let parent = *path.last().unwrap_or(&0);
                    path.push(builder.child(parent, name, inline));
                }
            }
            builder.add(&path, weight, in_base);
        }
        let (names, frames) = builder.finish();
        FlameGraph {
            sample_type: report.sample_type.clone(),
            unit: report.sample_unit.clone(),
            diff,
            names,
            frames,
        }
    }

    /// The root frame, which holds every sample.
    ///
    /// ```
    /// let p = oxprof_profile::Profile::parse_folded(b"main;a 5\nmain 1\n")?;
    /// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
    /// let g = oxprof_report::flame::FlameGraph::new(&p, &report);
    /// assert_eq!((g.name(g.root()), g.root().value), ("root", 6));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn root(&self) -> &Frame {
        &self.frames[0]
    }

    /// The name of `frame`.
    ///
    /// ```
    /// let p = oxprof_profile::Profile::parse_folded(b"main;a 5\n")?;
    /// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
    /// let g = oxprof_report::flame::FlameGraph::new(&p, &report);
    /// let names: Vec<&str> = g.frames.iter().map(|f| g.name(f)).collect();
    /// assert_eq!(names, ["root", "main", "a"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self, frame: &Frame) -> &str {
        &self.names[frame.name]
    }
}

/// The tree while samples are added: frames in creation order, found by parent and name.
#[derive(Default)]
struct Builder {
    names: Vec<String>,
    name_ids: HashMap<String, usize>,
    frames: Vec<Frame>,
    children: HashMap<(usize, usize), usize>,
}

impl Builder {
    fn intern(&mut self, name: &str) -> usize {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        self.names.push(name.to_string());
        self.name_ids.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    /// The frames of one location, innermost first, as name ids with their inline mark (every
    /// line but the outermost was inlined into the next).
    fn frame_names(&mut self, infos: &[NodeInfo]) -> Vec<(usize, bool)> {
        infos
            .iter()
            .enumerate()
            .map(|(i, info)| (self.intern(&info.printable_name()), i + 1 != infos.len()))
            .collect()
    }

    fn child(&mut self, parent: usize, name: usize, inline: bool) -> usize {
        if let Some(&child) = self.children.get(&(parent, name)) {
            // A frame is inlined only if every call that reaches it was.
            self.frames[child].inline &= inline;
            return child;
        }
        let child = self.frames.len();
        self.frames.push(Frame {
            name,
            depth: self.frames[parent].depth + 1,
            parent,
            inline,
            ..Frame::default()
        });
        self.children.insert((parent, name), child);
        child
    }

    /// Adds a sample's weight along `path` (root first); base samples arrive negated.
    fn add(&mut self, path: &[usize], weight: i64, in_base: bool) {
        for &i in path {
            let f = &mut self.frames[i];
            if in_base {
                f.base = f.base.wrapping_sub(weight);
            } else {
                f.value = f.value.wrapping_add(weight);
            }
        }
        if let Some(&leaf) = path.last() {
            let f = &mut self.frames[leaf];
            if in_base {
                f.base_self = f.base_self.wrapping_sub(weight);
            } else {
                f.self_value = f.self_value.wrapping_add(weight);
            }
        }
    }

    /// Renumbers the frames depth first with children in name order, and fills in the child
    /// lists.
    fn finish(self) -> (Vec<String>, Vec<Frame>) {
        let Builder { names, frames, .. } = self;
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); frames.len()];
        for (i, f) in frames.iter().enumerate().skip(1) {
            children[f.parent].push(i);
        }
        for list in &mut children {
            list.sort_by(|&a, &b| names[frames[a].name].cmp(&names[frames[b].name]));
        }
        let mut order = Vec::with_capacity(frames.len());
        let mut stack = vec![0];
        while let Some(i) = stack.pop() {
            order.push(i);
            stack.extend(children[i].iter().rev());
        }
        let mut new_index = vec![0; frames.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut frames: Vec<Option<Frame>> = frames.into_iter().map(Some).collect();
        let renumbered = order
            .iter()
            .filter_map(|&old| {
                let mut f = frames[old].take()?;
                f.parent = new_index[f.parent];
                f.children = children[old].iter().map(|&c| new_index[c]).collect();
                Some(f)
            })
            .collect();
        (names, renumbered)
    }
}
