//! Kept events summed by stack, one table per profile. The table is bounded: past
//! [`MAX_STACKS`] distinct stacks, events with a new stack are summed into one overflow record
//! (shown as a synthetic frame), so totals stay right and memory stays capped.
//!
//! A plain std lock guards each table: recording never goes through `oxprof::sync`, so a
//! contended table lock cannot record contention of its own.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::sampling::Weight;

/// Distinct stacks kept per profile (at most about 4 MiB of frames).
pub(crate) const MAX_STACKS: usize = 8192;

/// Sums of the kept events of one stack.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Totals {
    /// Events they stand for.
    pub(crate) count: f64,
    /// Nanoseconds they stand for.
    pub(crate) delay: u64,
    /// Events actually recorded.
    pub(crate) recorded: u64,
}

impl Totals {
    fn add(&mut self, w: Weight) {
        self.count += w.count;
        self.delay = self.delay.saturating_add(w.delay);
        self.recorded += 1;
    }
}

/// One profile's events.
pub(crate) struct Events {
    table: Mutex<Table>,
}

struct Table {
    by_stack: BTreeMap<Box<[u64]>, Totals>,
    overflow: Totals,
}

/// A table's lock, held across a `fork` so the child never inherits it held by a thread it
/// does not have.
pub(crate) struct ForkLock {
    _table: MutexGuard<'static, Table>,
}

/// A copy of a table, taken so that profiles are built without holding its lock.
pub(crate) struct Snapshot {
    /// Stacks (as recorded by `stack::capture`) and their totals.
    pub(crate) by_stack: Vec<(Box<[u64]>, Totals)>,
    /// Events whose stack found the table full.
    pub(crate) overflow: Totals,
}

impl Events {
    pub(crate) const fn new() -> Events {
        Events {
            table: Mutex::new(Table {
                by_stack: BTreeMap::new(),
                overflow: Totals {
                    count: 0.0,
                    delay: 0,
                    recorded: 0,
                },
            }),
        }
    }

    pub(crate) fn add(&self, stack: &[u64], w: Weight) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(totals) = table.by_stack.get_mut(stack) {
            totals.add(w);
        } else if table.by_stack.len() < MAX_STACKS {
            table.by_stack.entry(stack.into()).or_default().add(w);
        } else {
            table.overflow.add(w);
        }
    }

    pub(crate) fn lock_for_fork(&'static self) -> ForkLock {
        ForkLock {
            _table: self.table.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        Snapshot {
            by_stack: table
                .by_stack
                .iter()
                .map(|(stack, totals)| (stack.clone(), *totals))
                .collect(),
            overflow: table.overflow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(delay: u64) -> Weight {
        Weight { count: 1.0, delay }
    }

    #[test]
    fn events_of_one_stack_are_summed() {
        let events = Events::new();
        events.add(&[1, 2], w(10));
        events.add(&[1, 2], w(5));
        events.add(&[3], w(1));
        let snapshot = events.snapshot();
        let totals: Vec<_> = snapshot
            .by_stack
            .iter()
            .map(|(s, t)| (&s[..], t.delay, t.recorded))
            .collect();
        assert_eq!(totals, vec![(&[1u64, 2][..], 15, 2), (&[3u64][..], 1, 1)]);
        assert_eq!(snapshot.overflow, Totals::default());
    }

    #[test]
    fn a_full_table_sums_new_stacks_into_the_overflow() {
        let events = Events::new();
        for i in 0..MAX_STACKS as u64 + 3 {
            events.add(&[i], w(2));
        }
        events.add(&[0], w(2));
        let snapshot = events.snapshot();
        assert_eq!(snapshot.by_stack.len(), MAX_STACKS);
        assert_eq!(snapshot.by_stack[0].1.delay, 4);
        assert_eq!(snapshot.overflow.recorded, 3);
        assert_eq!(snapshot.overflow.delay, 6);
    }
}
