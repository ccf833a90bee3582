//! Go's memory-profile buckets: one per (call stack, size class), counting the sampled
//! allocations and frees made there.
//!
//! Called from inside the global allocator, so nothing here allocates through it or takes a
//! lock: each table lives in its own anonymous mapping, sized up front from the memory budget,
//! and is filled lock-free (insert-only open addressing; a slot is claimed with one CAS, filled,
//! then published). The process-wide tables are mapped on first use.
//!
//! Memory budget ([`set_budget`], default 16 MiB): half for these buckets, half for the live
//! blocks of [`super::blocks`]. The bucket half is one mapping:
//!
//! ```text
//! [BucketTable header][bucket slots: n × 64 B][stack slots: n × 16 B][frame arena: u64 each]
//! ```
//!
//! with `n` the largest power of two whose bucket slots fit in a quarter of the half; the frame
//! arena takes the rest. Stacks are interned separately from buckets, so one call site that
//! allocates many sizes stores its frames once. Tables stop accepting new keys at 3/4 load, so
//! probes stay short; whatever does not fit is counted in [`dropped`].

use std::hint::spin_loop;
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// Frames kept per stack; deeper stacks are cut at the root end.
pub(crate) const MAX_FRAMES: usize = 128;

/// The profiler's default memory budget, for buckets and blocks together.
pub(crate) const DEFAULT_BUDGET: usize = 16 << 20;

static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BUDGET);

/// Sets the memory budget for the buckets and the live-block table together (half each).
/// Takes effect only if called before the first sampled allocation maps the tables.
pub(crate) fn set_budget(bytes: usize) {
    BUDGET.store(bytes, Ordering::Relaxed);
}

/// The share of the budget each of the two tables may map.
pub(super) fn half_budget() -> usize {
    BUDGET.load(Ordering::Relaxed) / 2
}

/// A bucket of the process-wide table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct BucketId(u32);

impl BucketId {
    /// For tables that store ids compactly: [`BucketId::index`] turned back into an id.
    pub(super) fn from_index(index: u32) -> Self {
        BucketId(index)
    }

    pub(super) fn index(self) -> u32 {
        self.0
    }
}

/// One bucket as of [`snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BucketSnapshot {
    /// Lookup addresses, leaf first.
    pub(crate) frames: Vec<u64>,
    /// The [`size_class`] the bucket is keyed by.
    pub(crate) size_class: usize,
    pub(crate) allocs: u64,
    pub(crate) alloc_bytes: u64,
    pub(crate) frees: u64,
    pub(crate) free_bytes: u64,
}

/// What the profiler had to drop for lack of memory: sampled allocations whose bucket could not
/// be created, and sampled blocks the live-block table had no room for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub(crate) buckets: u64,
    pub(crate) blocks: u64,
}

static TABLE: Global<BucketTable> = Global::new();

fn table() -> Option<&'static BucketTable> {
    TABLE.get_or_create(|| BucketTable::create(half_budget()))
}

