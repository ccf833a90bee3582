//! Writing the format: [`Events`] encodes one thread's events with delta times, and
//! [`GenerationEncoder`] lays out a whole generation (clock sync, tables, event batches, end).
//! The `oxprof` runtime writes with these, and tests and tools can make traces with them.

use crate::wire::{put_batch, put_bytes, put_uvarint, put_zigzag, BatchKind, EventType};

/// One thread's events, encoded as they come: a type byte, the delta from the previous
/// event's time, and the arguments. Strings and stacks are ids of the thread's tables in the
/// generation (0: none).
///
/// ```
/// use oxprof_trace::encode::Events;
/// let mut events = Events::new(1_000);
/// events.region_begin(1_500, 0, 1);
/// events.region_end(1_700, 0, 1);
/// assert_eq!(events.bytes(), [5, 0xf4, 0x03, 0, 1, 6, 0xc8, 0x01, 0, 1]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Events {
    buf: Vec<u8>,
    base: u64,
    last: u64,
}

impl Events {
    /// No events yet; the first event's delta counts from `base`.
    ///
    /// ```
    /// assert!(oxprof_trace::encode::Events::new(0).bytes().is_empty());
    /// ```
    pub fn new(base: u64) -> Events {
        Events::with_buffer(Vec::new(), base)
    }

    /// [`new`](Events::new) writing into `buf` (cleared), to reuse its allocation.
    ///
    /// ```
    /// let e = oxprof_trace::encode::Events::with_buffer(Vec::with_capacity(4096), 0);
    /// assert!(e.capacity() >= 4096);
    /// ```
    pub fn with_buffer(mut buf: Vec<u8>, base: u64) -> Events {
        buf.clear();
        Events {
            buf,
            base,
            last: base,
        }
    }

    /// The time the first event's delta counts from.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::encode::Events::new(9).base(), 9);
    /// ```
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The encoded events.
    ///
    /// ```
    /// let mut e = oxprof_trace::encode::Events::new(0);
    /// e.thread_start(0);
    /// assert_eq!(e.bytes(), [1, 0]);
    /// ```
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes written so far.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::encode::Events::new(0).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no event was written.
    ///
    /// ```
    /// assert!(oxprof_trace::encode::Events::new(0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The buffer's capacity.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::encode::Events::new(0).capacity(), 0);
    /// ```
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Gives the encoded bytes away, with the base they count from.
    ///
    /// ```
    /// let mut e = oxprof_trace::encode::Events::new(5);
    /// e.thread_end(6);
    /// assert_eq!(e.into_parts(), (5, vec![2, 1]));
    /// ```
    pub fn into_parts(self) -> (u64, Vec<u8>) {
        (self.base, self.buf)
    }

    /// Starts an event: its type and its time's delta. A time before the previous event's
    /// (which a monotonic clock never gives) counts as no time.
    #[inline]
    fn head(&mut self, ty: EventType, time: u64) {
        self.buf.push(ty as u8);
        put_uvarint(&mut self.buf, time.saturating_sub(self.last));
        self.last = self.last.max(time);
    }

