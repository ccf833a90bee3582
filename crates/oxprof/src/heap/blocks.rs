//! The live sampled blocks: address → (bucket, size), so a free can be charged to the bucket
//! that sampled its allocation, from whichever thread frees it.
//!
//! Nearly every free is of an unsampled block, so [`remove`] first asks a counting filter: one
//! byte per hash of the address, incremented on insert and decremented on remove (stuck at 255
//! once saturated). A zero means "never sampled" after one load. The table behind it is
//! split into 64 shards, each an open-addressing array under its own spin lock; removal shifts
//! later entries back instead of leaving tombstones, so any amount of churn leaves the table as
//! fast as it was.
//!
//! Called from inside the global allocator: the table lives in one anonymous mapping of half
//! the memory budget (see [`super::buckets::set_budget`]), mapped on first use:
//!
//! ```text
//! [BlockTable header][64 shard headers × 64 B][filter: 1 B each][entries: 64 × capacity × 24 B]
//! ```
//!
//! The filter takes an eighth of the share, at most 64 Ki counters (64 KiB), the
//! entries a power-of-two capacity per shard in the rest. A shard accepts new blocks up to 7/8
//! full; blocks beyond that are counted in [`dropped`].

use std::hint::spin_loop;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use super::buckets::{half_budget, mix, page_size, prev_power_of_two, BucketId, Global, Mapped};

const SHARDS: usize = 64;
/// At most 64 Ki filter counters: every free reads one, and a bigger filter missed the cache on
/// nearly every free of an allocation-bound loop (85% of the free path's time in a profile of
/// the heap benchmark with 1 Mi counters). With a few thousand sampled blocks live, a few percent
/// of frees go on to the shard lookup instead, which is far cheaper than a miss per free.
const MAX_FILTER: usize = 1 << 16;

static TABLE: Global<BlockTable> = Global::new();

