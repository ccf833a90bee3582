//! What a viewer draws of a time window at a given resolution, computed without walking the
//! whole trace: a [`View`] indexes a [`Timeline`]'s slices by lane and depth (where slices never
//! overlap, so starts and ends are both sorted), and [`View::window`] binary-searches each level
//! for the window and merges the slices narrower than a pixel, with the gaps between them under
//! a pixel, into one aggregated [`Item`]. A window answer has at most a few items per pixel
//! column of each level whatever the trace's size, and never more than its `max_items`.

use crate::timeline::{Flow, Slice, TaskSpan, Timeline};

/// One level of a lane: the intervals of one depth, by start, with prefix sums of their
/// durations so the busy time of any run of them is two lookups.
#[derive(Debug, Default)]
struct Level {
    start: Vec<u64>,
    end: Vec<u64>,
    /// Index of each interval in its lane (or in the tasks).
    index: Vec<u32>,
    /// `busy[i]`: the summed durations of intervals `..i`.
    busy: Vec<u64>,
}

impl Level {
    fn push(&mut self, start: u64, end: u64, index: usize) {
        if self.busy.is_empty() {
            self.busy.push(0);
        }
        let before = *self.busy.last().expect("pushed above");
        self.start.push(start);
        self.end.push(end);
        self.index.push(index as u32);
        self.busy.push(before + end.saturating_sub(start));
    }

    /// Appends the items of `[from, to)` at resolution `res` (ns per pixel) to `out`.
    fn window(&self, depth: u32, from: u64, to: u64, res: u64, out: &mut Vec<Item>, cap: usize) {
        let n = self.start.len();
        let mut i = self.end.partition_point(|&e| e <= from);
        let wide = |k: usize| self.end[k].saturating_sub(self.start[k]) >= res;
        while i < n && self.start[i] < to {
            if out.len() >= cap {
                return;
            }
            if wide(i) {
                out.push(self.item(depth, i, i + 1));
                i += 1;
                continue;
            }
            // A run of narrow intervals: take every interval starting before the end of the
            // current pixel column, then go on while the next one starts within a pixel of
            // the run's end and is narrow too. Jumps are searches, so the cost is per pixel
            // column, not per interval.
            let first = i;
            let mut end = self.end[i];
            loop {
                let column_end = (end.max(from).saturating_sub(from) / res + 1) * res + from;
                let mut j = i + gallop(&self.start[i..], |&s| s < column_end);
                if j > i + 1 && wide(j - 1) {
                    j -= 1;
                }
                j = j.max(i + 1);
                end = end.max(self.end[j - 1]);
                i = j;
                if i >= n || self.start[i] >= to || wide(i) || self.start[i] >= end + res {
                    break;
                }
            }
            out.push(self.item(depth, first, i));
        }
    }

    fn item(&self, depth: u32, first: usize, past: usize) -> Item {
        Item {
            start: self.start[first],
            // Intervals of a level do not overlap: the last ends last.
            end: self.end[past - 1].max(self.end[first]),
            depth,
            index: self.index[first],
            count: (past - first) as u32,
            busy: self.busy[past] - self.busy[first],
        }
    }
}

/// A slice, or slices merged because each is narrower than a pixel, as a window shows it.
///
/// ```
/// let item = oxprof_trace::window::Item { start: 0, end: 10, depth: 0, index: 3, count: 1, busy: 10 };
/// assert!(item.count == 1); // one slice: `index` is its index in the lane
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Start of the first slice (monotonic ns).
    pub start: u64,
    /// End of the last.
    pub end: u64,
    /// Nesting depth (for tasks, the row).
    pub depth: u32,
    /// Index of the first slice in its lane's [`slices`](crate::timeline::Lane::slices) (for
    /// tasks, in [`Timeline::tasks`]).
    pub index: u32,
    /// How many slices it stands for.
    pub count: u32,
    /// Their summed durations (ns).
    pub busy: u64,
}

/// Point events (logs, counter values) thinned to a few per pixel column.
///
/// ```
/// let p = oxprof_trace::window::Point { time: 5, index: 0, count: 2 };
/// assert_eq!(p.count, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Time of the first event of the column (monotonic ns).
    pub time: u64,
    /// Its index in its list.
    pub index: u32,
    /// How many events of the column it stands for.
    pub count: u32,
}