/// Finds or creates the bucket of `stack` (lookup addresses, leaf first; cut to [`MAX_FRAMES`])
/// and the [`size_class`] of `size`. `None`, counted in [`dropped`], when the budget has no room
/// for it.
pub(crate) fn intern(stack: &[u64], size: usize) -> Option<BucketId> {
    match table() {
        Some(table) => table.intern(stack, size_class(size)),
        None => {
            UNMAPPED_DROPS.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// The size a bucket is keyed by: exact to 8 bytes up to 128, then one of eight classes per
/// power of two (at most 12.5% apart), as Go keys its buckets by size class rather than by the
/// requested size. Keyed by exact size, a call site allocating strings or buffers of varied
/// lengths made a bucket per length: with sizes jittered over 16 B–64 KiB, the 16 MiB budget
/// dropped 40% of the samples and every sample probed a full table. The bucket's counters keep
/// the exact bytes, so the profile's values are unchanged; its `bytes` label is the bucket's
/// average block size, as in Go's profiles.
pub(crate) fn size_class(size: usize) -> usize {
    const SUBCLASSES_LOG2: u32 = 3;
    if size <= 128 {
        return size.next_multiple_of(8);
    }
    let step = 1 << ((usize::BITS - 1 - (size - 1).leading_zeros()) - SUBCLASSES_LOG2);
    size.next_multiple_of(step)
}

/// Drops counted while no table could be mapped at all.
static UNMAPPED_DROPS: AtomicU64 = AtomicU64::new(0);

/// Counts one sampled allocation of `size` bytes in bucket `id`.
pub(crate) fn record_alloc(id: BucketId, size: usize) {
    if let Some(table) = TABLE.get() {
        table.record_alloc(id, size);
    }
}

/// Counts one sampled free of `size` bytes in bucket `id`.
pub(crate) fn record_free(id: BucketId, size: usize) {
    if let Some(table) = TABLE.get() {
        table.record_free(id, size);
    }
}

/// Every bucket with its counters as of now. Allocates: not for use inside the allocator.
pub(crate) fn snapshot() -> Vec<BucketSnapshot> {
    TABLE.get().map(BucketTable::snapshot).unwrap_or_default()
}

/// What was dropped for lack of memory so far.
pub(crate) fn dropped() -> Dropped {
    Dropped {
        buckets: TABLE.get().map_or(0, BucketTable::dropped)
            + UNMAPPED_DROPS.load(Ordering::Relaxed),
        blocks: super::blocks::dropped(),
    }
}

/// Bytes mapped for the buckets and the live-block table; never more than the budget.
pub(crate) fn memory_used() -> usize {
    TABLE.get().map_or(0, |table| table.mapped_len) + super::blocks::memory_used()
}

/// The bucket table's header, at the start of its mapping (see the module docs for the layout).
/// Everything after it starts zeroed, which is every slot's empty state.
#[repr(C)]
pub(super) struct BucketTable {
    mapped_len: usize,
    /// Slot count of both the bucket and the stack table, a power of two.
    slots: usize,
    buckets_offset: usize,
    stacks_offset: usize,
    arena_offset: usize,
    /// In frames.
    arena_capacity: usize,
    arena_used: AtomicUsize,
    buckets_len: AtomicUsize,
    stacks_len: AtomicUsize,
    dropped: AtomicU64,
}

#[repr(C, align(64))]
struct BucketSlot {
    tag: AtomicU64,
    stack: AtomicU32,
    size: AtomicU64,
    allocs: AtomicU64,
    alloc_bytes: AtomicU64,
    frees: AtomicU64,
    free_bytes: AtomicU64,
}

#[repr(C)]
struct StackSlot {
    tag: AtomicU64,
    /// Arena offset (in frames) << 8 | frame count.
    location: AtomicU64,
}

impl BucketTable {
    /// Maps a table of at most `budget` bytes; `None` if not even one bucket fits.
    pub(super) fn create(budget: usize) -> Option<Mapped<BucketTable>> {
        let mapped_len = budget & !(page_size() - 1);
        let header = size_of::<BucketTable>().next_multiple_of(64);
        let quarter = mapped_len.checked_sub(header)? / 4;
        if quarter < size_of::<BucketSlot>() {
            return None;
        }
        let slots = prev_power_of_two(quarter / size_of::<BucketSlot>());
        let buckets_offset = header;
        let stacks_offset = buckets_offset + slots * size_of::<BucketSlot>();
        let arena_offset = stacks_offset + slots * size_of::<StackSlot>();
        let arena_capacity = (mapped_len - arena_offset) / size_of::<u64>();
        Mapped::new(mapped_len, || BucketTable {
            mapped_len,
            slots,
            buckets_offset,
            stacks_offset,
            arena_offset,
            arena_capacity,
            arena_used: AtomicUsize::new(0),
            buckets_len: AtomicUsize::new(0),
            stacks_len: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        })
    }

    /// See [`intern`].
    pub(super) fn intern(&self, stack: &[u64], size: usize) -> Option<BucketId> {
        let id = self
            .intern_stack(stack)
            .and_then(|stack| self.intern_bucket(stack, size));
        if id.is_none() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        id.map(|index| BucketId(index as u32))
    }

    fn intern_stack(&self, stack: &[u64]) -> Option<u32> {
        let stack = &stack[..stack.len().min(MAX_FRAMES)];
        let stacks = self.stacks();
        let arena = self.arena();
        let index = find_or_claim(
            |index| &stacks[index].tag,
            self.slots,
            &self.stacks_len,
            hash_frames(stack),
            |index| {
                let (offset, len) = unpack(stacks[index].location.load(Ordering::Relaxed));
                len == stack.len()
                    && arena[offset..offset + len]
                        .iter()
                        .zip(stack)
                        .all(|(stored, frame)| stored.load(Ordering::Relaxed) == *frame)
            },
            |index| {
                let offset = self.reserve_frames(stack.len())?;
                for (stored, frame) in arena[offset..].iter().zip(stack) {
                    stored.store(*frame, Ordering::Relaxed);
                }
                let location = (offset as u64) << 8 | stack.len() as u64;
                stacks[index].location.store(location, Ordering::Relaxed);
                Some(())
            },
        )?;
        Some(index as u32)
    }

    fn intern_bucket(&self, stack: u32, size: usize) -> Option<usize> {
        let buckets = self.buckets();
        find_or_claim(
            |index| &buckets[index].tag,
            self.slots,
            &self.buckets_len,
            mix(u64::from(stack) << 32 ^ mix(size as u64)),
            |index| {
                let bucket = &buckets[index];
                bucket.stack.load(Ordering::Relaxed) == stack
                    && bucket.size.load(Ordering::Relaxed) == size as u64
            },
            |index| {
                buckets[index].stack.store(stack, Ordering::Relaxed);
                buckets[index].size.store(size as u64, Ordering::Relaxed);
                Some(())
            },
        )
    }

    /// Takes `len` frames from the arena without ever overshooting it, so a failed reservation
    /// leaves the room for shorter stacks.
    fn reserve_frames(&self, len: usize) -> Option<usize> {
        self.arena_used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used + len <= self.arena_capacity).then_some(used + len)
            })
            .ok()
    }

    /// See [`record_alloc`].
    pub(super) fn record_alloc(&self, id: BucketId, size: usize) {
        if let Some(bucket) = self.buckets().get(id.0 as usize) {
            bucket.allocs.fetch_add(1, Ordering::Relaxed);
            bucket.alloc_bytes.fetch_add(size as u64, Ordering::Relaxed);
        }
    }

    /// See [`record_free`].
    pub(super) fn record_free(&self, id: BucketId, size: usize) {
        if let Some(bucket) = self.buckets().get(id.0 as usize) {
            bucket.frees.fetch_add(1, Ordering::Relaxed);
            bucket.free_bytes.fetch_add(size as u64, Ordering::Relaxed);
        }
    }

    /// See [`snapshot`].
    pub(super) fn snapshot(&self) -> Vec<BucketSnapshot> {
        self.buckets()
            .iter()
            .filter(|bucket| is_published(bucket.tag.load(Ordering::Acquire)))
            .map(|bucket| BucketSnapshot {
                frames: self.frames(bucket),
                size_class: bucket.size.load(Ordering::Relaxed) as usize,
                allocs: bucket.allocs.load(Ordering::Relaxed),
                alloc_bytes: bucket.alloc_bytes.load(Ordering::Relaxed),
                frees: bucket.frees.load(Ordering::Relaxed),
                free_bytes: bucket.free_bytes.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// The frames of a published bucket's stack.
    fn frames(&self, bucket: &BucketSlot) -> Vec<u64> {
        let stack = &self.stacks()[bucket.stack.load(Ordering::Relaxed) as usize];
        let (offset, len) = unpack(stack.location.load(Ordering::Relaxed));
        self.arena()[offset..offset + len]
            .iter()
            .map(|frame| frame.load(Ordering::Relaxed))
            .collect()
    }

    fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn buckets(&self) -> &[BucketSlot] {
        // SAFETY: `create` laid out `slots` bucket slots at this offset inside the mapping that
        // starts with `self` and lives as long as it; zeroed atomics are valid values.
        unsafe { self.array(self.buckets_offset, self.slots) }
    }

    fn stacks(&self) -> &[StackSlot] {
        // SAFETY: as in `buckets`, for the stack slots.
        unsafe { self.array(self.stacks_offset, self.slots) }
    }

    fn arena(&self) -> &[AtomicU64] {
        // SAFETY: as in `buckets`, for the frame arena.
        unsafe { self.array(self.arena_offset, self.arena_capacity) }
    }

    /// # Safety
    /// `len` values of `T`, suitably aligned, must lie at `offset` bytes into the mapping that
    /// starts with `self`, and any bit pattern must be a valid `T`.
    unsafe fn array<T>(&self, offset: usize, len: usize) -> &[T] {
        let base = ptr::from_ref(self).cast::<u8>();
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(base.add(offset).cast::<T>(), len) }
    }
}

/// Slot tags of the insert-only tables. A published slot's tag is its key's hash with the top
/// bit set, so it never equals the three states below.
const EMPTY: u64 = 0;
const CLAIMED: u64 = 1;
/// Claimed, then abandoned because the arena was full.
const ABANDONED: u64 = 2;
const PUBLISHED: u64 = 1 << 63;

fn is_published(tag: u64) -> bool {
    tag & PUBLISHED != 0
}

/// Finds the slot whose key `matches`, or claims an empty one and `fill`s it: one lock-free
/// probe over an insert-only open-addressing table of `slots` (a power of two) slots, tagged by
/// `tag`. `len` counts claimed slots; the table refuses new keys at 3/4 load.
///
/// A slot another thread is still filling is waited for briefly, then passed over: the key may
/// then end up in two slots, which only splits its counts, rather than stalling an allocation
/// behind a descheduled (or, after fork, vanished) thread.
fn find_or_claim<'t>(
    tag: impl Fn(usize) -> &'t AtomicU64,
    slots: usize,
    len: &AtomicUsize,
    hash: u64,
    matches: impl Fn(usize) -> bool,
    fill: impl FnOnce(usize) -> Option<()>,
) -> Option<usize> {
    let published = hash | PUBLISHED;
    let mut index = hash as usize & (slots - 1);
    for _ in 0..slots {
        let slot = tag(index);
        let mut current = slot.load(Ordering::Acquire);
        if current == CLAIMED {
            current = wait_while_claimed(slot);
        }
        if current == EMPTY {
            if len.load(Ordering::Relaxed) >= slots - slots / 4 {
                return None;
            }
            match slot.compare_exchange(EMPTY, CLAIMED, Ordering::Acquire, Ordering::Acquire) {
                Ok(_) => {
                    len.fetch_add(1, Ordering::Relaxed);
                    return match fill(index) {
                        Some(()) => {
                            slot.store(published, Ordering::Release);
                            Some(index)
                        }
                        None => {
                            slot.store(ABANDONED, Ordering::Release);
                            None
                        }
                    };
                }
                // Someone else claimed it first: look at what they put there.
                Err(_) => continue,
            }
        }
        if current == published && matches(index) {
            return Some(index);
        }
        index = (index + 1) & (slots - 1);
    }
    None
}

fn wait_while_claimed(slot: &AtomicU64) -> u64 {
    for spin in 0..2048 {
        let current = slot.load(Ordering::Acquire);
        if current != CLAIMED {
            return current;
        }
        if spin % 256 == 255 {
            // SAFETY: sched_yield has no preconditions.
            unsafe { libc::sched_yield() };
        } else {
            spin_loop();
        }
    }
    CLAIMED
}

fn unpack(location: u64) -> (usize, usize) {
    ((location >> 8) as usize, (location & 0xff) as usize)
}

fn hash_frames(frames: &[u64]) -> u64 {
    let hash = frames.iter().fold(frames.len() as u64, |hash, frame| {
        (hash ^ frame)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31)
    });
    mix(hash)
}

/// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
pub(super) fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The largest power of two not above `n`, or 0.
pub(super) fn prev_power_of_two(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        1 << (usize::BITS - 1 - n.leading_zeros())
    }
}

pub(super) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as usize
    } else {
        4096
    }
}

/// An anonymous private mapping of `len` zeroed bytes whose first bytes hold a `T`; `T` lays
/// out the rest. Unmapped on drop, unless leaked into a [`Global`].
pub(super) struct Mapped<T> {
    header: NonNull<T>,
    len: usize,
}

// SAFETY: a `Mapped<T>` owns its mapping and hands out only `&T`, so it is as thread-safe as `T`.
unsafe impl<T: Sync> Sync for Mapped<T> {}
// SAFETY: as above; the mapping is not tied to the thread that made it.
unsafe impl<T: Send> Send for Mapped<T> {}

impl<T> Mapped<T> {
    /// Maps `len` bytes (a multiple of the page size, at least `size_of::<T>()`) and writes
    /// `header()` at their start; `None` if the mapping fails.
    pub(super) fn new(len: usize, header: impl FnOnce() -> T) -> Option<Self> {
        if len < size_of::<T>() {
            return None;
        }
        // SAFETY: a fresh anonymous mapping touches no existing memory.
        let base = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        let header_ptr = base.cast::<T>();
        // SAFETY: the mapping is page-aligned (enough for any header), writable and large
        // enough for a `T`.
        unsafe { header_ptr.write(header()) };
        Some(Mapped {
            header: NonNull::new(header_ptr)?,
            len,
        })
    }
}