    /// The thread's first event.
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).thread_start(1);
    /// ```
    #[inline]
    pub fn thread_start(&mut self, time: u64) {
        self.head(EventType::ThreadStart, time);
    }

    /// The thread is exiting.
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).thread_end(1);
    /// ```
    #[inline]
    pub fn thread_end(&mut self, time: u64) {
        self.head(EventType::ThreadEnd, time);
    }

    /// A task began.
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).task_begin(1, 7, 0, 1);
    /// ```
    #[inline]
    pub fn task_begin(&mut self, time: u64, task: u64, parent: u64, name: u32) {
        self.head(EventType::TaskBegin, time);
        put_uvarint(&mut self.buf, task);
        put_uvarint(&mut self.buf, parent);
        put_uvarint(&mut self.buf, name.into());
    }

    /// A task ended.
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).task_end(1, 7);
    /// ```
    #[inline]
    pub fn task_end(&mut self, time: u64, task: u64) {
        self.head(EventType::TaskEnd, time);
        put_uvarint(&mut self.buf, task);
    }

    /// A region began.
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).region_begin(1, 0, 1);
    /// ```
    #[inline]
    pub fn region_begin(&mut self, time: u64, task: u64, name: u32) {
        self.head(EventType::RegionBegin, time);
        put_uvarint(&mut self.buf, task);
        put_uvarint(&mut self.buf, name.into());
    }

    /// A region ended.
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).region_end(1, 0, 1);
    /// ```
    #[inline]
    pub fn region_end(&mut self, time: u64, task: u64, name: u32) {
        self.head(EventType::RegionEnd, time);
        put_uvarint(&mut self.buf, task);
        put_uvarint(&mut self.buf, name.into());
    }

    /// A log message (the message is written inline, the category is a string id).
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).log(1, 0, 1, "cache miss");
    /// ```
    #[inline]
    pub fn log(&mut self, time: u64, task: u64, category: u32, message: &str) {
        self.head(EventType::Log, time);
        put_uvarint(&mut self.buf, task);
        put_uvarint(&mut self.buf, category.into());
        put_bytes(&mut self.buf, message.as_bytes());
    }

    /// A wait that ends at `time` and began at `start`.
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).wait(50, 10, 1, 0x1000, 3, 0);
    /// ```
    #[inline]
    pub fn wait(
        &mut self,
        time: u64,
        start: u64,
        reason: u32,
        object: u64,
        waker: u64,
        stack: u32,
    ) {
        self.head(EventType::Wait, time);
        put_uvarint(&mut self.buf, time.saturating_sub(start));
        put_uvarint(&mut self.buf, reason.into());
        put_uvarint(&mut self.buf, object);
        put_uvarint(&mut self.buf, waker);
        put_uvarint(&mut self.buf, stack.into());
    }

    /// This thread released `object`, with sequence number `seq`.
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).unblock(40, 0x1000, 3, 0);
    /// ```
    #[inline]
    pub fn unblock(&mut self, time: u64, object: u64, seq: u64, stack: u32) {
        self.head(EventType::Unblock, time);
        put_uvarint(&mut self.buf, object);
        put_uvarint(&mut self.buf, seq);
        put_uvarint(&mut self.buf, stack.into());
    }

    /// A CPU sample of thread `tid` (process stream).
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).cpu_sample(5, 1234, 1);
    /// ```
    #[inline]
    pub fn cpu_sample(&mut self, time: u64, tid: u64, stack: u32) {
        self.head(EventType::CpuSample, time);
        put_uvarint(&mut self.buf, tid);
        put_uvarint(&mut self.buf, stack.into());
    }

    /// A process counter's value (process stream).
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).counter(5, 1, 4096);
    /// ```
    #[inline]
    pub fn counter(&mut self, time: u64, name: u32, value: u64) {
        self.head(EventType::Counter, time);
        put_uvarint(&mut self.buf, name.into());
        put_uvarint(&mut self.buf, value);
    }

    /// Thread `tid`'s CPU time so far (process stream).
    ///
    /// ```
    /// oxprof_trace::encode::Events::new(0).thread_cpu(5, 1234, 1_000_000);
    /// ```
    #[inline]
    pub fn thread_cpu(&mut self, time: u64, tid: u64, nanos: u64) {
        self.head(EventType::ThreadCpu, time);
        put_uvarint(&mut self.buf, tid);
        put_uvarint(&mut self.buf, nanos);
    }
}

/// A whole generation laid out as the reader expects: [`new`](GenerationEncoder::new) writes
/// its clock sync, the other methods its tables and event batches in any order, and
/// [`finish`](GenerationEncoder::finish) its end, without which readers skip it.
///
/// ```
/// use oxprof_trace::encode::{Events, GenerationEncoder};
/// let mut generation = GenerationEncoder::new(1, 1_000, 1_700_000_000_000_000_000);
/// generation.strings(42, [(1, "handle")]);
/// let mut events = Events::new(1_000);
/// events.region_begin(1_100, 0, 1);
/// events.region_end(1_900, 0, 1);
/// generation.events(42, &events);
/// generation.threads([(42, "worker")]);
/// let mut file = oxprof_trace::wire::MAGIC.to_vec();
/// file.extend(generation.finish(2_000));
/// let trace = oxprof_trace::parse(&file)?;
/// assert_eq!(trace.events.len(), 2);
/// assert_eq!(trace.thread_name(42), "worker");
/// # Ok::<(), oxprof_trace::Error>(())
/// ```
#[derive(Debug)]
pub struct GenerationEncoder {
    number: u64,
    out: Vec<u8>,
    payload: Vec<u8>,
    /// Thread 0's strings written by `threads` and `mappings`, after the ids the caller uses.
    own_strings: Vec<(u32, String)>,
}

