//! The bytes of a trace: the header, batch kinds and event types, and the LEB128 varints
//! everything is made of. Writers (the `oxprof` runtime) and the [reader](crate::parse) share
//! these definitions, so the two cannot drift apart.

/// The 16 bytes every trace starts with; the digit is the format's version.
///
/// ```
/// assert_eq!(oxprof_trace::wire::MAGIC.len(), 16);
/// assert!(oxprof_trace::wire::MAGIC.starts_with(b"oxprof trace "));
/// ```
pub const MAGIC: &[u8; 16] = b"oxprof trace 1\0\0";

/// The most event bytes a writer puts in one batch. Readers accept batches up to
/// [`MAX_BATCH_LEN`], so tables may be larger.
///
/// ```
/// assert_eq!(oxprof_trace::wire::EVENT_BATCH_LEN, 64 * 1024);
/// ```
pub const EVENT_BATCH_LEN: usize = 64 * 1024;

/// The largest batch a reader accepts: a length beyond it is corruption, not data.
///
/// ```
/// assert!(oxprof_trace::wire::MAX_BATCH_LEN > oxprof_trace::wire::EVENT_BATCH_LEN);
/// ```
pub const MAX_BATCH_LEN: usize = 64 << 20;

/// The longest string a table holds (longer names are cut at a character boundary).
///
/// ```
/// assert_eq!(oxprof_trace::wire::MAX_STRING_LEN, 1024);
/// ```
pub const MAX_STRING_LEN: usize = 1024;

/// The longest log message kept (longer ones are cut at a character boundary).
///
/// ```
/// assert_eq!(oxprof_trace::wire::MAX_MESSAGE_LEN, 16 * 1024);
/// ```
pub const MAX_MESSAGE_LEN: usize = 16 * 1024;

/// The most frames a stack holds.
///
/// ```
/// assert_eq!(oxprof_trace::wire::MAX_STACK_DEPTH, 128);
/// ```
pub const MAX_STACK_DEPTH: usize = 128;

/// What a batch holds. A batch is `kind: u8`, then uvarints `generation`, `thread`, `time`
/// and `len`, then `len` bytes of payload.
///
/// ```
/// use oxprof_trace::wire::BatchKind;
/// assert_eq!(BatchKind::from_byte(BatchKind::Events as u8), Some(BatchKind::Events));
/// assert_eq!(BatchKind::from_byte(0), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BatchKind {
    /// Opens a generation: `time` is its start on the monotonic clock; the payload is the
    /// wall clock at that instant (uvarint nanoseconds since the Unix epoch).
    Sync = 1,
    /// A thread's events (`thread` is its kernel thread id; 0 is the process itself, whose
    /// events are CPU samples and counters). `time` is the base the first event's delta
    /// counts from.
    Events = 2,
    /// The strings of one thread's events in this generation: `[id, len, bytes]...`. Thread
    /// 0's table also names the functions and files of [`Symbols`](BatchKind::Symbols), the
    /// files of [`Mappings`](BatchKind::Mappings) and the threads of
    /// [`Threads`](BatchKind::Threads).
    Strings = 3,
    /// The stacks of one thread's events: `[id, n, pc, zigzag delta...]`, leaf first; the
    /// first frame's address is a program counter, the others return addresses minus one.
    Stacks = 4,
    /// Source frames of every address the generation's stacks use:
    /// `[pc, n, (function, file, line)...]`, innermost (inlined) frame first; `n` may be 0.
    Symbols = 5,
    /// The executable mappings of the process: `[start, limit, offset, file, build id]`.
    Mappings = 6,
    /// The threads the generation knows: `[tid, name]`.
    Threads = 7,
    /// Closes a generation: `time` is its end. A generation without it is incomplete and is
    /// not read.
    End = 8,
}

impl BatchKind {
    /// The kind a batch's first byte names.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::wire::BatchKind::from_byte(8), Some(oxprof_trace::wire::BatchKind::End));
    /// ```
    pub fn from_byte(b: u8) -> Option<BatchKind> {
        use BatchKind::*;
        Some(match b {
            1 => Sync,
            2 => Events,
            3 => Strings,
            4 => Stacks,
            5 => Symbols,
            6 => Mappings,
            7 => Threads,
            8 => End,
            _ => return None,
        })
    }
}

/// An event's type, its first byte. Then comes the uvarint delta from the previous event's
/// time (or the batch's), then the arguments listed here, uvarints unless said otherwise.
/// Strings and stacks are ids in the tables of the batch's thread (0: none).
///
/// ```
/// use oxprof_trace::wire::EventType;
/// assert_eq!(EventType::from_byte(EventType::RegionBegin as u8), Some(EventType::RegionBegin));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventType {
    /// The thread's first event of the trace.
    ThreadStart = 1,
    /// The thread is exiting.
    ThreadEnd = 2,
    /// `[task, parent, name]`: a task began (parent 0: none).
    TaskBegin = 3,
    /// `[task]`: a task ended.
    TaskEnd = 4,
    /// `[task, name]`: a region began on this thread, in the task (0: none).
    RegionBegin = 5,
    /// `[task, name]`: the innermost region of that name ended.
    RegionEnd = 6,
    /// `[task, category, len, bytes]`: a log message.
    Log = 7,
    /// `[duration, reason, object, waker, stack]`: a wait that ends now and lasted
    /// `duration` ns, on `object` (an address), ended by the [`Unblock`](EventType::Unblock)
    /// whose sequence number is `waker` (0: unknown).
    Wait = 8,
    /// `[object, seq, stack]`: this thread released or signalled `object`, letting waiters go;
    /// `seq` is unique in the process.
    Unblock = 9,
    /// `[tid, stack]`: a CPU profile sample of thread `tid` (process stream only).
    CpuSample = 10,
    /// `[name, value]`: a process counter's value (process stream only).
    Counter = 11,
    /// `[tid, nanoseconds]`: CPU time thread `tid` has used so far (process stream only).
    ThreadCpu = 12,
}