/// One lane's part of a window.
///
/// ```
/// let lane = oxprof_trace::window::LaneWindow::default();
/// assert!(lane.items.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaneWindow {
    /// Index of the lane in [`Timeline::lanes`].
    pub lane: usize,
    /// Slices and merged slices, level by level.
    pub items: Vec<Item>,
    /// Logs, thinned to one per four pixel columns.
    pub logs: Vec<Point>,
    /// CPU share points (time, share of a CPU), the highest of each pixel column.
    pub cpu: Vec<(u64, f64)>,
}

/// A window: what to draw of `[from, to)`.
///
/// ```
/// let w = oxprof_trace::window::Window::default();
/// assert!(!w.truncated);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    /// Start (monotonic ns).
    pub from: u64,
    /// End.
    pub to: u64,
    /// Nanoseconds per pixel.
    pub resolution: u64,
    /// One per lane, in the timeline's order.
    pub lanes: Vec<LaneWindow>,
    /// Tasks, in rows (the items' depth), indexes into [`Timeline::tasks`].
    pub tasks: Vec<Item>,
    /// Flows into the waits the window shows unmerged (at least a pixel wide): indexes into
    /// [`Timeline::flows`].
    pub flows: Vec<u32>,
    /// Per process counter, its points: (time, lowest, highest) of each pixel column.
    pub counters: Vec<Vec<(u64, u64, u64)>>,
    /// Whether `max_items` cut the answer short.
    pub truncated: bool,
}

/// Pixel columns per log mark.
const LOG_COLUMNS: u64 = 4;

/// How many rows tasks are laid out in; later overlapping tasks share the last row.
const TASK_ROWS: usize = 32;

/// A [`Timeline`] indexed for windows.
///
/// ```
/// let view = oxprof_trace::window::View::new(oxprof_trace::timeline::Timeline::default());
/// let w = view.window(0, 100, 10, 1000).unwrap();
/// assert!(w.lanes.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct View {
    /// The timeline.
    pub timeline: Timeline,
    /// Per lane, its levels by depth.
    levels: Vec<Vec<Level>>,
    /// Per lane, each slice's parent slice (`u32::MAX`: none).
    parents: Vec<Vec<u32>>,
    /// Tasks in rows.
    task_rows: Vec<Level>,
    /// The flow of each wait that has one, by lane and slice index.
    flow_of_wait: std::collections::HashMap<(usize, usize), u32>,
}

/// A window request the view cannot answer.
///
/// ```
/// let view = oxprof_trace::window::View::default();
/// assert!(view.window(10, 10, 100, 10).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadWindow(pub String);

impl std::fmt::Display for BadWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadWindow {}

impl View {
    /// Indexes `timeline`.
    ///
    /// ```
    /// let view = oxprof_trace::window::View::new(Default::default());
    /// assert_eq!(view.depth(0), 0);
    /// ```
    pub fn new(mut timeline: Timeline) -> View {
        let mut levels = Vec::with_capacity(timeline.lanes.len());
        let mut parents = Vec::with_capacity(timeline.lanes.len());
        for lane in &timeline.lanes {
            let mut by_depth: Vec<Level> = Vec::new();
            let mut parent = Vec::with_capacity(lane.slices.len());
            // The open slices around the current one, outermost first.
            let mut open: Vec<usize> = Vec::new();
            for (i, s) in lane.slices.iter().enumerate() {
                let depth = s.depth as usize;
                if by_depth.len() <= depth {
                    by_depth.resize_with(depth + 1, Level::default);
                }
                by_depth[depth].push(s.start, s.end, i);
                while open.last().is_some_and(|&o| {
                    lane.slices[o].end <= s.start || lane.slices[o].depth >= s.depth
                }) {
                    open.pop();
                }
                parent.push(open.last().map_or(u32::MAX, |&o| o as u32));
                open.push(i);
            }
            levels.push(by_depth);
            parents.push(parent);
        }
        timeline.tasks.sort_by_key(|t| (t.start, t.id));
        let mut task_rows: Vec<Level> = Vec::new();
        for (i, t) in timeline.tasks.iter().enumerate() {
            let row = task_rows
                .iter()
                .position(|r| r.end.last().map_or(true, |&e| e <= t.start))
                .unwrap_or_else(|| {
                    if task_rows.len() < TASK_ROWS {
                        task_rows.push(Level::default());
                    }
                    task_rows.len() - 1
                });
            task_rows[row].push(t.start, t.end, i);
        }
        let flow_of_wait = timeline
            .flows
            .iter()
            .enumerate()
            .map(|(i, f)| (f.wait, i as u32))
            .collect();
        View {
            timeline,
            levels,
            parents,
            task_rows,
            flow_of_wait,
        }
    }

