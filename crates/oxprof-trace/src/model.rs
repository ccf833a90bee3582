//! A trace as read: threads, time-ordered events, and the string, stack and symbol tables the
//! events refer to, merged across generations.

use std::collections::{BTreeMap, HashMap};

/// A string of the trace's table ([`Trace::str`]); `StrId(0)` is the empty string.
///
/// ```
/// let trace = oxprof_trace::Trace::default();
/// assert_eq!(trace.str(oxprof_trace::StrId(0)), "");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StrId(pub u32);

/// A stack of the trace's table ([`Trace::stack`]); `StackId(0)` is the empty stack (none
/// recorded).
///
/// ```
/// let trace = oxprof_trace::Trace::default();
/// assert!(trace.stack(oxprof_trace::StackId(0)).is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StackId(pub u32);

/// One source frame of an address: function, file and line.
///
/// ```
/// let f = oxprof_trace::Frame::default();
/// assert_eq!(f.line, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Frame {
    /// The function's name.
    pub function: StrId,
    /// The source file.
    pub file: StrId,
    /// The line (0: unknown).
    pub line: u32,
}

/// An executable mapping of the traced process, for symbolizing addresses offline.
///
/// ```
/// let m = oxprof_trace::Mapping::default();
/// assert!(m.start <= m.limit);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub limit: u64,
    /// File offset of `start`.
    pub offset: u64,
    /// The mapped file.
    pub file: String,
    /// Its GNU build id, hex (empty: none).
    pub build_id: String,
}

/// A thread of the traced process.
///
/// ```
/// let t = oxprof_trace::Thread { tid: 7, name: "worker".into() };
/// assert_eq!(t.tid, 7);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thread {
    /// Kernel thread id; 0 is the process itself (counters).
    pub tid: u64,
    /// Its name (empty: unnamed).
    pub name: String,
}

/// A generation read from the file: where it lies and the time it covers.
///
/// ```
/// let g = oxprof_trace::Generation::default();
/// assert_eq!(g.end, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Generation {
    /// Its number.
    pub number: u64,
    /// Byte offset of its first batch in the file.
    pub offset: usize,
    /// Byte length of its batches.
    pub len: usize,
    /// Start on the monotonic clock (ns).
    pub start: u64,
    /// End on the monotonic clock (ns).
    pub end: u64,
    /// Wall clock at `start`, ns since the Unix epoch.
    pub wall_start: u64,
}

/// One event: when, on which thread, what.
///
/// ```
/// use oxprof_trace::{Event, EventKind};
/// let e = Event { time: 5, thread: 1, kind: EventKind::ThreadStart };
/// assert_eq!(e.time, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Monotonic clock, ns. For a [`Wait`](EventKind::Wait), when it ended.
    pub time: u64,
    /// Kernel thread id of the thread it happened on (for CPU samples and CPU counters, the
    /// thread measured); 0 for process counters.
    pub thread: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What an [`Event`] says happened.
///
/// ```
/// use oxprof_trace::{EventKind, StrId};
/// let k = EventKind::RegionBegin { task: 0, name: StrId(1) };
/// assert!(matches!(k, EventKind::RegionBegin { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The thread's first event in the trace.
    ThreadStart,
    /// The thread exited.
    ThreadEnd,
    /// A user task began.
    TaskBegin {
        /// Its id, unique in the process.
        task: u64,
        /// Its parent task (0: none).
        parent: u64,
        /// Its type.
        name: StrId,
    },
    /// A user task ended.
    TaskEnd {
        /// Its id.
        task: u64,
    },
    /// A region began on the thread.
    RegionBegin {
        /// The task it belongs to (0: none).
        task: u64,
        /// Its type.
        name: StrId,
    },
    /// The innermost open region of this name ended on the thread.
    RegionEnd {
        /// The task it belongs to (0: none).
        task: u64,
        /// Its type.
        name: StrId,
    },
    /// A log message.
    Log {
        /// The task it belongs to (0: none).
        task: u64,
        /// Its category.
        category: StrId,
        /// The message.
        message: StrId,
    },
    /// The thread waited from `start` until the event's time.
    Wait {
        /// When the wait began (monotonic ns).
        start: u64,
        /// What kind of wait (`sync.Mutex`, `sync.Cond`, `chan receive`...).
        reason: StrId,
        /// The address of what was waited on.
        object: u64,
        /// The sequence number of the [`Unblock`](EventKind::Unblock) that ended it (0:
        /// unknown).
        waker: u64,
        /// Where the thread waited.
        stack: StackId,
    },
    /// The thread released or signalled `object`, letting a waiter go.
    Unblock {
        /// The address of what was released.
        object: u64,
        /// Its sequence number, which the woken [`Wait`](EventKind::Wait) names.
        seq: u64,
        /// Where the thread released it.
        stack: StackId,
    },
    /// A CPU profile sample of the thread.
    CpuSample {
        /// The stack sampled.
        stack: StackId,
    },
    /// A process counter's value.
    Counter {
        /// The counter (`heap live bytes`, `resident bytes`...).
        name: StrId,
        /// Its value.
        value: u64,
    },
    /// The thread's CPU time so far (ns).
    ThreadCpu {
        /// Nanoseconds of CPU time.
        nanos: u64,
    },
}

