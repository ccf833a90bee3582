//! The loop structure graph: the loops found, each with its header, its blocks and the loops
//! nested in it, under an artificial root loop.
//!
//! The set type is a parameter because the journey changes it: the first stages keep a loop's
//! blocks and children in `HashSet`s (Go's `map[*BasicBlock]bool`), later ones in `Vec`s (Go's
//! slices), which is all that changes in this graph from stage to stage.

use std::collections::HashSet;

/// What a loop keeps its blocks and children in.
///
/// ```
/// use havlak::lsg::Members;
/// let mut v: Vec<usize> = Vec::new();
/// v.add(3);
/// assert_eq!(v.members().collect::<Vec<_>>(), [3]);
/// ```
pub trait Members: Default {
    /// Adds a member.
    fn add(&mut self, x: usize);
    /// The members, in the set's order.
    fn members(&self) -> impl Iterator<Item = usize> + '_;
    /// Removes every member, keeping the memory.
    fn clear_keeping_memory(&mut self);
}

impl Members for HashSet<usize> {
    fn add(&mut self, x: usize) {
        self.insert(x);
    }
    fn members(&self) -> impl Iterator<Item = usize> + '_ {
        self.iter().copied()
    }
    fn clear_keeping_memory(&mut self) {
        self.clear();
    }
}

/// Appends without looking for duplicates, as Go's `append` does: the finder adds each block
/// and child once.
impl Members for Vec<usize> {
    fn add(&mut self, x: usize) {
        self.push(x);
    }
    fn members(&self) -> impl Iterator<Item = usize> + '_ {
        self.iter().copied()
    }
    fn clear_keeping_memory(&mut self) {
        self.clear();
    }
}

/// One loop.
///
/// ```
/// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
/// let l = lsg.new_loop();
/// lsg.set_header(l, 7);
/// assert_eq!(lsg.get(l).header, Some(7));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SimpleLoop<S> {
    /// The blocks of the loop that are in no nested loop, the header included.
    pub basic_blocks: S,
    /// The loops nested directly in this one.
    pub children: S,
    /// The loop this one is nested in; the root's loops get the root when nesting is computed.
    pub parent: Option<usize>,
    /// The loop's header block.
    pub header: Option<usize>,
    /// Whether this is the artificial root.
    pub is_root: bool,
    /// Whether the loop has a single entry, its header.
    pub is_reducible: bool,
    /// Which loop of the graph this is, in creation order (the root is 0).
    pub counter: usize,
    /// How many levels of loops this one holds (0 for an innermost loop).
    pub nesting_level: usize,
    /// How deep it is nested (the root is at depth 0).
    pub depth_level: usize,
}

/// The loop structure graph: the artificial root (loop 0) and the loops found, by id.
///
/// ```
/// let mut lsg = havlak::lsg::Lsg::<std::collections::HashSet<usize>>::new();
/// let outer = lsg.new_loop();
/// let inner = lsg.new_loop();
/// lsg.set_parent(inner, outer);
/// assert_eq!(lsg.num_loops(), 2);
/// assert_eq!(lsg.calculate_nesting_level(), 2);
/// assert_eq!(lsg.get(inner).depth_level, 2);
/// ```
#[derive(Debug, Clone)]
pub struct Lsg<S> {
    /// Loop slots; those at `live` and after are kept for reuse.
    loops: Vec<SimpleLoop<S>>,
    live: usize,
}

impl<S: Members> Default for Lsg<S> {
    fn default() -> Self {
        Lsg::new()
    }
}

impl<S: Members> Lsg<S> {
    /// A graph holding only the root.
    ///
    /// ```
    /// assert_eq!(havlak::lsg::Lsg::<Vec<usize>>::new().num_loops(), 0);
    /// ```
    pub fn new() -> Lsg<S> {
        let mut lsg = Lsg {
            loops: Vec::new(),
            live: 0,
        };
        lsg.reset();
        lsg
    }

    /// Forgets every loop but keeps their memory for the next ones (the tuned stage's
    /// `-reuseloopgraph`).
    ///
    /// ```
    /// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
    /// lsg.new_loop();
    /// lsg.reset();
    /// assert_eq!(lsg.num_loops(), 0);
    /// ```
    pub fn reset(&mut self) {
        self.live = 0;
        let root = self.new_loop();
        self.loops[root].is_root = true;
    }

