//! The part of a flame graph a viewer can see: frames narrower than a fraction of the view are
//! merged into one [`ELIDED_NAME`] frame per parent, so a profile whose full tree has tens of
//! millions of frames gives a few thousand, computed without building the full tree. Zooming
//! into a frame computes its subtree again with the fraction relative to that frame, so detail
//! comes back where the viewer looks.
//!
//! Frames are named, ordered and weighed exactly as in [`FlameGraph::new`]; a frame is kept
//! when its value is at least the fraction of the zoomed frame's, which bounds the frames per
//! level by the inverse of the fraction.

use std::collections::HashMap;

use oxprof_profile::{Profile, Sample};

use super::{FlameGraph, Frame, ROOT_NAME};
use crate::graph::{self, GraphOptions};
use crate::Report;

/// The name of a frame standing for the callees of its parent that were too narrow to show.
///
/// ```
/// assert_eq!(oxprof_report::flame::visible::ELIDED_NAME, "…");
/// ```
pub const ELIDED_NAME: &str = "…";

/// What [`visible`] computed: the trimmed graph and where in it the view starts.
///
/// ```
/// let p = oxprof_profile::Profile::parse_folded(b"main;a 5\n")?;
/// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
/// let v = oxprof_report::flame::visible::visible(&p, &report, &[], 0.001);
/// assert_eq!((v.zoom, v.graph.frames.len()), (0, 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible {
    /// The frames: the chain from the root to the zoomed frame (each with only the next as its
    /// child), then the zoomed frame's subtree, depth first as in [`FlameGraph`].
    pub graph: FlameGraph,
    /// Index (and depth) of the zoomed frame: how much of the asked path exists.
    pub zoom: usize,
    /// Frames lighter than this were merged into [`ELIDED_NAME`] frames.
    pub min_value: i64,
}

/// The visible flame graph of `profile` for `report`'s sample index, zoomed into the frame
/// reached through `zoom` (frame names below the root; as much of it as exists), keeping the
/// frames whose value is at least `min_fraction` of the zoomed frame's.
///
/// ```
/// use oxprof_profile::Profile;
/// use oxprof_report::flame::visible::{visible, ELIDED_NAME};
/// let p = Profile::parse_folded(b"main;big 98\nmain;small1 1\nmain;small2 1\n")?;
/// let report = oxprof_report::Report::new(&p, &Default::default(), "flame")?;
/// let v = visible(&p, &report, &[], 0.05);
/// let names: Vec<&str> = v.graph.frames.iter().map(|f| v.graph.name(f)).collect();
/// assert_eq!(names, ["root", "main", "big", ELIDED_NAME]);
/// assert_eq!(v.graph.frames[3].value, 2);
/// // Zoomed into main, 2 of 100 is above 1%: the small frames show.
/// let v = visible(&p, &report, &["main".to_string()], 0.01);
/// assert_eq!((v.zoom, v.graph.frames.len()), (1, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn visible(profile: &Profile, report: &Report, zoom: &[String], min_fraction: f64) -> Visible {
    let options = report.graph_options();
    let mut names = Names::default();
    names.intern(ROOT_NAME);
    let frames_of = location_frames(profile, &options, &mut names);
    let zoom_ids: Vec<u32> = zoom
        .iter()
        .map_while(|z| names.ids.get(z.as_str()).copied())
        .collect();

    // How far each sample follows the zoom path, and the weights of the frames along it.
    let mut chain = vec![Weights::default(); zoom_ids.len() + 1];
    let mut walkers = Vec::with_capacity(profile.sample.len());
    let mut matched = Vec::with_capacity(profile.sample.len());
    for sample in &profile.sample {
        let (weight, _) = options.weigh(sample);
        if weight == 0 {
            continue;
        }
        let mut walker = Walker::new(sample, weight);
        let mut depth = 0;
        while depth < zoom_ids.len() {
            match walker.peek(&frames_of) {
                Some(id) if id >> 1 == zoom_ids[depth] => {
                    walker.advance(&frames_of);
                    depth += 1;
                    let inline = &mut chain[depth].all_inline;
                    *inline = Some(inline.unwrap_or(true) && id & 1 == 1);
                }
                _ => break,
            }
        }
        let ends = walker.peek(&frames_of).is_none();
        for (i, w) in chain.iter_mut().enumerate().take(depth + 1) {
            w.add(weight, walker.in_base, ends && i == depth);
        }
        walkers.push(walker);
        matched.push(depth);
    }
    // The deepest frame of the path that has samples.
    let zoom_depth = (0..chain.len())
        .rev()
        .find(|&d| chain[d].value != 0 || chain[d].base != 0)
        .unwrap_or(0);
    // The samples below it, each about to take its frame one level below it.
    let walkers: Vec<Walker> = walkers
        .into_iter()
        .zip(matched)
        .filter(|&(_, depth)| depth >= zoom_depth)
        .map(|(mut w, _)| {
            w.restart();
            for _ in 0..zoom_depth {
                w.advance(&frames_of);
            }
            w
        })
        .collect();

    let zoom_weights = chain[zoom_depth];
    let min_value = (min_fraction * zoom_weights.value.unsigned_abs() as f64).ceil() as i64;
    let mut out = Vec::new();
    // Each frame's callees while the tree is made, by index into `out`.
    let mut children: Vec<Vec<usize>> = Vec::new();
    for (depth, w) in chain.iter().enumerate().take(zoom_depth + 1) {
        let name = if depth == 0 { 0 } else { zoom_ids[depth - 1] };
        out.push(w.frame(name as usize, depth, depth.saturating_sub(1)));
        children.push(Vec::new());
        if depth > 0 {
            children[depth - 1] = vec![depth];
        }
    }
    let diff = profile.sample.iter().any(Sample::is_diff_base);
    build_subtree(
        walkers,
        &frames_of,
        &mut names,
        &mut out,
        &mut children,
        zoom_depth,
        min_value.max(1),
    );
    let names = keep_used_names(names.list, &mut out);
    Visible {
        graph: FlameGraph {
            sample_type: report.sample_type.clone(),
            unit: report.sample_unit.clone(),
            diff,
            names,
            frames: out,
        },
        zoom: zoom_depth,
        min_value: min_value.max(1),
    }
}