/// A whole trace as read by [`parse`](crate::parse).
///
/// ```
/// let trace = oxprof_trace::Trace::default();
/// assert!(trace.events.is_empty() && trace.warnings.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Threads by kernel thread id.
    pub threads: BTreeMap<u64, Thread>,
    /// Every event, ordered by time (events of equal time keep their recorded order).
    pub events: Vec<Event>,
    /// The generations read, in file order.
    pub generations: Vec<Generation>,
    /// The process's executable mappings.
    pub mappings: Vec<Mapping>,
    /// Source frames of every address in [`stacks`](Trace::stack), innermost first.
    pub symbols: HashMap<u64, Box<[Frame]>>,
    /// What was skipped and why: incomplete generations, undefined references.
    pub warnings: Vec<String>,
    strings: Vec<Box<str>>,
    string_index: HashMap<Box<str>, StrId>,
    stacks: Vec<Box<[u64]>>,
    stack_index: HashMap<Box<[u64]>, StackId>,
}

impl Trace {
    /// The string `id` stands for ("" for an id the trace does not have).
    ///
    /// ```
    /// let mut trace = oxprof_trace::Trace::default();
    /// let id = trace.intern("worker");
    /// assert_eq!(trace.str(id), "worker");
    /// ```
    pub fn str(&self, id: StrId) -> &str {
        match id.0 {
            0 => "",
            n => self.strings.get(n as usize - 1).map_or("", |s| s),
        }
    }

    /// The id of `s` in the trace's string table, adding it if new.
    ///
    /// ```
    /// let mut trace = oxprof_trace::Trace::default();
    /// assert_eq!(trace.intern("a"), trace.intern("a"));
    /// assert_eq!(trace.intern(""), oxprof_trace::StrId(0));
    /// ```
    pub fn intern(&mut self, s: &str) -> StrId {
        if s.is_empty() {
            return StrId(0);
        }
        if let Some(&id) = self.string_index.get(s) {
            return id;
        }
        self.strings.push(s.into());
        let id = StrId(self.strings.len() as u32);
        self.string_index.insert(s.into(), id);
        id
    }

    /// The id of `s` if the table has it.
    ///
    /// ```
    /// let mut trace = oxprof_trace::Trace::default();
    /// trace.intern("lock");
    /// assert!(trace.find_str("lock").is_some() && trace.find_str("other").is_none());
    /// ```
    pub fn find_str(&self, s: &str) -> Option<StrId> {
        if s.is_empty() {
            return Some(StrId(0));
        }
        self.string_index.get(s).copied()
    }

    /// The addresses of stack `id`, leaf first (empty for none or an unknown id).
    ///
    /// ```
    /// let mut trace = oxprof_trace::Trace::default();
    /// let id = trace.intern_stack(&[0x10, 0x20]);
    /// assert_eq!(trace.stack(id), [0x10, 0x20]);
    /// ```
    pub fn stack(&self, id: StackId) -> &[u64] {
        match id.0 {
            0 => &[],
            n => self.stacks.get(n as usize - 1).map_or(&[], |s| s),
        }
    }

    /// The id of a stack in the trace's table, adding it if new.
    ///
    /// ```
    /// let mut trace = oxprof_trace::Trace::default();
    /// assert_eq!(trace.intern_stack(&[]), oxprof_trace::StackId(0));
    /// assert_eq!(trace.intern_stack(&[1]), trace.intern_stack(&[1]));
    /// ```
    pub fn intern_stack(&mut self, pcs: &[u64]) -> StackId {
        if pcs.is_empty() {
            return StackId(0);
        }
        if let Some(&id) = self.stack_index.get(pcs) {
            return id;
        }
        self.stacks.push(pcs.into());
        let id = StackId(self.stacks.len() as u32);
        self.stack_index.insert(pcs.into(), id);
        id
    }

    /// How many distinct stacks the trace has.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::Trace::default().stack_count(), 0);
    /// ```
    pub fn stack_count(&self) -> usize {
        self.stacks.len()
    }

    /// The source frames of address `pc`, innermost first (empty when unknown).
    ///
    /// ```
    /// assert!(oxprof_trace::Trace::default().frames(0x1234).is_empty());
    /// ```
    pub fn frames(&self, pc: u64) -> &[Frame] {
        self.symbols.get(&pc).map_or(&[], |f| f)
    }

    /// The name of thread `tid` ("" when unnamed or unknown).
    ///
    /// ```
    /// assert_eq!(oxprof_trace::Trace::default().thread_name(3), "");
    /// ```
    pub fn thread_name(&self, tid: u64) -> &str {
        self.threads.get(&tid).map_or("", |t| &t.name)
    }

    /// The time the trace covers: from its first generation's start to its last one's end
    /// (monotonic ns); `(0, 0)` when empty.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::Trace::default().span(), (0, 0));
    /// ```
    pub fn span(&self) -> (u64, u64) {
        let start = self.generations.iter().map(|g| g.start).min();
        let end = self.generations.iter().map(|g| g.end).max();
        (start.unwrap_or(0), end.unwrap_or(0))
    }
}
