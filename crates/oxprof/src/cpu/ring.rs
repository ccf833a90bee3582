//! The sample buffer between the signal handler and the collector: a fixed array of records
//! allocated and pre-faulted before the first signal, written by any number of handlers at once
//! and drained by one collector thread.
//!
//! Writers claim a record with one `fetch_add` and one compare-and-swap and never wait: when the
//! claimed record still holds an undrained sample, the new sample is counted as lost instead. The
//! reader takes full records in claim order and stops at the first one not yet published, so a
//! handler preempted mid-write only delays its own record.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

const EMPTY: u32 = 0;
const WRITING: u32 = 1;
const FULL: u32 = 2;

/// Words of a record before its frames: thread and state, label set, weight, length and flags,
/// time.
const HEADER_WORDS: usize = 5;
const TRUNCATED_FLAG: u64 = 1 << 63;

/// What the handler knows about a sample besides its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SampleMeta {
    /// Kernel thread id of the sampled thread.
    pub(crate) tid: u32,
    /// Scheduler state for wall-clock samples ([`super::wall::ThreadState`] as a byte), else 0.
    pub(crate) state: u8,
    /// The thread's label set when it was interrupted (0: none).
    pub(crate) label_id: u32,
}

/// A sample read back by the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sample<'a> {
    pub(crate) meta: SampleMeta,
    /// How many sampling periods the sample stands for (timer overruns add to it).
    pub(crate) weight: u64,
    /// Lookup addresses, leaf first.
    pub(crate) frames: &'a [u64],
    /// The stack went deeper than the configured depth.
    pub(crate) truncated: bool,
    /// When the handler took it (monotonic ns), for the execution trace.
    pub(crate) time: u64,
}

/// The preallocated multi-writer, single-reader sample buffer.
pub(crate) struct SampleRing {
    depth: usize,
    states: Box<[AtomicU32]>,
    words: Box<[UnsafeCell<u64>]>,
    next_claim: AtomicUsize,
    next_read: AtomicUsize,
    lost: AtomicU64,
}

// SAFETY: a record's words are written only by the writer that moved its state EMPTY→WRITING and
// read only by the reader after observing FULL (Acquire, pairing with the writer's Release), so
// no word is accessed by two threads at once.
unsafe impl Sync for SampleRing {}

/// A claimed record: the handler unwinds straight into [`frames_mut`](Self::frames_mut), then
/// publishes with [`commit`](Self::commit).
pub(crate) struct Claim<'r> {
    ring: &'r SampleRing,
    index: usize,
}

impl SampleRing {
    /// A ring of `records` records of up to `depth` frames each, every page touched so the
    /// handler never takes a page fault on fresh memory.
    pub(crate) fn new(records: usize, depth: usize) -> SampleRing {
        let records = records.max(1);
        let stride = HEADER_WORDS + depth;
        let words: Box<[UnsafeCell<u64>]> =
            (0..records * stride).map(|_| UnsafeCell::new(0)).collect();
        // `collect` writes every word, which faults every page in before sampling starts.
        SampleRing {
            depth,
            states: (0..records).map(|_| AtomicU32::new(EMPTY)).collect(),
            words,
            next_claim: AtomicUsize::new(0),
            next_read: AtomicUsize::new(0),
            lost: AtomicU64::new(0),
        }
    }

    fn stride(&self) -> usize {
        HEADER_WORDS + self.depth
    }

    fn word(&self, index: usize, offset: usize) -> *mut u64 {
        self.words[index * self.stride() + offset].get()
    }