/// Every name was interned, but only the frames kept need theirs: the names of a profile's
/// functions can outweigh the visible frames a hundredfold. Renumbers `frames`' names.
fn keep_used_names(list: Vec<String>, frames: &mut [Frame]) -> Vec<String> {
    let mut new_index = vec![usize::MAX; list.len()];
    let mut kept = Vec::new();
    for f in frames.iter_mut() {
        if new_index[f.name] == usize::MAX {
            new_index[f.name] = kept.len();
            kept.push(f.name);
        }
        f.name = new_index[f.name];
    }
    let mut list: Vec<Option<String>> = list.into_iter().map(Some).collect();
    kept.iter().filter_map(|&i| list[i].take()).collect()
}

/// Frame names, interned.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Names {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.list.len() as u32;
        self.list.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }
}

/// Each location's frames, outermost first, as `name << 1 | inline` (every frame of a location
/// but the outermost was inlined into the next), as [`FlameGraph::new`] names them.
fn location_frames(
    profile: &Profile,
    options: &GraphOptions,
    names: &mut Names,
) -> HashMap<u64, Vec<u32>> {
    graph::location_infos(profile, options)
        .into_iter()
        .map(|(loc, infos)| {
            let n = infos.len();
            let frames = infos
                .iter()
                .enumerate()
                .rev()
                .map(|(i, info)| names.intern(&info.printable_name()) << 1 | u32::from(i + 1 != n))
                .collect();
            (loc.id, frames)
        })
        .collect()
}

/// A sample's frames, taken one at a time from the root on: a flame graph only needs the frames
/// of the samples below the frames it keeps, often a few levels of a deep stack.
#[derive(Clone, Copy)]
struct Walker<'a> {
    /// The sample's locations, leaf first.
    locations: &'a [u64],
    /// How many locations, counted from the root, were taken entirely.
    taken: usize,
    /// How many frames of the next location were taken.
    inner: usize,
    weight: i64,
    in_base: bool,
}

impl<'a> Walker<'a> {
    fn new(sample: &'a Sample, weight: i64) -> Walker<'a> {
        Walker {
            locations: &sample.location_id,
            taken: 0,
            inner: 0,
            weight,
            in_base: sample.is_diff_base(),
        }
    }

    fn restart(&mut self) {
        (self.taken, self.inner) = (0, 0);
    }

    /// The next frame (`name << 1 | inline`), if the stack goes on.
    fn advance(&mut self, frames_of: &HashMap<u64, Vec<u32>>) -> Option<u32> {
        while self.taken < self.locations.len() {
            let id = self.locations[self.locations.len() - 1 - self.taken];
            let frames = frames_of.get(&id).map_or(&[][..], Vec::as_slice);
            if let Some(&frame) = frames.get(self.inner) {
                self.inner += 1;
                return Some(frame);
            }
            (self.taken, self.inner) = (self.taken + 1, 0);
        }
        None
    }

    /// The next frame, not taken.
    fn peek(&self, frames_of: &HashMap<u64, Vec<u32>>) -> Option<u32> {
        self.clone().advance(frames_of)
    }
}

/// The weights of one frame.
#[derive(Debug, Clone, Copy, Default)]
struct Weights {
    value: i64,
    self_value: i64,
    base: i64,
    base_self: i64,
    all_inline: Option<bool>,
}

impl Weights {
    /// Adds a sample's weight; base samples arrive negated (`-diff_base`).
    fn add(&mut self, weight: i64, in_base: bool, ends_here: bool) {
        let (total, own) = if in_base {
            (&mut self.base, &mut self.base_self)
        } else {
            (&mut self.value, &mut self.self_value)
        };
        let weight = if in_base {
            weight.wrapping_neg()
        } else {
            weight
        };
        *total = total.wrapping_add(weight);
        if ends_here {
            *own = own.wrapping_add(weight);
        }
    }

