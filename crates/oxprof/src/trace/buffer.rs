//! Per-thread event buffers, written without locks.
//!
//! Each thread owns a [`ThreadBuffer`] with two slots, one per generation parity. A write
//! marks the buffer busy (its sequence number odd), reads the current generation, and writes
//! into that generation's slot; strings and stacks are interned in the slot's own tables. When
//! the collector advances the generation it first publishes the new number, then waits for
//! each buffer to be quiet (its sequence number even, or moved on): from then on no writer
//! touches the old slot, which the collector empties. This is Go's scheme (`traceAcquire`,
//! `traceAdvance`), with the fence between the two sides made asymmetric (see `fence`): the
//! hot path has no atomic read-modify-write and no processor fence.

use std::cell::{Cell, OnceCell, UnsafeCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use oxprof_trace::encode::Events;
use oxprof_trace::wire::EVENT_BATCH_LEN;

use crate::clock::monotonic_nanos;

/// The generation being recorded; 0 while nothing records.
pub(super) static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The trace session: threads write their start event once per session.
pub(super) static SESSION: AtomicU64 = AtomicU64::new(0);

/// Bytes of sealed batches in the current generation, so a busy program gets its generation
/// cut early instead of growing it without bound.
static SEALED_BYTES: AtomicU64 = AtomicU64::new(0);

/// Past this many sealed bytes, the collector is asked to start a new generation.
pub(super) const GENERATION_BYTES: u64 = 16 << 20;

/// The most bytes any event other than a log needs.
pub(super) const EVENT_BYTES: usize = 64;

/// Emptied event batches, for threads to fill again: a busy thread seals a 64 KiB batch
/// every few thousand events, and fresh memory costs page faults (a tenth of a recording
/// thread's time in a profile of `bench/trace_overhead`).
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Spare batches kept at most (4 MiB).
const SPARE_MAX: usize = 64;

/// Keeps emptied batches for [`batch_buffer`], up to [`SPARE_MAX`].
pub(super) fn recycle(batches: impl IntoIterator<Item = Vec<u8>>) {
    let mut spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
    for mut batch in batches {
        if spare.len() >= SPARE_MAX {
            break;
        }
        if batch.capacity() >= EVENT_BATCH_LEN {
            batch.clear();
            spare.push(batch);
        }
    }
}

/// An empty batch buffer: a spare one when the collector is not holding the spares (a
/// writer never waits for it), else a new one.
fn batch_buffer() -> Vec<u8> {
    SPARE
        .try_lock()
        .ok()
        .and_then(|mut spare| spare.pop())
        .unwrap_or_else(|| Vec::with_capacity(EVENT_BATCH_LEN))
}

/// Every thread that has written an event, for the collector.
static REGISTRY: Mutex<Vec<Arc<ThreadBuffer>>> = Mutex::new(Vec::new());

/// The registry's and the spare batches' locks, held across a `fork` (see the collector's
/// fork handlers). Fields drop in order: the reverse of how they were taken.
pub(super) struct ForkLocks {
    _spare: MutexGuard<'static, Vec<Vec<u8>>>,
    _registry: MutexGuard<'static, Vec<Arc<ThreadBuffer>>>,
}

/// Takes the locks of [`ForkLocks`], in the order the collector takes them.
pub(super) fn lock_for_fork() -> ForkLocks {
    let registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    let spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
    ForkLocks {
        _spare: spare,
        _registry: registry,
    }
}

/// A cheap hash for the interning tables (keys are short names and stacks, chosen by the
/// program, not by an attacker).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Ids for strings or stacks, 1..n in order of first use, with the definitions for the
/// generation's tables.
struct Interner<K: ?Sized + Eq + Hash> {
    ids: HashMap<Box<K>, u32, BuildHasherDefault<FxHasher>>,
    defs: Vec<(u32, Box<K>)>,
}

impl<K: ?Sized + Eq + Hash> Default for Interner<K> {
    fn default() -> Self {
        Interner {
            ids: HashMap::default(),
            defs: Vec::new(),
        }
    }
}

impl<K: ?Sized + Eq + Hash> Interner<K>
where
    for<'a> &'a K: Into<Box<K>>,
{
    #[inline]
    fn intern(&mut self, key: &K) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.ids.len() as u32 + 1;
        self.ids.insert(key.into(), id);
        self.defs.push((id, key.into()));
        id
    }

    fn clear(&mut self) {
        self.ids.clear();
        self.defs.clear();
    }
}