    /// Claims a record for a new sample, or counts the sample as lost when the buffer is full.
    /// Async-signal-safe: two atomic operations, no waiting.
    pub(crate) fn claim(&self) -> Option<Claim<'_>> {
        let index = self.next_claim.fetch_add(1, Ordering::Relaxed) % self.states.len();
        match self.states[index].compare_exchange(
            EMPTY,
            WRITING,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            Ok(_) => Some(Claim { ring: self, index }),
            Err(_) => {
                self.lost.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Samples lost so far because the ring was full (or dropped by the handler).
    pub(crate) fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Hands every published sample to `visit` in claim order and frees its record. Only the
    /// collector thread calls this.
    pub(crate) fn drain(&self, mut visit: impl FnMut(Sample<'_>)) {
        let records = self.states.len();
        loop {
            let index = self.next_read.load(Ordering::Relaxed) % records;
            if self.states[index].load(Ordering::Acquire) != FULL {
                return;
            }
            // SAFETY: the record is FULL, so its writer is done and no writer touches it until we
            // store EMPTY below; the pointers are in bounds of `words` by construction.
            let (meta, weight, len, truncated, time) = unsafe {
                let who = *self.word(index, 0);
                let time = *self.word(index, 4);
                let label_id = *self.word(index, 1) as u32;
                let weight = *self.word(index, 2);
                let len_flags = *self.word(index, 3);
                (
                    SampleMeta {
                        tid: who as u32,
                        state: (who >> 32) as u8,
                        label_id,
                    },
                    weight,
                    (len_flags & !TRUNCATED_FLAG) as usize,
                    len_flags & TRUNCATED_FLAG != 0,
                    time,
                )
            };
            let start = index * self.stride() + HEADER_WORDS;
            let len = len.min(self.depth);
            // SAFETY: as above, the frames of a FULL record are not written concurrently;
            // `UnsafeCell<u64>` has the layout of `u64`.
            let frames =
                unsafe { std::slice::from_raw_parts(self.words[start].get() as *const u64, len) };
            visit(Sample {
                meta,
                weight,
                frames,
                truncated,
                time,
            });
            self.states[index].store(EMPTY, Ordering::Release);
            self.next_read.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Claim<'_> {
    /// The record's frame area, `depth` words long.
    pub(crate) fn frames_mut(&mut self) -> &mut [u64] {
        let start = self.index * self.ring.stride() + HEADER_WORDS;
        // SAFETY: this claim moved the record to WRITING, so it has exclusive access to the
        // record's words until it publishes; the range lies inside `words`.
        unsafe { std::slice::from_raw_parts_mut(self.ring.words[start].get(), self.ring.depth) }
    }

    /// Publishes the sample: its metadata, weight, the first `len` frames written, and when it
    /// was taken.
    pub(crate) fn commit(
        self,
        meta: SampleMeta,
        weight: u64,
        len: usize,
        truncated: bool,
        time: u64,
    ) {
        let flags = if truncated { TRUNCATED_FLAG } else { 0 };
        // SAFETY: exclusive access to the claimed record, as in `frames_mut`.
        unsafe {
            *self.ring.word(self.index, 0) = u64::from(meta.tid) | (u64::from(meta.state) << 32);
            *self.ring.word(self.index, 1) = u64::from(meta.label_id);
            *self.ring.word(self.index, 2) = weight;
            *self.ring.word(self.index, 3) = len.min(self.ring.depth) as u64 | flags;
            *self.ring.word(self.index, 4) = time;
        }
        self.ring.states[self.index].store(FULL, Ordering::Release);
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        // A claim dropped without commit (never in the handler's normal path) frees its record
        // rather than wedging the reader behind it.
        let _ = self.ring.states[self.index].compare_exchange(
            WRITING,
            EMPTY,
            Ordering::Release,
            Ordering::Relaxed,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(tid: u32) -> SampleMeta {
        SampleMeta {
            tid,
            state: 0,
            label_id: 0,
        }
    }

    #[test]
    fn samples_come_back_in_order_with_their_frames() {
        let ring = SampleRing::new(4, 3);
        for tid in 1..=3u32 {
            let mut claim = ring.claim().unwrap();
            claim.frames_mut()[..2].copy_from_slice(&[u64::from(tid) * 10, 7]);
            claim.commit(meta(tid), 1, 2, tid == 3, 0);
        }
        let mut seen = Vec::new();
        ring.drain(|s| seen.push((s.meta.tid, s.frames.to_vec(), s.truncated)));
        assert_eq!(
            seen,
            vec![
                (1, vec![10, 7], false),
                (2, vec![20, 7], false),
                (3, vec![30, 7], true)
            ]
        );
    }

    #[test]
    fn a_full_ring_counts_losses_and_recovers_after_draining() {
        let ring = SampleRing::new(2, 1);
        for tid in 0..5u32 {
            if let Some(claim) = ring.claim() {
                claim.commit(meta(tid), 1, 0, false, 0);
            }
        }
        assert_eq!(ring.lost(), 3);
        let mut n = 0;
        ring.drain(|_| n += 1);
        assert_eq!(n, 2);
        assert!(ring.claim().is_some());
    }

    #[test]
    fn the_reader_stops_at_a_record_still_being_written() {
        let ring = SampleRing::new(4, 1);
        let pending = ring.claim().unwrap();
        ring.claim().unwrap().commit(meta(2), 1, 0, false, 0);
        let mut n = 0;
        ring.drain(|_| n += 1);
        assert_eq!(n, 0, "record 0 is still being written");
        pending.commit(meta(1), 1, 0, false, 0);
        let mut tids = Vec::new();
        ring.drain(|s| tids.push(s.meta.tid));
        assert_eq!(tids, vec![1, 2]);
    }

    #[test]
    fn concurrent_writers_lose_nothing_silently() {
        let ring = std::sync::Arc::new(SampleRing::new(64, 2));
        let writers: Vec<_> = (0..4u32)
            .map(|t| {
                let ring = ring.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        if let Some(mut c) = ring.claim() {
                            c.frames_mut()[0] = u64::from(t);
                            c.commit(meta(t), 1, 1, false, 0);
                        }
                    }
                })
            })
            .collect();
        let mut read = 0u64;
        while writers.iter().any(|w| !w.is_finished()) {
            ring.drain(|s| {
                assert_eq!(s.frames, &[u64::from(s.meta.tid)]);
                read += 1;
            });
        }
        ring.drain(|_| read += 1);
        assert_eq!(read + ring.lost(), 40_000);
    }
}