    fn frame(&self, name: usize, depth: usize, parent: usize) -> Frame {
        Frame {
            name,
            depth,
            parent,
            value: self.value,
            self_value: self.self_value,
            base: self.base,
            base_self: self.base_self,
            inline: self.all_inline.unwrap_or(false),
            end: 0,
        }
    }
}

/// Appends the subtree of frame `top` (whose samples `walkers` are about to take their frames
/// below it) to `out`, with callees in name order, merging callees lighter than `min_value`.
/// `children` lists each frame's callees by index into `out`. A frame's own value is set when
/// its callees are made: the samples that have no frame below it.
fn build_subtree(
    mut walkers: Vec<Walker>,
    frames_of: &HashMap<u64, Vec<u32>>,
    names: &mut Names,
    out: &mut Vec<Frame>,
    children: &mut Vec<Vec<usize>>,
    top: usize,
    min_value: i64,
) {
    // Each sample's frame at the level being grouped.
    let mut next: Vec<Option<u32>> = vec![None; walkers.len()];
    let mut order: Vec<u32> = (0..walkers.len() as u32).collect();
    // Frames whose callees are still to be made, with the range of `order` of their samples.
    let mut stack = vec![(top, 0..order.len())];
    while let Some((parent, range)) = stack.pop() {
        for &s in &order[range.clone()] {
            next[s as usize] = walkers[s as usize].advance(frames_of);
        }
        let slice = &mut order[range.clone()];
        slice.sort_unstable_by_key(|&s| next[s as usize].map_or(u32::MAX, |id| id >> 1));
        let mut groups = Vec::new();
        let mut elided = Weights::default();
        let mut own = Weights::default();
        let mut i = 0;
        while i < slice.len() {
            let Some(id) = next[slice[i] as usize] else {
                // The rest end at `parent`.
                for &s in &slice[i..] {
                    let w = &walkers[s as usize];
                    own.add(w.weight, w.in_base, true);
                }
                break;
            };
            let name = id >> 1;
            let mut w = Weights::default();
            let mut j = i;
            while j < slice.len() {
                match next[slice[j] as usize] {
                    Some(other) if other >> 1 == name => {
                        let p = &walkers[slice[j] as usize];
                        w.add(p.weight, p.in_base, false);
                        w.all_inline = Some(w.all_inline.unwrap_or(true) && other & 1 == 1);
                    }
                    _ => break,
                }
                j += 1;
            }
            if w.value >= min_value {
                groups.push((name, w, range.start + i..range.start + j));
            } else {
                for &s in &slice[i..j] {
                    let p = &walkers[s as usize];
                    elided.add(p.weight, p.in_base, true);
                }
            }
            i = j;
        }
        (out[parent].self_value, out[parent].base_self) = (own.self_value, own.base_self);
        groups.sort_by(|a, b| names.list[a.0 as usize].cmp(&names.list[b.0 as usize]));
        let depth = out[parent].depth + 1;
        // Callees are made when popped, so push them last first; the elided frame goes last.
        let mut pending = Vec::new();
        for (name, w, range) in groups {
            pending.push((Some((name, w)), range));
        }
        if elided.value != 0 || elided.base != 0 {
            pending.push((None, 0..0));
        }
        for (group, range) in pending {
            let index = out.len();
            let frame = match group {
                Some((name, w)) => w.frame(name as usize, depth, parent),
                None => {
                    let name = names.intern(ELIDED_NAME) as usize;
                    elided.frame(name, depth, parent)
                }
            };
            out.push(frame);
            children.push(Vec::new());
            children[parent].push(index);
            if !range.is_empty() {
                stack.push((index, range));
            }
        }
    }
    // Callees were added level by level; depth-first order wants each subtree after its frame.
    renumber_depth_first(out, children);
}

/// Puts `frames` (parents before children, `children` listed in order) into depth-first order
/// and sets each frame's [`Frame::end`].
fn renumber_depth_first(frames: &mut Vec<Frame>, children: &[Vec<usize>]) {
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
    let mut old: Vec<Option<Frame>> = std::mem::take(frames).into_iter().map(Some).collect();
    *frames = order
        .iter()
        .filter_map(|&i| {
            let mut f = old[i].take()?;
            f.parent = new_index[f.parent];
            Some(f)
        })
        .collect();
    // A subtree ends where the next frame at its depth or above begins.
    let mut open: Vec<usize> = Vec::new();
    for i in 0..frames.len() {
        while let Some(&last) = open.last() {
            if frames[last].depth < frames[i].depth {
                break;
            }
            frames[last].end = i;
            open.pop();
        }
        open.push(i);
    }
    for last in open {
        frames[last].end = frames.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &Visible) -> Vec<String> {
        v.graph
            .frames
            .iter()
            .map(|f| format!("{}{}:{}", "  ".repeat(f.depth), v.graph.name(f), f.value))
            .collect()
    }

    fn folded(text: &str) -> (Profile, Report) {
        let p = Profile::parse_folded(text.as_bytes()).unwrap();
        let r = Report::new(&p, &Default::default(), "flame").unwrap();
        (p, r)
    }

    #[test]
    fn without_trimming_it_equals_the_full_graph() {
        let text = "a;b;c 3\na;b 2\na;d;c 1\ne 4\na;b;c;b 1\nd;a 2\n";
        let (p, r) = folded(text);
        let full = FlameGraph::new(&p, &r);
        let v = visible(&p, &r, &[], 0.0);
        assert_eq!(v.zoom, 0);
        let shape = |g: &FlameGraph| -> Vec<(String, usize, usize, i64, i64, usize)> {
            g.frames
                .iter()
                .map(|f| {
                    let n = g.name(f).to_string();
                    (n, f.depth, f.parent, f.value, f.self_value, f.end)
                })
                .collect()
        };
        assert_eq!(shape(&v.graph), shape(&full));
    }

    #[test]
    fn only_the_names_of_kept_frames_are_listed() {
        let (p, r) = folded("m;a 50\nm;b 1\nm;c 1\nm;a;x 1\nm;a;y 47\n");
        let v = visible(&p, &r, &[], 0.03);
        assert_eq!(v.graph.names, ["root", "m", "a", "y", ELIDED_NAME]);
    }

    #[test]
    fn narrow_callees_merge_per_parent() {
        let (p, r) = folded("m;a 50\nm;b 1\nm;c 1\nm;a;x 1\nm;a;y 47\n");
        let v = visible(&p, &r, &[], 0.03);
        assert_eq!(
            names(&v),
            [
                "root:100",
                "  m:100",
                "    a:98",
                "      y:47",
                "      …:1",
                "    …:2"
            ]
        );
        assert_eq!(v.min_value, 3);
    }

    #[test]
    fn zoom_keeps_the_chain_and_shows_detail_below() {
        let (p, r) = folded("m;a 50\nm;b 1\nm;c 1\nm;a;x 1\nm;a;y 47\n");
        let v = visible(&p, &r, &["m".into(), "a".into()], 0.01);
        assert_eq!(v.zoom, 2);
        assert_eq!(
            names(&v),
            ["root:100", "  m:100", "    a:98", "      x:1", "      y:47"]
        );
        assert_eq!(v.graph.frames[2].self_value, 50);
        // A path that leaves the graph stops where it does.
        let v = visible(&p, &r, &["m".into(), "zz".into()], 0.5);
        assert_eq!(v.zoom, 1);
        assert_eq!(
            names(&v),
            ["root:100", "  m:100", "    a:98", "      …:48", "    …:2"]
        );
    }

    #[test]
    fn diff_graphs_carry_base_values() {
        let after = Profile::parse_folded(b"main;a 5\nmain;b 1\n").unwrap();
        let before = Profile::parse_folded(b"main;a 2\nmain;b 3\n").unwrap();
        let diff = after.with_base(before, true, false).unwrap();
        let r = Report::new(&diff, &Default::default(), "flame").unwrap();
        let full = FlameGraph::new(&diff, &r);
        let v = visible(&diff, &r, &[], 0.0);
        assert!(v.graph.diff);
        let named = |g: &FlameGraph| -> Vec<(String, Frame)> {
            g.frames
                .iter()
                .map(|f| {
                    (
                        g.name(f).to_string(),
                        Frame {
                            name: 0,
                            ..f.clone()
                        },
                    )
                })
                .collect()
        };
        assert_eq!(named(&v.graph), named(&full));
    }
}