impl EventType {
    /// The type an event's first byte names.
    ///
    /// ```
    /// assert_eq!(oxprof_trace::wire::EventType::from_byte(0), None);
    /// ```
    pub fn from_byte(b: u8) -> Option<EventType> {
        use EventType::*;
        Some(match b {
            1 => ThreadStart,
            2 => ThreadEnd,
            3 => TaskBegin,
            4 => TaskEnd,
            5 => RegionBegin,
            6 => RegionEnd,
            7 => Log,
            8 => Wait,
            9 => Unblock,
            10 => CpuSample,
            11 => Counter,
            12 => ThreadCpu,
            _ => return None,
        })
    }
}

/// Appends `v` as an unsigned LEB128 varint (1 to 10 bytes).
///
/// ```
/// let mut buf = Vec::new();
/// oxprof_trace::wire::put_uvarint(&mut buf, 300);
/// assert_eq!(buf, [0xac, 0x02]);
/// ```
#[inline]
pub fn put_uvarint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push(v as u8 | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Appends `v` zigzag-encoded (small magnitudes of either sign stay short).
///
/// ```
/// let mut buf = Vec::new();
/// oxprof_trace::wire::put_zigzag(&mut buf, -2);
/// assert_eq!(buf, [3]);
/// ```
#[inline]
pub fn put_zigzag(buf: &mut Vec<u8>, v: i64) {
    put_uvarint(buf, ((v << 1) ^ (v >> 63)) as u64);
}

/// Appends a length-prefixed byte string.
///
/// ```
/// let mut buf = Vec::new();
/// oxprof_trace::wire::put_bytes(&mut buf, b"hi");
/// assert_eq!(buf, [2, b'h', b'i']);
/// ```
#[inline]
pub fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    put_uvarint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Appends a whole batch: header and payload.
///
/// ```
/// use oxprof_trace::wire::{put_batch, BatchKind};
/// let mut out = Vec::new();
/// put_batch(&mut out, BatchKind::End, 1, 0, 500, &[]);
/// assert_eq!(out, [8, 1, 0, 0xf4, 0x03, 0]);
/// ```
pub fn put_batch(
    out: &mut Vec<u8>,
    kind: BatchKind,
    generation: u64,
    thread: u64,
    time: u64,
    payload: &[u8],
) {
    out.push(kind as u8);
    put_uvarint(out, generation);
    put_uvarint(out, thread);
    put_uvarint(out, time);
    put_bytes(out, payload);
}

/// `s` cut to at most `max` bytes at a character boundary.
///
/// ```
/// assert_eq!(oxprof_trace::wire::truncate("héllo", 2), "h");
/// ```
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Reads varints and byte strings from a slice, failing (never panicking) at its end.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

/// Where reading failed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed {
    pub(crate) offset: usize,
    pub(crate) reason: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn fail<T>(&self, reason: &'static str) -> Result<T, Malformed> {
        Err(Malformed {
            offset: self.pos,
            reason,
        })
    }

    pub(crate) fn byte(&mut self) -> Result<u8, Malformed> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.fail("unexpected end"),
        }
    }

    pub(crate) fn uvarint(&mut self) -> Result<u64, Malformed> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return self.fail("varint overflows 64 bits");
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        self.fail("varint longer than 10 bytes")
    }

    pub(crate) fn zigzag(&mut self) -> Result<i64, Malformed> {
        let v = self.uvarint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// A uvarint that must fit in `u32` (ids, lines, counts).
    pub(crate) fn u32(&mut self) -> Result<u32, Malformed> {
        let v = self.uvarint()?;
        u32::try_from(v).or_else(|_| self.fail("value does not fit 32 bits"))
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if n > self.data.len() - self.pos {
            return self.fail("length past the end");
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], Malformed> {
        let n = self.uvarint()?;
        let n = usize::try_from(n).or_else(|_| self.fail("length past the end"))?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        let values = [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX - 1, u64::MAX];
        let mut buf = Vec::new();
        for v in values {
            put_uvarint(&mut buf, v);
            put_zigzag(&mut buf, v as i64);
        }
        let mut c = Cursor::new(&buf);
        for v in values {
            assert_eq!(c.uvarint().unwrap(), v);
            assert_eq!(c.zigzag().unwrap(), v as i64);
        }
        assert!(c.is_empty());
    }

    #[test]
    fn bad_varints_fail_without_panicking() {
        assert!(Cursor::new(&[0x80]).uvarint().is_err());
        assert!(Cursor::new(&[0xff; 11]).uvarint().is_err());
        let mut too_big = vec![0xff; 9];
        too_big.push(0x02);
        assert!(Cursor::new(&too_big).uvarint().is_err());
        assert!(Cursor::new(&[5, 1, 2]).bytes().is_err());
        assert!(Cursor::new(&[0xff, 0xff, 0xff, 0xff, 0x7f]).u32().is_err());
    }
}