/// Entries of [`Strings`]' cache of recent lookups.
const RECENT: usize = 64;

/// A thread's string table, looked up first by the string's address: names are mostly
/// literals and `tracing` metadata, passed again and again from the same place, so most
/// lookups compare a few bytes with the string found at that address last time instead of
/// hashing and probing (a third of an event's cost otherwise).
struct Strings {
    table: Interner<str>,
    /// Direct-mapped by address: the address and the id of the string last seen there
    /// (id 0: empty).
    recent: [(usize, u32); RECENT],
}

impl Default for Strings {
    fn default() -> Self {
        Strings {
            table: Interner::default(),
            recent: [(0, 0); RECENT],
        }
    }
}

impl Strings {
    #[inline]
    fn intern(&mut self, s: &str) -> u32 {
        let addr = s.as_ptr() as usize;
        let at = (addr as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) as usize >> (usize::BITS - 6);
        let (seen, id) = self.recent[at];
        // The same address may hold another string by now (a freed one's memory reused):
        // the bytes decide.
        if seen == addr && id != 0 && same(&self.table.defs[id as usize - 1].1, s) {
            return id;
        }
        let id = self.table.intern(s);
        self.recent[at] = (addr, id);
        id
    }

    fn clear(&mut self) {
        self.table.clear();
        self.recent = [(0, 0); RECENT];
    }
}

/// `a == b`, inline: names are short, and a call to `memcmp` costs more than the comparing.
#[inline]
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// One generation's data of one thread.
#[derive(Default)]
struct Slot {
    /// The generation it holds (0: none).
    generation: u64,
    events: Events,
    /// Full batches: base time and bytes.
    sealed: Vec<(u64, Vec<u8>)>,
    strings: Strings,
    stacks: Interner<[u64]>,
}

impl Slot {
    fn reset(&mut self, generation: u64, now: u64) {
        self.generation = generation;
        self.events = Events::with_buffer(batch_buffer(), now);
        self.sealed.clear();
        self.strings.clear();
        self.stacks.clear();
    }

    /// Moves the current batch to the sealed ones and starts another at `now`.
    fn seal(&mut self, now: u64) {
        let fresh = Events::with_buffer(batch_buffer(), now);
        let (base, bytes) = std::mem::replace(&mut self.events, fresh).into_parts();
        let len = bytes.len() as u64;
        self.sealed.push((base, bytes));
        let before = SEALED_BYTES.fetch_add(len, Ordering::Relaxed);
        if before < GENERATION_BYTES && before + len >= GENERATION_BYTES {
            super::collector::nudge();
        }
    }
}

/// A thread's buffer: written by the thread, emptied by the collector.
pub(super) struct ThreadBuffer {
    pub(super) tid: u64,
    pub(super) name: String,
    /// Odd while the owner writes.
    seq: AtomicU64,
    slots: [UnsafeCell<Slot>; 2],
    exited: AtomicBool,
}

// SAFETY: a slot is written by its owner thread only between its odd and even sequence
// numbers, for the generation it read then; the collector touches a slot only for a
// generation no longer current, after seeing the owner leave (or not be in) a write, with
// acquire ordering pairing the owner's release. So no slot is accessed by two threads at once.
unsafe impl Sync for ThreadBuffer {}

/// One generation's data taken from a thread.
pub(super) struct Taken {
    pub(super) tid: u64,
    pub(super) name: String,
    /// Batches in order: base time and bytes.
    pub(super) batches: Vec<(u64, Vec<u8>)>,
    pub(super) strings: Vec<(u32, Box<str>)>,
    pub(super) stacks: Vec<(u32, Box<[u64]>)>,
}