/// Ids the encoder gives the strings it writes itself, far above any table's own.
const OWN_STRING_BASE: u32 = 0xf000_0000;

impl GenerationEncoder {
    /// A generation numbered `number`, starting at `start` on the monotonic clock, when the
    /// wall clock read `wall` (ns since the Unix epoch).
    ///
    /// ```
    /// let g = oxprof_trace::encode::GenerationEncoder::new(3, 0, 0);
    /// assert_eq!(g.number(), 3);
    /// ```
    pub fn new(number: u64, start: u64, wall: u64) -> Self {
        let mut out = Vec::new();
        let mut payload = Vec::new();
        put_uvarint(&mut payload, wall);
        put_batch(&mut out, BatchKind::Sync, number, 0, start, &payload);
        payload.clear();
        GenerationEncoder {
            number,
            out,
            payload,
            own_strings: Vec::new(),
        }
    }

    /// Its number.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::encode::GenerationEncoder::new(1, 0, 0).number(), 1);
    /// ```
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Bytes laid out so far.
    ///
    /// ```
    /// assert!(oxprof_trace::encode::GenerationEncoder::new(1, 0, 0).len() > 0);
    /// ```
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing was laid out (never: the clock sync comes first).
    ///
    /// ```
    /// assert!(!oxprof_trace::encode::GenerationEncoder::new(1, 0, 0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Writes the payload built so far as one batch (or nothing when empty), in pieces that
    /// stay under the event batch size so readers never see huge batches.
    fn flush(&mut self, kind: BatchKind, thread: u64, time: u64) {
        if !self.payload.is_empty() {
            put_batch(
                &mut self.out,
                kind,
                self.number,
                thread,
                time,
                &self.payload,
            );
            self.payload.clear();
        }
    }

    fn maybe_flush(&mut self, kind: BatchKind, thread: u64) {
        if self.payload.len() >= crate::wire::EVENT_BATCH_LEN {
            self.flush(kind, thread, 0);
        }
    }