    /// How many levels lane `lane` has (its deepest slice's depth + 1).
    ///
    /// ```
    /// assert_eq!(oxprof_trace::window::View::default().depth(3), 0);
    /// ```
    pub fn depth(&self, lane: usize) -> usize {
        self.levels.get(lane).map_or(0, Vec::len)
    }

    /// How many rows the tasks take.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::window::View::default().task_rows(), 0);
    /// ```
    pub fn task_rows(&self) -> usize {
        self.task_rows.len()
    }

    /// The slice around slice `index` of lane `lane` (its parent), if any.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::window::View::default().parent(0, 0), None);
    /// ```
    pub fn parent(&self, lane: usize, index: usize) -> Option<usize> {
        let p = *self.parents.get(lane)?.get(index)?;
        (p != u32::MAX).then_some(p as usize)
    }

    /// The indexes of lane `lane`'s slices overlapping `[from, to)`, level by level.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::window::View::default().slices_in(0, 0, 10).count(), 0);
    /// ```
    pub fn slices_in(&self, lane: usize, from: u64, to: u64) -> impl Iterator<Item = usize> + '_ {
        self.levels
            .get(lane)
            .into_iter()
            .flatten()
            .flat_map(move |level| {
                let first = level.end.partition_point(|&e| e <= from);
                let past = first + level.start[first..].partition_point(|&s| s < to);
                level.index[first..past].iter().map(|&i| i as usize)
            })
    }

    /// Slice `index` of lane `lane`.
    ///
    /// ```
    /// assert!(oxprof_trace::window::View::default().slice(0, 0).is_none());
    /// ```
    pub fn slice(&self, lane: usize, index: usize) -> Option<&Slice> {
        self.timeline.lanes.get(lane)?.slices.get(index)
    }

    /// Task `index` of the timeline.
    ///
    /// ```
    /// assert!(oxprof_trace::window::View::default().task(0).is_none());
    /// ```
    pub fn task(&self, index: usize) -> Option<&TaskSpan> {
        self.timeline.tasks.get(index)
    }

    /// The flow that ended the wait `index` of lane `lane`, if any.
    ///
    /// ```
    /// assert!(oxprof_trace::window::View::default().flow_to(0, 0).is_none());
    /// ```
    pub fn flow_to(&self, lane: usize, index: usize) -> Option<&Flow> {
        let &f = self.flow_of_wait.get(&(lane, index))?;
        self.timeline.flows.get(f as usize)
    }

    /// What to draw of `[from, to)` (monotonic ns) on `width` pixels, with at most
    /// `max_items` slices and merged slices in all (the answer says when it was cut).
    ///
    /// ```
    /// use oxprof_trace::timeline::{Lane, Slice, SliceKind, Timeline};
    /// use oxprof_trace::StrId;
    /// let region = |start, end| Slice { start, end, depth: 0, kind: SliceKind::Region { task: 0, name: StrId(1) } };
    /// let mut timeline = Timeline { start: 0, end: 1000, ..Timeline::default() };
    /// // 100 slices of 2 ns every 5 ns, then one of 400 ns.
    /// let mut slices: Vec<_> = (0..100).map(|i| region(i * 5, i * 5 + 2)).collect();
    /// slices.push(region(600, 1000));
    /// timeline.lanes.push(Lane { tid: 1, slices, ..Lane::default() });
    /// let view = oxprof_trace::window::View::new(timeline);
    /// // 10 ns per pixel: the small ones merge into one item, the big one stays itself.
    /// let w = view.window(0, 1000, 100, 1000)?;
    /// let items: Vec<_> = w.lanes[0].items.iter().map(|i| (i.start, i.end, i.count, i.busy)).collect();
    /// assert_eq!(items, [(0, 497, 100, 200), (600, 1000, 1, 400)]);
    /// // Zoomed in to 1 ns per pixel, every slice is itself.
    /// assert_eq!(view.window(0, 50, 50, 1000)?.lanes[0].items.len(), 10);
    /// # Ok::<(), oxprof_trace::window::BadWindow>(())
    /// ```
    pub fn window(
        &self,
        from: u64,
        to: u64,
        width: u64,
        max_items: usize,
    ) -> Result<Window, BadWindow> {
        if to <= from {
            return Err(BadWindow(format!(
                "empty window: from={from} is not before to={to}"
            )));
        }
        if !(1..=100_000).contains(&width) {
            return Err(BadWindow(format!("width={width}: want 1 to 100000 pixels")));
        }
        let res = (to - from).div_ceil(width).max(1);
        let mut window = Window {
            from,
            to,
            resolution: res,
            ..Window::default()
        };
        let mut used = 0;
        for (row, level) in self.task_rows.iter().enumerate() {
            level.window(row as u32, from, to, res, &mut window.tasks, max_items);
        }
        used += window.tasks.len();
        for (li, lane) in self.timeline.lanes.iter().enumerate() {
            let mut lw = LaneWindow {
                lane: li,
                ..LaneWindow::default()
            };
            for (depth, level) in self.levels[li].iter().enumerate() {
                let cap = max_items.saturating_sub(used) + lw.items.len();
                level.window(depth as u32, from, to, res, &mut lw.items, cap);
            }
            used += lw.items.len();
            // A log's mark is a few pixels wide: one per four columns is all that shows.
            lw.logs = thin(&lane.logs, |l| l.0, from, to, res * LOG_COLUMNS);
            let first = lane.cpu.partition_point(|p| p.0 < from);
            for &(t, share) in lane.cpu[first..].iter().take_while(|p| p.0 < to + res) {
                match lw.cpu.last_mut() {
                    Some(last) if (last.0 - from) / res == (t - from) / res => {
                        last.1 = last.1.max(share)
                    }
                    _ => lw.cpu.push((t, share)),
                }
            }
            window.lanes.push(lw);
        }
        window.truncated = used >= max_items;
        // Flows into the waits drawn as themselves: a wait narrower than a pixel is merged,
        // and an arrow into it would say nothing. Found from the items, so their number is
        // bounded by the window's, not the trace's.
        for lw in &window.lanes {
            for item in lw.items.iter().filter(|i| i.count == 1) {
                if let Some(&f) = self.flow_of_wait.get(&(lw.lane, item.index as usize)) {
                    window.flows.push(f);
                }
            }
        }
        window.counters = self
            .timeline
            .counters
            .iter()
            .map(|c| {
                // The point before the window too, so the line enters it.
                let first = c.points.partition_point(|p| p.0 < from).saturating_sub(1);
                let mut out: Vec<(u64, u64, u64)> = Vec::new();
                for &(t, v) in c.points[first..].iter().take_while(|p| p.0 < to + res) {
                    let column = |t: u64| t.saturating_sub(from) / res;
                    match out.last_mut() {
                        Some(last) if column(last.0) == column(t) && t >= from => {
                            last.1 = last.1.min(v);
                            last.2 = last.2.max(v);
                        }
                        _ => out.push((t, v, v)),
                    }
                }
                out
            })
            .collect();
        Ok(window)
    }
}