impl<T> Deref for Mapped<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `new` wrote a `T` there, and the mapping lives as long as `self`.
        unsafe { self.header.as_ref() }
    }
}

impl<T> Drop for Mapped<T> {
    fn drop(&mut self) {
        // SAFETY: `self` owns the header and the mapping; nothing refers to them any more.
        unsafe {
            ptr::drop_in_place(self.header.as_ptr());
            libc::munmap(self.header.as_ptr().cast(), self.len);
        }
    }
}

/// A process-wide table, mapped on first use without allocating: racing first users each map
/// one, one wins the CAS and the others unmap theirs. A failed creation is remembered, so a
/// budget too small for any table costs one attempt, not one per allocation.
pub(super) struct Global<T> {
    header: AtomicPtr<T>,
}

impl<T: Sync + 'static> Global<T> {
    pub(super) const fn new() -> Self {
        Global {
            header: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The table if it exists.
    pub(super) fn get(&self) -> Option<&'static T> {
        let header = self.header.load(Ordering::Acquire);
        if header.is_null() || header == Self::failed() {
            return None;
        }
        // SAFETY: a non-null, non-sentinel pointer here was leaked from a `Mapped<T>` and is
        // never unmapped.
        Some(unsafe { &*header })
    }

    /// The table, created by `create` if it does not exist yet.
    pub(super) fn get_or_create(
        &self,
        create: impl FnOnce() -> Option<Mapped<T>>,
    ) -> Option<&'static T> {
        if self.header.load(Ordering::Acquire).is_null() {
            let new = create();
            let new_header = new
                .as_ref()
                .map_or(Self::failed(), |new| new.header.as_ptr());
            let won = self
                .header
                .compare_exchange(
                    ptr::null_mut(),
                    new_header,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok();
            if won {
                // Published: it must outlive every reference `get` hands out.
                std::mem::forget(new);
            }
        }
        self.get()
    }

    /// Never a mapping's address: mappings start at page boundaries above the zero page.
    fn failed() -> *mut T {
        NonNull::dangling().as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(seed: u64, len: usize) -> Vec<u64> {
        (0..len as u64)
            .map(|frame| 0x40_0000 + seed * 0x1000 + frame)
            .collect()
    }

    fn table(budget: usize) -> Mapped<BucketTable> {
        BucketTable::create(budget).expect("the budget fits a table")
    }

    #[test]
    fn size_classes_are_at_most_an_eighth_apart() {
        assert_eq!(
            [1, 8, 9, 128, 129, 144, 145, 1000, 1024, 1025, 70_000].map(size_class),
            [8, 8, 16, 128, 144, 144, 160, 1024, 1024, 1152, 73_728]
        );
        let mut previous = 0;
        for size in 1..(1 << 20) {
            let class = size_class(size);
            assert!(class >= size && class >= previous, "{size} → {class}");
            assert!(class - size <= (size / 8).max(7), "{size} → {class}");
            previous = class;
        }
    }

    #[test]
    fn interning_dedups_by_stack_and_size() {
        let table = table(1 << 20);
        let a = table.intern(&stack(1, 10), 64).unwrap();
        assert_eq!(table.intern(&stack(1, 10), 64), Some(a));
        let other_size = table.intern(&stack(1, 10), 128).unwrap();
        let other_stack = table.intern(&stack(2, 10), 64).unwrap();
        let prefix = table.intern(&stack(1, 9), 64).unwrap();
        assert_eq!(
            [other_size, other_stack, prefix].map(|id| id == a),
            [false; 3]
        );
        assert_ne!(other_size, other_stack);
        assert_eq!(table.snapshot().len(), 4);
    }

    #[test]
    fn deep_stacks_keep_their_leaf_frames() {
        let table = table(1 << 20);
        let deep = stack(3, 200);
        let id = table.intern(&deep, 8).unwrap();
        assert_eq!(table.intern(&deep[..MAX_FRAMES], 8), Some(id));
        table.record_alloc(id, 8);
        let snapshot = table.snapshot();
        assert_eq!(snapshot[0].frames, deep[..MAX_FRAMES]);
    }

    #[test]
    fn counters_add_up_per_bucket() {
        let table = table(1 << 20);
        let small = table.intern(&stack(4, 5), 16).unwrap();
        let large = table.intern(&stack(4, 5), 4096).unwrap();
        for _ in 0..3 {
            table.record_alloc(small, 16);
        }
        table.record_free(small, 16);
        table.record_alloc(large, 4096);
        let mut snapshot = table.snapshot();
        snapshot.sort_by_key(|bucket| bucket.size_class);
        let expected = |size, allocs, frees| BucketSnapshot {
            frames: stack(4, 5),
            size_class: size,
            allocs,
            alloc_bytes: allocs * size as u64,
            frees,
            free_bytes: frees * size as u64,
        };
        assert_eq!(snapshot, [expected(16, 3, 1), expected(4096, 1, 0)]);
    }

    #[test]
    fn a_full_budget_drops_and_counts_instead_of_growing() {
        let budget = 64 << 10;
        let table = table(budget);
        assert!(table.mapped_len <= budget);
        let (mut kept, mut dropped) = (0, 0);
        for seed in 0..2000 {
            match table.intern(&stack(seed, 100), 32) {
                Some(_) => kept += 1,
                None => dropped += 1,
            }
        }
        assert!(kept > 0 && dropped > 0, "kept {kept}, dropped {dropped}");
        assert_eq!(table.dropped(), dropped);
        assert_eq!(table.snapshot().len() as u64, kept);
        assert!(table.arena_used.load(Ordering::Relaxed) <= table.arena_capacity);

        // Buckets run out too when one stack allocates many sizes.
        let table = self::table(budget);
        let sizes = (0..4096).filter(|size| table.intern(&stack(0, 1), *size).is_some());
        assert_eq!(sizes.count(), table.slots - table.slots / 4);
    }

    #[test]
    fn no_table_for_a_budget_below_one_page() {
        assert!(BucketTable::create(1000).is_none());
    }

    #[test]
    fn threads_interning_the_same_keys_share_buckets() {
        let table = table(4 << 20);
        let ids: Vec<Vec<BucketId>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..2000)
                            .map(|seed| {
                                let id = table.intern(&stack(seed, 20), 48).unwrap();
                                table.record_alloc(id, 48);
                                id
                            })
                            .collect()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().unwrap())
                .collect()
        });
        let snapshot = table.snapshot();
        assert_eq!(
            snapshot.iter().map(|bucket| bucket.allocs).sum::<u64>(),
            8000
        );
        assert!(snapshot.len() >= 2000);
        // Every id, from every thread, names its own key.
        for thread_ids in &ids {
            for (seed, id) in thread_ids.iter().enumerate() {
                let bucket = &table.buckets()[id.0 as usize];
                assert!(is_published(bucket.tag.load(Ordering::Relaxed)));
                assert_eq!(table.frames(bucket), stack(seed as u64, 20));
            }
        }
    }

    #[test]
    fn the_process_wide_table_is_created_on_first_use() {
        let frames = stack(0xdead, 7);
        let id = intern(&frames, 24).unwrap();
        assert_eq!(intern(&frames, 24), Some(id));
        record_alloc(id, 24);
        record_alloc(id, 24);
        record_free(id, 24);
        let bucket = snapshot()
            .into_iter()
            .find(|bucket| bucket.frames == frames)
            .unwrap();
        assert_eq!((bucket.allocs, bucket.frees, bucket.size_class), (2, 1, 24));
        assert!(memory_used() > 0);
        assert!(memory_used() <= 2 * half_budget());
    }
}