impl ThreadBuffer {
    fn new(tid: u64, name: String) -> Self {
        ThreadBuffer {
            tid,
            name,
            seq: AtomicU64::new(0),
            slots: [UnsafeCell::default(), UnsafeCell::default()],
            exited: AtomicBool::new(false),
        }
    }

    /// Waits until the owner is not in the middle of a write that began before the current
    /// generation was published.
    fn wait_quiet(&self) {
        let seq = self.seq.load(Ordering::SeqCst);
        if seq & 1 == 1 {
            while self.seq.load(Ordering::Acquire) == seq {
                std::thread::yield_now();
            }
        }
    }

    /// Empties the slot of `generation`, once the generation is no longer current.
    fn take(&self, generation: u64) -> Option<Taken> {
        self.wait_quiet();
        // SAFETY: `generation` is no longer the published one and the owner is quiet, so it
        // will not touch this slot again until the generation after next (see the type's
        // `Sync`).
        let slot = unsafe { &mut *self.slots[generation as usize & 1].get() };
        if slot.generation != generation {
            return None;
        }
        slot.generation = 0;
        let mut batches = std::mem::take(&mut slot.sealed);
        let (base, bytes) = std::mem::take(&mut slot.events).into_parts();
        if !bytes.is_empty() {
            batches.push((base, bytes));
        }
        Some(Taken {
            tid: self.tid,
            name: self.name.clone(),
            batches,
            strings: std::mem::take(&mut slot.strings.table.defs),
            stacks: std::mem::take(&mut slot.stacks.defs),
        })
    }

    /// Whether the thread ended and nothing of it is left to take.
    fn finished(&self) -> bool {
        if !self.exited.load(Ordering::Acquire) {
            return false;
        }
        self.wait_quiet();
        // SAFETY: the owner has exited (its last write happened before `exited` was set,
        // which we read with acquire), so nobody else touches the slots.
        self.slots
            .iter()
            .all(|s| unsafe { (*s.get()).generation } == 0)
    }
}

/// Collects generation `generation` from every thread, once a newer one (or none) is
/// published; forgets threads that ended with nothing left.
pub(super) fn take_generation(generation: u64) -> Vec<Taken> {
    super::fence::after_publish();
    SEALED_BYTES.store(0, Ordering::Relaxed);
    let buffers: Vec<Arc<ThreadBuffer>> = REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let taken = buffers.iter().filter_map(|b| b.take(generation)).collect();
    REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|b| !b.finished());
    taken
}

/// The names of the threads that have written events, by thread id.
pub(super) fn thread_names() -> Vec<(u64, String)> {
    REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|b| (b.tid, b.name.clone()))
        .collect()
}

/// What a write gets: the thread's tables and events for the current generation, and the
/// time of the event.
pub(super) struct Recorder<'a> {
    slot: &'a mut Slot,
    /// The event's time (monotonic ns).
    pub(super) time: u64,
}

impl Recorder<'_> {
    /// The id of `s` in this thread's string table, cut to the format's limit.
    #[inline]
    pub(super) fn string(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        self.slot.strings.intern(oxprof_trace::wire::truncate(
            s,
            oxprof_trace::wire::MAX_STRING_LEN,
        ))
    }

    /// The id of a stack (leaf first) in this thread's stack table.
    pub(super) fn stack(&mut self, pcs: &[u64]) -> u32 {
        if pcs.is_empty() {
            return 0;
        }
        self.slot.stacks.intern(pcs)
    }

    /// The thread's events.
    #[inline]
    pub(super) fn events(&mut self) -> &mut Events {
        &mut self.slot.events
    }
}

/// The calling thread's buffer, and the session it last wrote its start event in.
struct Local {
    buffer: OnceCell<Arc<ThreadBuffer>>,
    session: Cell<u64>,
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Some(buffer) = self.buffer.get() {
            write(buffer, &self.session, EVENT_BYTES, |r| {
                let time = r.time;
                r.events().thread_end(time);
            });
            buffer.exited.store(true, Ordering::Release);
        }
    }
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            buffer: OnceCell::new(),
            session: Cell::new(0),
        }
    };
}

