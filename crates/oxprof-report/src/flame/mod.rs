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
/// order (a parent before its children, children in name order), so index 0 is the root and
/// every frame's descendants follow it ([`Frame::end`]); name strings are shared between frames
/// through [`FlameGraph::names`]. The flat, index-linked layout keeps millions of frames cheap to
/// build, walk and send to a browser.
///
/// ```
/// use oxprof_profile::Profile;
/// let p = Profile::parse_folded(b"main;work 3\nmain;idle 1\nmain 1\n")?;
/// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
/// let g = oxprof_report::flame::FlameGraph::new(&p, &report);
/// let main = &g.frames[1];
/// assert_eq!((g.name(main), main.value, main.self_value), ("main", 5, 1));
/// let children: Vec<&str> = g.children(1).map(|c| g.name(&g.frames[c])).collect();
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
    /// Index just past the frame's last descendant: the frame at index `i` and everything it
    /// calls are `frames[i..end]`.
    pub end: usize,
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
        let mut names = Names::default();
        names.intern(ROOT_NAME);
        let locations = LocationFrames::new(profile, &options, &mut names);
        // Every weighed sample's frames, root first, in one buffer; stacks index into it.
        let mut codes = Vec::new();
        let mut stacks = Vec::new();
        for sample in &profile.sample {
            let (weight, _) = options.weigh(sample);
            if weight == 0 {
                continue;
            }
            let start = codes.len();
            for &id in sample.location_id.iter().rev() {
                codes.extend_from_slice(locations.get(id));
            }
            stacks.push(Stack {
                frames: start..codes.len(),
                weight,
                in_base: sample.is_diff_base(),
            });
        }
        // Sorted by frame names, stacks sharing callers come together in depth-first order, so
        // one pass builds the tree with no lookup of children.
        let rank = names.ranks();
        stacks.sort_by(|a, b| {
            let key = |s: &Stack| codes[s.frames.clone()].iter().map(|c| rank[c.name()]);
            key(a).cmp(key(b))
        });
        let frames = build(&codes, &stacks);
        FlameGraph {
            sample_type: report.sample_type.clone(),
            unit: report.sample_unit.clone(),
            diff: stacks.iter().any(|s| s.in_base),
            names: names.list,
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

    /// The indices of the frames that the frame at `index` calls, in name order.
    ///
    /// ```
    /// let p = oxprof_profile::Profile::parse_folded(b"main;b;x 1\nmain;a 2\n")?;
    /// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
    /// let g = oxprof_report::flame::FlameGraph::new(&p, &report);
    /// assert_eq!(g.children(1).collect::<Vec<_>>(), [2, 3]); // a, then b (x is b's)
    /// assert_eq!(g.children(3).collect::<Vec<_>>(), [4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn children(&self, index: usize) -> Children<'_> {
        Children {
            frames: &self.frames,
            next: index + 1,
            end: self.frames.get(index).map_or(0, |f| f.end),
        }
    }
}

/// The callees of a frame: see [`FlameGraph::children`].
///
/// ```
/// let p = oxprof_profile::Profile::parse_folded(b"main 1\n")?;
/// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
/// let g = oxprof_report::flame::FlameGraph::new(&p, &report);
/// assert_eq!(g.children(1).count(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Children<'g> {
    frames: &'g [Frame],
    next: usize,
    end: usize,
}

impl Iterator for Children<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let child = self.next;
        // A child's subtree ends after the child itself, so this always moves forward.
        self.next = self.frames[child].end.max(child + 1);
        Some(child)
    }
}

/// A frame of a stack before the tree exists: its name and whether it was inlined, in one word.
#[derive(Clone, Copy)]
struct Code(usize);

impl Code {
    fn new(name: usize, inline: bool) -> Code {
        Code(name << 1 | usize::from(inline))
    }

    fn name(self) -> usize {
        self.0 >> 1
    }

    fn inline(self) -> bool {
        self.0 & 1 == 1
    }
}

/// One weighed sample: its frames in the shared buffer, root first.
struct Stack {
    frames: std::ops::Range<usize>,
    weight: i64,
    in_base: bool,
}

/// Frame names, each stored once.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    ids: HashMap<String, usize>,
}

impl Names {
    fn intern(&mut self, name: &str) -> usize {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        self.list.push(name.to_string());
        self.ids.insert(name.to_string(), self.list.len() - 1);
        self.list.len() - 1
    }

    /// Each name's position in name order.
    fn ranks(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.list.len()).collect();
        order.sort_by(|&a, &b| self.list[a].cmp(&self.list[b]));
        let mut rank = vec![0; order.len()];
        for (r, id) in order.into_iter().enumerate() {
            rank[id] = r;
        }
        rank
    }
}

/// The frames of every location, outermost first, found by location id: by position when ids
/// are 1..n in order, as in every profile oxprof reads or writes, else through a map.
struct LocationFrames {
    positions: Option<HashMap<u64, usize>>,
    frames: Vec<Vec<Code>>,
}