    /// A new loop, with no header, block or parent yet.
    ///
    /// ```
    /// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
    /// assert_eq!(lsg.new_loop(), 1);
    /// ```
    pub fn new_loop(&mut self) -> usize {
        let id = self.live;
        if id == self.loops.len() {
            self.loops.push(SimpleLoop::default());
        } else {
            let l = &mut self.loops[id];
            l.basic_blocks.clear_keeping_memory();
            l.children.clear_keeping_memory();
            *l = SimpleLoop {
                basic_blocks: std::mem::take(&mut l.basic_blocks),
                children: std::mem::take(&mut l.children),
                ..SimpleLoop::default()
            };
        }
        self.loops[id].counter = id;
        self.live += 1;
        id
    }

    /// Makes `block` the header of `l`, and one of its blocks.
    ///
    /// ```
    /// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
    /// let l = lsg.new_loop();
    /// lsg.set_header(l, 4);
    /// assert_eq!(lsg.get(l).basic_blocks, [4]);
    /// ```
    pub fn set_header(&mut self, l: usize, block: usize) {
        self.add_node(l, block);
        self.loops[l].header = Some(block);
    }

    /// Records whether `l` has a single entry, its header.
    ///
    /// ```
    /// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
    /// let l = lsg.new_loop();
    /// lsg.set_reducible(l, true);
    /// assert!(lsg.get(l).is_reducible);
    /// ```
    pub fn set_reducible(&mut self, l: usize, reducible: bool) {
        self.loops[l].is_reducible = reducible;
    }

    /// Adds `block` to `l`.
    ///
    /// ```
    /// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
    /// let l = lsg.new_loop();
    /// lsg.add_node(l, 9);
    /// assert_eq!(lsg.get(l).basic_blocks, [9]);
    /// ```
    pub fn add_node(&mut self, l: usize, block: usize) {
        self.loops[l].basic_blocks.add(block);
    }

    /// Nests `child` in `parent`.
    ///
    /// ```
    /// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
    /// let (a, b) = (lsg.new_loop(), lsg.new_loop());
    /// lsg.set_parent(b, a);
    /// assert_eq!((lsg.get(b).parent, &lsg.get(a).children), (Some(a), &vec![b]));
    /// ```
    pub fn set_parent(&mut self, child: usize, parent: usize) {
        self.loops[child].parent = Some(parent);
        self.loops[parent].children.add(child);
    }

    /// Loop `l`.
    ///
    /// ```
    /// assert!(havlak::lsg::Lsg::<Vec<usize>>::new().get(0).is_root);
    /// ```
    pub fn get(&self, l: usize) -> &SimpleLoop<S> {
        &self.loops[..self.live][l]
    }

    /// The number of loops found, the root not counted.
    ///
    /// ```
    /// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
    /// lsg.new_loop();
    /// assert_eq!(lsg.num_loops(), 1);
    /// ```
    pub fn num_loops(&self) -> usize {
        self.live - 1
    }

    /// Hangs the outermost loops under the root and computes every loop's depth and nesting
    /// level; returns the root's nesting level, the depth of the deepest nest.
    ///
    /// ```
    /// let mut lsg = havlak::lsg::Lsg::<Vec<usize>>::new();
    /// lsg.new_loop();
    /// assert_eq!(lsg.calculate_nesting_level(), 1);
    /// ```
    pub fn calculate_nesting_level(&mut self) -> usize {
        for l in 1..self.live {
            if self.loops[l].parent.is_none() {
                self.set_parent(l, 0);
            }
        }
        self.calculate_nesting_level_from(0, 0);
        self.loops[0].nesting_level
    }

    fn calculate_nesting_level_from(&mut self, l: usize, depth: usize) {
        self.loops[l].depth_level = depth;
        let children: Vec<usize> = self.loops[l].children.members().collect();
        for child in children {
            self.calculate_nesting_level_from(child, depth + 1);
            let level = self.loops[child].nesting_level + 1;
            let nesting = &mut self.loops[l].nesting_level;
            *nesting = (*nesting).max(level);
        }
    }
}