/// Whether anything records events: one relaxed load.
#[inline]
pub(super) fn enabled() -> bool {
    GENERATION.load(Ordering::Relaxed) != 0
}

/// Records an event on the calling thread, if tracing: `f` writes it through the
/// [`Recorder`], in at most `reserve` bytes. Does nothing on a thread being torn down.
#[inline]
pub(super) fn record(reserve: usize, f: impl FnOnce(&mut Recorder<'_>)) {
    if !enabled() {
        return;
    }
    let _ = LOCAL.try_with(|local| {
        let buffer = local.buffer.get_or_init(register);
        write(buffer, &local.session, reserve, f);
    });
}

/// In a child just forked while tracing: only the forking thread came along. The other
/// threads' buffers are forgotten without being touched (one may have been mid-write, its
/// mark odd for ever, which would stall the child's collector), and the forking thread's
/// buffer is emptied of the parent's events. Its events keep the parent's thread id.
pub(super) fn forget_parent_threads() {
    let own = LOCAL
        .try_with(|local| local.buffer.get().cloned())
        .ok()
        .flatten();
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    for buffer in registry.drain(..) {
        if !own.as_ref().is_some_and(|own| Arc::ptr_eq(own, &buffer)) {
            std::mem::forget(buffer);
        }
    }
    if let Some(own) = own {
        for slot in &own.slots {
            // SAFETY: the owner is this thread, which is not inside a write (it is here), and
            // no collector runs in this process yet.
            unsafe { (*slot.get()).generation = 0 };
        }
        registry.push(own);
    }
}

#[cold]
fn register() -> Arc<ThreadBuffer> {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() } as u64;
    let name = std::thread::current().name().unwrap_or("").to_owned();
    let buffer = Arc::new(ThreadBuffer::new(tid, name));
    REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::clone(&buffer));
    buffer
}

#[inline]
fn write(
    buffer: &ThreadBuffer,
    session: &Cell<u64>,
    reserve: usize,
    f: impl FnOnce(&mut Recorder<'_>),
) {
    let seq = buffer.seq.load(Ordering::Relaxed);
    if seq & 1 == 1 {
        // A signal handler interrupting this thread's own write: a second writer of the slot
        // would corrupt it, so the nested event is dropped.
        return;
    }
    // Fenced against the collector's store of the generation and load of `seq`: either we
    // see its new generation, or it sees us writing and waits.
    super::fence::enter(&buffer.seq, seq);
    let generation = GENERATION.load(Ordering::SeqCst);
    if generation != 0 {
        // SAFETY: only this thread writes this slot while `generation` is current, and it is
        // inside a write (odd sequence number); see `ThreadBuffer`'s `Sync`.
        let slot = unsafe { &mut *buffer.slots[generation as usize & 1].get() };
        let time = monotonic_nanos();
        if slot.generation != generation {
            slot.reset(generation, time);
        } else if slot.events.len() + reserve > EVENT_BATCH_LEN {
            slot.seal(time);
        }
        let mut recorder = Recorder { slot, time };
        let current = SESSION.load(Ordering::Relaxed);
        if session.get() != current {
            session.set(current);
            recorder.events().thread_start(time);
        }
        f(&mut recorder);
    }
    buffer.seq.store(seq + 2, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::Strings;

    #[test]
    fn strings_at_a_reused_address_are_told_apart_by_their_bytes() {
        let mut strings = Strings::default();
        let mut name = String::from("alpha");
        let alpha = strings.intern(&name);
        assert_eq!(strings.intern(&name), alpha);
        // The same memory now holds another string: it must get an id of its own.
        name.replace_range(.., "omega");
        let omega = strings.intern(&name);
        assert_ne!(omega, alpha);
        assert_eq!(strings.intern(&String::from("alpha")), alpha);
        assert_eq!(strings.intern("omega"), omega);
        assert_eq!(strings.table.defs.len(), 2);
        // A new generation's table starts over, its cache too.
        strings.clear();
        assert_eq!(strings.intern(&name), 1);
        assert_eq!(&*strings.table.defs[0].1, "omega");
    }
}