impl LocationFrames {
    fn new(profile: &Profile, options: &graph::GraphOptions, names: &mut Names) -> Self {
        let dense = (1..).zip(&profile.location).all(|(id, loc)| loc.id == id);
        let positions = (!dense).then(|| {
            (0..)
                .zip(&profile.location)
                .map(|(i, loc)| (loc.id, i))
                .collect()
        });
        let frames = graph::location_infos(profile, options)
            .into_iter()
            .map(|(_, infos)| frame_codes(&infos, names))
            .collect();
        LocationFrames { positions, frames }
    }

    fn get(&self, id: u64) -> &[Code] {
        let pos = match &self.positions {
            None => usize::try_from(id).ok().and_then(|id| id.checked_sub(1)),
            Some(positions) => positions.get(&id).copied(),
        };
        pos.and_then(|p| self.frames.get(p))
            .map_or(&[], Vec::as_slice)
    }
}

/// The frames of one location, outermost first; all but the outermost were inlined into the
/// frame before them.
fn frame_codes(infos: &[NodeInfo], names: &mut Names) -> Vec<Code> {
    let last = infos.len().saturating_sub(1);
    infos
        .iter()
        .enumerate()
        .rev()
        .map(|(i, info)| Code::new(names.intern(&info.printable_name()), i != last))
        .collect()
}

/// The tree of `stacks`, sorted by their frame names: each stack shares the frames of its
/// common prefix with the stack before it and opens new frames for the rest, so frames come
/// out depth first; values are then summed from the leaves up.
fn build(codes: &[Code], stacks: &[Stack]) -> Vec<Frame> {
    let mut frames = vec![Frame::default()];
    let mut path = vec![0];
    let mut previous: &[Code] = &[];
    for stack in stacks {
        let current = &codes[stack.frames.clone()];
        let common = previous
            .iter()
            .zip(current)
            .take_while(|(a, b)| a.name() == b.name())
            .count();
        while path.len() > common + 1 {
            if let Some(closed) = path.pop() {
                frames[closed].end = frames.len();
            }
        }
        for (&frame, code) in path[1..].iter().zip(current) {
            // A frame is inlined only if every call that reaches it was.
            frames[frame].inline &= code.inline();
        }
        for code in &current[common..] {
            let parent = path[path.len() - 1];
            frames.push(Frame {
                name: code.name(),
                depth: path.len(),
                parent,
                inline: code.inline(),
                ..Frame::default()
            });
            path.push(frames.len() - 1);
        }
        let leaf = &mut frames[path[path.len() - 1]];
        if stack.in_base {
            // Base samples arrive negated.
            leaf.base_self = leaf.base_self.wrapping_sub(stack.weight);
        } else {
            leaf.self_value = leaf.self_value.wrapping_add(stack.weight);
        }
        previous = current;
    }
    for closed in path.into_iter().rev() {
        frames[closed].end = frames.len();
    }
    for f in &mut frames {
        (f.value, f.base) = (f.self_value, f.base_self);
    }
    // Children come after their parents: adding each frame to its parent from the last one
    // back gives every frame its callees' values before it is added to its own parent.
    for i in (1..frames.len()).rev() {
        let (value, base, parent) = (frames[i].value, frames[i].base, frames[i].parent);
        let p = &mut frames[parent];
        p.value = p.value.wrapping_add(value);
        p.base = p.base.wrapping_add(base);
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxprof_profile::{Function, Line, Location, Sample, ValueType};

    /// A profile where `inner` is inlined into `outer` at one address and called at another.
    fn inlining() -> Profile {
        let line = |function_id| Line {
            function_id,
            ..Line::default()
        };
        let f = |id, name: &str| Function {
            id,
            name: name.into(),
            ..Function::default()
        };
        let sample = |location_id: Vec<u64>, v| Sample {
            location_id,
            value: vec![v],
            label: vec![],
        };
        Profile {
            sample_type: vec![ValueType::new("samples", "count")],
            sample: vec![
                sample(vec![1], 3),
                sample(vec![2, 3], 4),
                sample(vec![4], 5),
            ],
            location: vec![
                // `inner` inlined into `outer`: lines innermost first.
                Location {
                    id: 1,
                    line: vec![line(2), line(1)],
                    ..Location::default()
                },
                Location {
                    id: 2,
                    line: vec![line(2)],
                    ..Location::default()
                },
                Location {
                    id: 3,
                    line: vec![line(1)],
                    ..Location::default()
                },
                Location {
                    id: 4,
                    line: vec![line(3), line(1)],
                    ..Location::default()
                },
            ],
            function: vec![f(1, "outer"), f(2, "inner"), f(3, "helper")],
            ..Profile::default()
        }
    }

    #[test]
    fn inline_marks_need_every_call_inlined() {
        let p = inlining();
        let g = FlameGraph::new(&p, &Report::new(&p, &Default::default(), "flame").unwrap());
        let shape: Vec<(&str, usize, i64, bool, usize)> = g
            .frames
            .iter()
            .map(|f| (g.name(f), f.depth, f.value, f.inline, f.end))
            .collect();
        assert_eq!(
            shape,
            [
                ("root", 0, 12, false, 4),
                ("outer", 1, 12, false, 4),
                ("helper", 2, 5, true, 3),
                // Inlined at one address, called at the other: not an inlined frame.
                ("inner", 2, 7, false, 4),
            ]
        );
        assert_eq!(g.children(1).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(g.frames[3].parent, 1);
    }
}