/// Records `ptr` as a live sampled block of `size` bytes charged to `id`; `false`, counted in
/// [`dropped`], when there is no room for it.
pub(crate) fn insert(ptr: usize, id: BucketId, size: usize) -> bool {
    match TABLE.get_or_create(|| BlockTable::create(half_budget())) {
        Some(table) => table.insert(ptr, id, size),
        None => {
            UNMAPPED_DROPS.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

/// Drops counted while no table could be mapped at all.
static UNMAPPED_DROPS: AtomicU64 = AtomicU64::new(0);

/// Forgets `ptr` and returns what it was recorded with, if it was a live sampled block.
#[inline]
pub(crate) fn remove(ptr: usize) -> Option<(BucketId, usize)> {
    TABLE.get()?.remove(ptr)
}

/// Whether `ptr` may be a live sampled block: false is certain (one load of the filter), true
/// is usually a collision with another address.
#[inline(always)]
pub(crate) fn may_hold(ptr: usize) -> bool {
    TABLE.get().is_some_and(|table| table.may_hold(ptr))
}

/// Sampled blocks that found no room, so far.
pub(super) fn dropped() -> u64 {
    TABLE
        .get()
        .map_or(0, |table| table.dropped.load(Ordering::Relaxed))
        + UNMAPPED_DROPS.load(Ordering::Relaxed)
}

/// Bytes mapped for the table.
pub(super) fn memory_used() -> usize {
    TABLE.get().map_or(0, |table| table.mapped_len)
}

/// Takes every shard lock, so that a `fork` (between this and [`after_fork`], in both parent
/// and child) never copies a lock held by a thread the child will not have.
pub(crate) fn before_fork() {
    if let Some(table) = TABLE.get() {
        table.shards().iter().for_each(Shard::lock);
    }
}

/// Releases the locks [`before_fork`] took; call in the parent and in the child.
pub(crate) fn after_fork() {
    if let Some(table) = TABLE.get() {
        table.shards().iter().for_each(Shard::unlock);
    }
}

/// The block table's header, at the start of its mapping (see the module docs for the layout).
/// Everything after it starts zeroed: unlocked, empty shards and a clear filter.
#[repr(C)]
pub(super) struct BlockTable {
    mapped_len: usize,
    shards_offset: usize,
    filter_offset: usize,
    /// Filter counters, a power of two, at least 2.
    filter_len: usize,
    /// 64 − log2(`filter_len`): a hash's top bits pick its counter.
    filter_shift: u32,
    entries_offset: usize,
    /// Entries per shard, a power of two.
    capacity: usize,
    dropped: AtomicU64,
}

#[repr(C, align(64))]
struct Shard {
    locked: AtomicBool,
    len: AtomicUsize,
}

/// A slot of a shard; `ptr == 0` is empty (a live block is never at address 0). Atomic only so
/// the mapping can be shared as plain references: every access happens under the shard lock.
#[repr(C)]
struct Entry {
    ptr: AtomicUsize,
    size: AtomicUsize,
    bucket: AtomicU32,
}

/// Where an address lives: its shard and its home slot in that shard, from disjoint bits of
/// one hash, so the two are independent.
struct Place {
    shard: usize,
    home: usize,
}

impl BlockTable {
    /// Maps a table of at most `budget` bytes; `None` if not even one entry per shard fits.
    pub(super) fn create(budget: usize) -> Option<Mapped<BlockTable>> {
        let shards_offset = size_of::<BlockTable>().next_multiple_of(64);
        let filter_offset = shards_offset + SHARDS * size_of::<Shard>();
        let filter_len = prev_power_of_two(budget / 8).min(MAX_FILTER);
        if filter_len < 2 {
            return None;
        }
        let entries_offset = (filter_offset + filter_len).next_multiple_of(64);
        let room = budget.checked_sub(entries_offset)? / (SHARDS * size_of::<Entry>());
        if room == 0 {
            return None;
        }
        let capacity = prev_power_of_two(room);
        let needed = entries_offset + SHARDS * capacity * size_of::<Entry>();
        let mapped_len = needed.next_multiple_of(page_size());
        if mapped_len > budget {
            return None;
        }
        Mapped::new(mapped_len, || BlockTable {
            mapped_len,
            shards_offset,
            filter_offset,
            filter_len,
            filter_shift: 64 - filter_len.trailing_zeros(),
            entries_offset,
            capacity,
            dropped: AtomicU64::new(0),
        })
    }

    /// See [`insert`].
    pub(super) fn insert(&self, ptr: usize, id: BucketId, size: usize) -> bool {
        debug_assert_ne!(ptr, 0, "address 0 marks empty slots");
        let place = self.place(ptr);
        let shard = &self.shards()[place.shard];
        let entries = self.entries(place.shard);
        shard.lock();
        let mut index = place.home;
        write_first(&entries[index].ptr);
        let inserted = loop {
            let entry = &entries[index];
            match entry.ptr.load(Ordering::Relaxed) {
                0 => {
                    let len = shard.len.load(Ordering::Relaxed);
                    if len >= self.capacity - self.capacity / 8 {
                        break false;
                    }
                    shard.len.store(len + 1, Ordering::Relaxed);
                    entry.ptr.store(ptr, Ordering::Relaxed);
                    self.filter_counter(ptr)
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| {
                            count.checked_add(1)
                        })
                        .ok();
                    break true;
                }
                // Still recorded: its free went unseen (the same address cannot be live twice),
                // so the new block replaces it.
                stored if stored == ptr => break true,
                _ => index = (index + 1) & (self.capacity - 1),
            }
        };
        if inserted {
            entries[index].size.store(size, Ordering::Relaxed);
            entries[index].bucket.store(id.index(), Ordering::Relaxed);
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        shard.unlock();
        inserted
    }

    /// See [`may_hold`].
    #[inline(always)]
    fn may_hold(&self, ptr: usize) -> bool {
        self.filter_counter(ptr).load(Ordering::Relaxed) != 0
    }

    /// See [`remove`].
    #[inline]
    pub(super) fn remove(&self, ptr: usize) -> Option<(BucketId, usize)> {
        let counter = self.filter_counter(ptr);
        if counter.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.remove_recorded(ptr, counter)
    }

    #[cold]
    fn remove_recorded(&self, ptr: usize, counter: &AtomicU8) -> Option<(BucketId, usize)> {
        let place = self.place(ptr);
        let shard = &self.shards()[place.shard];
        let entries = self.entries(place.shard);
        shard.lock();
        let mut index = place.home;
        write_first(&entries[index].ptr);
        let found = loop {
            let entry = &entries[index];
            match entry.ptr.load(Ordering::Relaxed) {
                0 => break None,
                stored if stored == ptr => {
                    let found = (
                        BucketId::from_index(entry.bucket.load(Ordering::Relaxed)),
                        entry.size.load(Ordering::Relaxed),
                    );
                    self.shift_back(entries, index);
                    shard.len.fetch_sub(1, Ordering::Relaxed);
                    counter
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| {
                            (count != u8::MAX).then(|| count - 1)
                        })
                        .ok();
                    break Some(found);
                }
                _ => index = (index + 1) & (self.capacity - 1),
            }
        };
        shard.unlock();
        found
    }

    /// Empties slot `hole` of a linear-probing shard, moving back each later entry of the
    /// probe run that may no longer be reachable from its home slot.
    fn shift_back(&self, entries: &[Entry], mut hole: usize) {
        let mask = self.capacity - 1;
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let ptr = entries[next].ptr.load(Ordering::Relaxed);
            if ptr == 0 {
                break;
            }
            let home = self.place(ptr).home;
            // `next` may move to `hole` only if its home is not cyclically within (hole, next].
            if (next.wrapping_sub(home) & mask) >= (next.wrapping_sub(hole) & mask) {
                let (from, to) = (&entries[next], &entries[hole]);
                to.ptr.store(ptr, Ordering::Relaxed);
                to.size
                    .store(from.size.load(Ordering::Relaxed), Ordering::Relaxed);
                to.bucket
                    .store(from.bucket.load(Ordering::Relaxed), Ordering::Relaxed);
                hole = next;
            }
        }
        entries[hole].ptr.store(0, Ordering::Relaxed);
    }

    #[inline]
    fn place(&self, ptr: usize) -> Place {
        let hash = mix(ptr as u64);
        Place {
            shard: (hash >> 58) as usize,
            home: (hash >> 24) as usize & (self.capacity - 1),
        }
    }

    /// The filter counter of `ptr`, from its own hash: one multiply and shift (Fibonacci
    /// hashing: the product's top bits are its well-mixed ones) instead of
    /// [`place`](Self::place)'s full mix, so the free of an unsampled block, nearly every
    /// free, is a few instructions and one load (the full mix made `free` cost about 45
    /// instructions more under `oxprof record`).
    #[inline(always)]
    fn filter_counter(&self, ptr: usize) -> &AtomicU8 {
        let index = (ptr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.filter_shift;
        // SAFETY: `index` has 64 − `filter_shift` = log2(`filter_len`) bits, so it is below
        // `filter_len`: inside the filter that `create` laid out at `filter_offset`, which
        // lives as long as `self`.
        unsafe { &*self.filter_ptr().add(index as usize) }
    }

    fn shards(&self) -> &[Shard] {
        // SAFETY: `create` laid out `SHARDS` shard headers at this offset inside the mapping
        // that starts with `self` and lives as long as it; zeroed, they are unlocked and empty.
        unsafe { self.array(self.shards_offset, SHARDS) }
    }

    /// Every filter counter.
    #[cfg(test)]
    fn filter(&self) -> &[AtomicU8] {
        // SAFETY: as in `shards`, for the filter counters.
        unsafe { self.array(self.filter_offset, self.filter_len) }
    }

    /// The first filter counter.
    #[inline(always)]
    fn filter_ptr(&self) -> *const AtomicU8 {
        // SAFETY: `create` laid the filter out at this offset inside the mapping that starts
        // with `self`.
        unsafe {
            (self as *const Self)
                .cast::<u8>()
                .add(self.filter_offset)
                .cast()
        }
    }

    fn entries(&self, shard: usize) -> &[Entry] {
        let offset = self.entries_offset + shard * self.capacity * size_of::<Entry>();
        // SAFETY: as in `shards`, for this shard's entries.
        unsafe { self.array(offset, self.capacity) }
    }

    /// # Safety
    /// `len` values of `T`, suitably aligned, must lie at `offset` bytes into the mapping that
    /// starts with `self`, and any bit pattern must be a valid `T`.
    #[inline]
    unsafe fn array<T>(&self, offset: usize, len: usize) -> &[T] {
        let base = ptr::from_ref(self).cast::<u8>();
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(base.add(offset).cast::<T>(), len) }
    }
}

/// Touches the page holding `slot` as a write before anything reads it. The first read of a
/// never-written page of the mapping maps the shared zero page, and the write that follows then
/// replaces it with a flush of every CPU's TLB (an inter-processor interrupt each); in a profile
/// of four threads sampling mixed sizes that was a tenth of all the time. A write as the first
/// access faults the page in directly. Called under the shard lock, so the atomic is
/// uncontended. (A swap, not `fetch_or(0)`: the compiler turns an idempotent update into a
/// plain load.)
#[inline]
fn write_first(slot: &AtomicUsize) {
    let value = slot.swap(0, Ordering::Relaxed);
    if value != 0 {
        slot.store(value, Ordering::Relaxed);
    }
}

impl Shard {
    fn lock(&self) {
        let mut spins = 0u32;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while self.locked.load(Ordering::Relaxed) {
                spins += 1;
                if spins.is_multiple_of(128) {
                    // The holder may be descheduled: let it run rather than burn its time slice.
                    // SAFETY: sched_yield has no preconditions.
                    unsafe { libc::sched_yield() };
                } else {
                    spin_loop();
                }
            }
        }
    }

    fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(budget: usize) -> Mapped<BlockTable> {
        BlockTable::create(budget).expect("the budget fits a table")
    }

    /// Distinct, allocator-like (16-byte aligned) addresses.
    fn address(n: usize) -> usize {
        0x7f00_0000_0000 + n * 16
    }

    fn id(n: usize) -> BucketId {
        BucketId::from_index(n as u32)
    }

    #[test]
    fn blocks_freed_on_other_threads_come_back_with_their_bucket_and_size() {
        let table = table(1 << 20);
        let per_thread = 2000;
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let table = &table;
                scope.spawn(move || {
                    for n in thread * per_thread..(thread + 1) * per_thread {
                        assert!(table.insert(address(n), id(n % 1000), n + 1));
                    }
                });
            }
        });
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let table = &table;
                // Each thread frees another thread's blocks.
                let owner = (thread + 1) % 4;
                scope.spawn(move || {
                    for n in owner * per_thread..(owner + 1) * per_thread {
                        assert_eq!(table.remove(address(n)), Some((id(n % 1000), n + 1)));
                        assert_eq!(table.remove(address(n)), None, "removed twice");
                    }
                });
            }
        });
        assert_eq!(table.dropped.load(Ordering::Relaxed), 0);
        let live: usize = table
            .shards()
            .iter()
            .map(|shard| shard.len.load(Ordering::Relaxed))
            .sum();
        assert_eq!(live, 0);
        assert!(table
            .filter()
            .iter()
            .all(|count| count.load(Ordering::Relaxed) == 0));
    }

    #[test]
    fn unsampled_blocks_are_mostly_turned_away_by_the_filter() {
        let table = table(1 << 20);
        for n in 0..1000 {
            assert!(table.insert(address(2 * n), id(n), 8));
        }
        let unsampled = (0..100_000).map(|n| address(2 * n + 1));
        let mut passed_filter = 0;
        for ptr in unsampled {
            assert_eq!(table.remove(ptr), None);
            passed_filter += usize::from(table.filter_counter(ptr).load(Ordering::Relaxed) != 0);
        }
        // 1000 live blocks over 64 Ki counters: about 1.5% of other addresses collide.
        assert!(
            passed_filter < 3000,
            "{passed_filter} of 100000 passed the filter"
        );
        for n in 0..1000 {
            assert_eq!(table.remove(address(2 * n)), Some((id(n), 8)));
        }
    }

    #[test]
    fn churn_leaves_no_residue() {
        let table = table(256 << 10);
        let capacity = SHARDS * table.capacity;
        let window = capacity / 2;
        for n in 0..1_000_000 {
            // Reuse addresses the way an allocator does, so probe runs keep overlapping.
            assert!(
                table.insert(address(n % (3 * window)), id(n % 7), n),
                "insert {n}"
            );
            if n >= window {
                let old = n - window;
                assert_eq!(
                    table.remove(address(old % (3 * window))),
                    Some((id(old % 7), old))
                );
            }
        }
        assert_eq!(table.dropped.load(Ordering::Relaxed), 0);
        let live: usize = table
            .shards()
            .iter()
            .map(|shard| shard.len.load(Ordering::Relaxed))
            .sum();
        assert_eq!(live, window);
    }

    #[test]
    fn a_full_table_drops_and_counts() {
        let budget = 64 << 10;
        let table = table(budget);
        assert!(table.mapped_len <= budget);
        let attempts = 2 * SHARDS * table.capacity;
        let inserted: Vec<usize> = (0..attempts)
            .filter(|&n| table.insert(address(n), id(n), n))
            .collect();
        assert!(inserted.len() < attempts);
        assert_eq!(
            table.dropped.load(Ordering::Relaxed),
            (attempts - inserted.len()) as u64
        );
        for &n in &inserted {
            assert_eq!(table.remove(address(n)), Some((id(n), n)));
        }
    }

    #[test]
    fn reinserting_a_live_address_replaces_it() {
        let table = table(1 << 20);
        assert!(table.insert(address(1), id(1), 10));
        assert!(table.insert(address(1), id(2), 20));
        assert_eq!(table.remove(address(1)), Some((id(2), 20)));
        assert_eq!(table.remove(address(1)), None);
    }

    #[test]
    fn the_process_wide_table_is_created_on_first_insert() {
        let ptr = address(0x55_5555);
        assert!(insert(ptr, id(3), 4096));
        assert!(memory_used() > 0 && memory_used() <= half_budget());
        before_fork();
        after_fork();
        assert_eq!(remove(ptr), Some((id(3), 4096)));
        assert_eq!(remove(ptr), None);
    }
}