    /// Thread `thread`'s string table (0: the process's, which symbols use).
    ///
    /// ```
    /// let mut g = oxprof_trace::encode::GenerationEncoder::new(1, 0, 0);
    /// g.strings(7, [(1, "parse"), (2, "io")]);
    /// ```
    pub fn strings<'s>(&mut self, thread: u64, entries: impl IntoIterator<Item = (u32, &'s str)>) {
        for (id, s) in entries {
            put_uvarint(&mut self.payload, id.into());
            put_bytes(&mut self.payload, s.as_bytes());
            self.maybe_flush(BatchKind::Strings, thread);
        }
        self.flush(BatchKind::Strings, thread, 0);
    }

    /// Thread `thread`'s stack table: ids and addresses, leaf first.
    ///
    /// ```
    /// let mut g = oxprof_trace::encode::GenerationEncoder::new(1, 0, 0);
    /// g.stacks(7, [(1, &[0x401000u64, 0x401800][..])]);
    /// ```
    pub fn stacks<'s>(&mut self, thread: u64, entries: impl IntoIterator<Item = (u32, &'s [u64])>) {
        for (id, pcs) in entries {
            let pcs = &pcs[..pcs.len().min(crate::wire::MAX_STACK_DEPTH)];
            put_uvarint(&mut self.payload, id.into());
            put_uvarint(&mut self.payload, pcs.len() as u64);
            let mut prev = 0u64;
            for (i, &pc) in pcs.iter().enumerate() {
                if i == 0 {
                    put_uvarint(&mut self.payload, pc);
                } else {
                    put_zigzag(&mut self.payload, pc.wrapping_sub(prev) as i64);
                }
                prev = pc;
            }
            self.maybe_flush(BatchKind::Stacks, thread);
        }
        self.flush(BatchKind::Stacks, thread, 0);
    }

    /// Source frames of addresses: `(pc, [(function, file, line)])`, innermost first, with
    /// function and file as ids of the process's (thread 0's) string table.
    ///
    /// ```
    /// let mut g = oxprof_trace::encode::GenerationEncoder::new(1, 0, 0);
    /// g.strings(0, [(1, "main"), (2, "src/main.rs")]);
    /// g.symbols([(0x401000, &[(1, 2, 10)][..])]);
    /// ```
    pub fn symbols<'s>(&mut self, entries: impl IntoIterator<Item = (u64, &'s [(u32, u32, u32)])>) {
        for (pc, frames) in entries {
            let frames = &frames[..frames.len().min(crate::wire::MAX_STACK_DEPTH)];
            put_uvarint(&mut self.payload, pc);
            put_uvarint(&mut self.payload, frames.len() as u64);
            for &(function, file, line) in frames {
                put_uvarint(&mut self.payload, function.into());
                put_uvarint(&mut self.payload, file.into());
                put_uvarint(&mut self.payload, line.into());
            }
            self.maybe_flush(BatchKind::Symbols, 0);
        }
        self.flush(BatchKind::Symbols, 0, 0);
    }

    /// The process's executable mappings: `(start, limit, offset, file, build id)`.
    ///
    /// ```
    /// let mut g = oxprof_trace::encode::GenerationEncoder::new(1, 0, 0);
    /// g.mappings([(0x400000, 0x500000, 0, "/bin/app", "abcd")]);
    /// ```
    pub fn mappings<'s>(
        &mut self,
        entries: impl IntoIterator<Item = (u64, u64, u64, &'s str, &'s str)>,
    ) {
        for (start, limit, offset, file, build_id) in entries {
            let file = self.own_string(file);
            let build_id = self.own_string(build_id);
            put_uvarint(&mut self.payload, start);
            put_uvarint(&mut self.payload, limit);
            put_uvarint(&mut self.payload, offset);
            put_uvarint(&mut self.payload, file.into());
            put_uvarint(&mut self.payload, build_id.into());
            self.maybe_flush(BatchKind::Mappings, 0);
        }
        self.flush(BatchKind::Mappings, 0, 0);
    }

    /// The threads the generation knows: `(tid, name)`.
    ///
    /// ```
    /// let mut g = oxprof_trace::encode::GenerationEncoder::new(1, 0, 0);
    /// g.threads([(42, "worker-1")]);
    /// ```
    pub fn threads<'s>(&mut self, entries: impl IntoIterator<Item = (u64, &'s str)>) {
        for (tid, name) in entries {
            let name = self.own_string(name);
            put_uvarint(&mut self.payload, tid);
            put_uvarint(&mut self.payload, name.into());
            self.maybe_flush(BatchKind::Threads, 0);
        }
        self.flush(BatchKind::Threads, 0, 0);
    }

    fn own_string(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let id = OWN_STRING_BASE + self.own_strings.len() as u32 + 1;
        self.own_strings.push((id, s.to_owned()));
        id
    }

    /// One batch of thread `thread`'s events (0: the process's).
    ///
    /// ```
    /// let mut g = oxprof_trace::encode::GenerationEncoder::new(1, 0, 0);
    /// let mut e = oxprof_trace::encode::Events::new(0);
    /// e.thread_start(5);
    /// g.events(42, &e);
    /// ```
    pub fn events(&mut self, thread: u64, events: &Events) {
        self.event_bytes(thread, events.base(), events.bytes());
    }

    /// [`events`](GenerationEncoder::events) from already encoded bytes and their base time.
    ///
    /// ```
    /// let mut g = oxprof_trace::encode::GenerationEncoder::new(1, 0, 0);
    /// g.event_bytes(42, 0, &[1, 5]);
    /// ```
    pub fn event_bytes(&mut self, thread: u64, base: u64, bytes: &[u8]) {
        if !bytes.is_empty() {
            put_batch(
                &mut self.out,
                BatchKind::Events,
                self.number,
                thread,
                base,
                bytes,
            );
        }
    }

    /// Ends the generation at `end` and returns its bytes.
    ///
    /// ```
    /// let bytes = oxprof_trace::encode::GenerationEncoder::new(1, 0, 0).finish(10);
    /// assert_eq!(bytes.last(), Some(&0)); // the end batch's empty payload
    /// ```
    pub fn finish(mut self, end: u64) -> Vec<u8> {
        let own = std::mem::take(&mut self.own_strings);
        self.strings(0, own.iter().map(|(id, s)| (*id, s.as_str())));
        put_batch(&mut self.out, BatchKind::End, self.number, 0, end, &[]);
        self.out
    }
}