/// `list.partition_point(below)`, searching from the front with doubling steps: the point
/// is usually a few entries ahead, and a binary search over the whole rest would miss the
/// cache at every step (it made a whole-trace window of 10 M events take 45 ms, against
/// 1 ms this way).
fn gallop<T>(list: &[T], below: impl Fn(&T) -> bool) -> usize {
    let mut hi = 1;
    while hi < list.len() && below(&list[hi]) {
        hi *= 2;
    }
    let lo = hi / 2;
    lo + list[lo..hi.min(list.len())].partition_point(below)
}

/// The events of `list` in `[from, to)`, the first of each pixel column with how many it
/// stands for; `list` is ordered by `time`.
fn thin<T>(list: &[T], time: impl Fn(&T) -> u64, from: u64, to: u64, res: u64) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    let mut i = list.partition_point(|e| time(e) < from);
    while i < list.len() && time(&list[i]) < to {
        let column_end = ((time(&list[i]) - from) / res + 1) * res + from;
        let past = i + gallop(&list[i..], |e| time(e) < column_end);
        out.push(Point {
            time: time(&list[i]),
            index: i as u32,
            count: (past - i) as u32,
        });
        i = past;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Lane, SliceKind};
    use crate::StrId;

    fn region(start: u64, end: u64, depth: u32) -> Slice {
        Slice {
            start,
            end,
            depth,
            kind: SliceKind::Region {
                task: 0,
                name: StrId(1),
            },
        }
    }

    fn view(slices: Vec<Slice>) -> View {
        let mut timeline = Timeline {
            start: 0,
            end: 1_000_000,
            ..Timeline::default()
        };
        timeline.lanes.push(Lane {
            tid: 1,
            slices,
            ..Lane::default()
        });
        View::new(timeline)
    }

    #[test]
    fn merged_items_account_for_every_slice_and_its_time() {
        // 10,000 slices of 30 ns every 100 ns, in 10 bursts separated by 10 us gaps.
        let mut slices = Vec::new();
        for burst in 0..10u64 {
            for k in 0..1000u64 {
                let s = burst * 110_000 + k * 100;
                slices.push(region(s, s + 30, 0));
            }
        }
        let v = view(slices);
        for width in [1, 7, 100, 1000, 5000, 100_000] {
            let w = v.window(0, 1_100_000, width, usize::MAX).unwrap();
            let items = &w.lanes[0].items;
            assert_eq!(
                items.iter().map(|i| i.count as u64).sum::<u64>(),
                10_000,
                "width {width}"
            );
            assert_eq!(items.iter().map(|i| i.busy).sum::<u64>(), 300_000);
            assert!(items.windows(2).all(|p| p[0].end <= p[1].start));
            // Never more than a couple of items per pixel column.
            assert!(
                items.len() as u64 <= 2 * width + 2,
                "width {width}: {}",
                items.len()
            );
        }
        // At 110 ns per pixel or more the gaps of 70 ns vanish: one item per burst.
        let w = v.window(0, 1_100_000, 10_000, usize::MAX).unwrap();
        assert_eq!(w.lanes[0].items.len(), 10);
        // Zoomed into one burst at 1 ns per pixel, each slice is itself.
        let w = v.window(220_000, 230_000, 10_000, usize::MAX).unwrap();
        assert_eq!(w.lanes[0].items.len(), 100);
        assert!(w.lanes[0].items.iter().all(|i| i.count == 1));
    }

    #[test]
    fn a_window_inside_a_long_slice_shows_it_and_its_parents() {
        let v = view(vec![
            region(0, 1_000_000, 0),
            region(100, 900_000, 1),
            region(500_000, 500_010, 2),
        ]);
        let w = v.window(400_000, 400_100, 100, 100).unwrap();
        let items: Vec<_> = w.lanes[0]
            .items
            .iter()
            .map(|i| (i.depth, i.index))
            .collect();
        assert_eq!(items, [(0, 0), (1, 1)]);
        assert_eq!(v.parent(0, 2), Some(1));
        assert_eq!(v.parent(0, 1), Some(0));
        assert_eq!(v.parent(0, 0), None);
    }

    #[test]
    fn the_cap_cuts_and_says_so() {
        let slices: Vec<_> = (0..1000)
            .map(|i| region(i * 1000, i * 1000 + 500, 0))
            .collect();
        let v = view(slices);
        let w = v.window(0, 1_000_000, 10_000, 50).unwrap();
        assert_eq!(w.lanes[0].items.len(), 50);
        assert!(w.truncated);
        assert!(!v.window(0, 1_000_000, 10_000, 5000).unwrap().truncated);
    }

    #[test]
    fn galloping_finds_the_partition_point() {
        let v: Vec<u64> = (0..1000).map(|i| i * 3).collect();
        for x in [0, 1, 3, 4, 500, 2997, 2998, 5000] {
            assert_eq!(gallop(&v, |&e| e < x), v.partition_point(|&e| e < x), "{x}");
        }
        assert_eq!(gallop(&[] as &[u64], |_| true), 0);
    }

    #[test]
    fn bad_windows_are_refused() {
        let v = view(vec![]);
        assert_eq!(
            v.window(5, 5, 10, 10).unwrap_err().to_string(),
            "empty window: from=5 is not before to=5"
        );
        assert_eq!(
            v.window(0, 5, 0, 10).unwrap_err().to_string(),
            "width=0: want 1 to 100000 pixels"
        );
    }
}