#[cfg(test)]
mod allocation_tests {
    use super::super::blocks::{self, BlockTable};
    use super::*;
    use crate::unwind::tests::alloc_counter::count_allocations;

    /// The allocator wrapper calls all of these from inside `GlobalAlloc`.
    #[test]
    fn the_allocator_path_never_allocates() {
        let frames: Vec<u64> = (0..64).map(|frame| 0x50_0000 + frame).collect();
        let ((), allocations) = count_allocations(|| {
            // Fresh tables, as on the first sampled allocation.
            let buckets = BucketTable::create(1 << 20).unwrap();
            let live = BlockTable::create(1 << 20).unwrap();
            for size in [16, 32, 16] {
                let id = buckets.intern(&frames, size).unwrap();
                buckets.record_alloc(id, size);
                assert!(live.insert(0x1000 * size, id, size));
                let (id, size) = live.remove(0x1000 * size).unwrap();
                buckets.record_free(id, size);
                assert!(live.remove(0x1000 * size + 16).is_none());
            }
            // The process-wide ones, whether or not this is their first use.
            let id = intern(&frames, 8).unwrap();
            record_alloc(id, 8);
            assert!(blocks::insert(0x2000, id, 8));
            assert_eq!(blocks::remove(0x2000), Some((id, 8)));
            record_free(id, 8);
            let _ = (dropped(), memory_used());
        });
        assert_eq!(allocations, 0);
    }
}
