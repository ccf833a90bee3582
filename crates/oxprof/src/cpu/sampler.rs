//! The profiler's own thread: it keeps a timer on every thread (new ones within a few
//! milliseconds of starting), signals every thread at each wall-clock tick in wall mode, and
//! drains the sample ring into the aggregate.

use std::collections::BTreeMap;
use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::aggregate::Aggregate;
use super::signal::{self, encode_value, Shared};
use super::threads::{StatFile, ThreadSet, ThreadState};
use super::timers::{random_first_expiry, ProcessTimer, ThreadTimer};
use crate::random::Xorshift;
use crate::signals::send_queued;

/// How often the thread count is checked and the ring drained, when no wall-clock tick comes
/// sooner, while threads come and go: a new thread gets its timer within this long.
const SCAN_INTERVAL: Duration = Duration::from_millis(10);
/// The same once the thread count has not changed for [`STEADY_AFTER`]: waking up is most of
/// the sampler's cost (about 5 ms of CPU a second at 10 ms), and until a new thread has its
/// timer the process timer samples it. The ring holds about 2,000 samples, so 50 ms leaves
/// room for 400 busy threads at 100 Hz.
const STEADY_SCAN_INTERVAL: Duration = Duration::from_millis(50);
/// How long the thread count must stay the same before scans slow down.
const STEADY_AFTER: Duration = Duration::from_secs(1);
/// How often threads are listed even though their number did not change (one ended and
/// another started in between).
const FULL_SCAN_INTERVAL: Duration = Duration::from_millis(250);

/// What triggers samples.
pub(crate) enum Clock {
    /// One CPU-time timer per thread, and the process timer for threads without one yet.
    PerThread {
        timers: BTreeMap<u32, ThreadTimer>,
        /// Held for its `Drop`, which disarms it.
        _catch_all: ProcessTimer,
    },
    /// The process-wide `ITIMER_PROF` timer.
    Process(ProcessTimer),
    /// The sampler signals every thread on a wall clock.
    Wall(BTreeMap<u32, StatFile>),
    /// Nothing armed: the profile is stopping.
    Disarmed,
}

/// Counters reported in the profile's comments.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stats {
    /// Threads that got a timer (or were signalled in wall mode).
    pub(crate) threads_sampled: usize,
    /// Threads whose timer could not be created, with the last error.
    pub(crate) timer_failures: usize,
    pub(crate) last_timer_error: Option<String>,
    /// Wall-clock ticks the sampler was late for, charged to the next samples.
    pub(crate) late_ticks: u64,
}

/// Everything the sampler hands back when the profile stops.
pub(crate) struct Finished {
    pub(crate) aggregate: Aggregate,
    pub(crate) threads: ThreadSet,
    pub(crate) stats: Stats,
    /// Samples lost because the ring was full.
    pub(crate) lost: u64,
    /// Samples the handler recorded, and its nanoseconds spent recording them.
    pub(crate) handler_cost: (u64, u64),
    /// CPU time of the sampler thread itself.
    pub(crate) sampler_cpu: Duration,
    /// Samples taken by the process timer on threads without a timer of their own.
    pub(crate) catch_all: u64,
}

/// The sampler's state, moved onto its thread by [`Sampler::spawn`].
pub(crate) struct Sampler {
    pub(crate) shared: Arc<Shared>,
    pub(crate) clock: Clock,
    pub(crate) threads: ThreadSet,
    pub(crate) period: Duration,
    pub(crate) aggregate: Aggregate,
    pub(crate) stats: Stats,
    pub(crate) random: Xorshift,
}

impl Sampler {
    /// Arms timers on every thread alive now. Per-thread timers fall back to the process timer
    /// when the very first one is refused; that error is returned for the profile's comments.
    pub(crate) fn arm_initial(&mut self) -> io::Result<Option<io::Error>> {
        self.threads.rescan()?;
        let live: Vec<u32> = self.threads.live().collect();
        let mut fallback = None;
        for tid in live {
            if let Err(e) = self.arm(tid) {
                if matches!(&self.clock, Clock::PerThread { timers, .. } if timers.is_empty()) {
                    // Disarm the catch-all first: both are the one ITIMER_PROF.
                    self.clock = Clock::Disarmed;
                    self.clock = Clock::Process(ProcessTimer::arm(self.period)?);
                    fallback = Some(e);
                    break;
                }
            }
        }
        if let Clock::Process(_) = self.clock {
            self.stats.threads_sampled = self.threads.live().count();
        }
        Ok(fallback)
    }

    /// Starts covering thread `tid`.
    fn arm(&mut self, tid: u32) -> io::Result<()> {
        let value = encode_value(self.shared.generation, ThreadState::Unknown as u8, tid);
        match &mut self.clock {
            Clock::PerThread { timers, .. } => {
                let first = random_first_expiry(self.period, &mut self.random);
                match ThreadTimer::arm(tid, self.period, first, value) {
                    Ok(timer) => {
                        timers.insert(tid, timer);
                        self.shared.armed.set(tid, true);
                        self.stats.threads_sampled += 1;
                    }
                    Err(e) => {
                        // The thread may simply have ended since the scan.
                        if std::path::Path::new(&format!("/proc/self/task/{tid}")).exists() {
                            self.stats.timer_failures += 1;
                            self.stats.last_timer_error = Some(e.to_string());
                        }
                        return Err(e);
                    }
                }
            }
            Clock::Process(_) => self.stats.threads_sampled += 1,
            Clock::Disarmed => {}
            Clock::Wall(files) => {
                if let Ok(file) = StatFile::open(tid) {
                    files.insert(tid, file);
                    self.stats.threads_sampled += 1;
                }
            }
        }
        Ok(())
    }

    fn forget(&mut self, tid: u32) {
        match &mut self.clock {
            Clock::PerThread { timers, .. } => {
                timers.remove(&tid);
                self.shared.armed.set(tid, false);
            }
            Clock::Wall(files) => {
                files.remove(&tid);
            }
            Clock::Process(_) | Clock::Disarmed => {}
        }
    }

    /// Picks up threads that started and lets go of those that ended.
    fn rescan(&mut self) {
        let Ok(changes) = self.threads.rescan() else {
            return;
        };
        for tid in changes.ended {
            self.forget(tid);
        }
        if !changes.started.is_empty() {
            crate::unwind::refresh_memory_map();
        }
        for tid in changes.started {
            let _ = self.arm(tid);
        }
    }

    fn drain(&mut self) {
        let aggregate = &mut self.aggregate;
        let mut sampled = std::collections::BTreeSet::new();
        self.shared.ring.drain(|sample| {
            sampled.insert(sample.meta.tid);
            crate::trace_hooks::cpu_sample(sample.meta.tid, sample.time, sample.frames);
            aggregate.add(sample);
        });
        // A thread that has been sampled has run its own code, so the name it gave itself at
        // start is set by now; the name read when the scan first saw it may predate that.
        self.threads.confirm_names(sampled);
    }

    /// One wall-clock tick: every live thread is signalled with its current state and the
    /// number of earlier ticks that were missed.
    fn signal_all(&self, late: u32) {
        let Clock::Wall(files) = &self.clock else {
            return;
        };
        for (&tid, file) in files {
            let Some(state) = file.state() else { continue };
            let value = encode_value(self.shared.generation, state as u8, tid);
            // A thread that has just ended cannot be signalled; the next scan forgets it.
            let _ = send_queued(libc::SIGPROF, self.shared.pid, tid, value, late as i32);
        }
    }

    /// Runs the sampler until `stop` fires, then disarms everything, waits for in-flight
    /// handlers and drains what they wrote.
    pub(crate) fn run(mut self, stop: Receiver<()>) -> Finished {
        let wall = matches!(self.clock, Clock::Wall(_));
        let tick = if wall { self.period } else { SCAN_INTERVAL };
        let mut next_tick = Instant::now();
        let mut next_scan = Instant::now() + SCAN_INTERVAL;
        let mut next_full_scan = Instant::now() + FULL_SCAN_INTERVAL;
        let mut last_change = Instant::now();
        loop {
            let now = Instant::now();
            if wall && now >= next_tick {
                // A sampler delayed by more than a period charges the ticks it missed to the
                // samples it takes now, so wall time is accounted in full under load.
                let late = (now.duration_since(next_tick).as_nanos() / tick.as_nanos()) as u32;
                self.stats.late_ticks += u64::from(late);
                self.signal_all(late);
                next_tick += tick * (late + 1);
            }
            if now >= next_scan {
                let changed = self.threads.count_changed();
                if changed {
                    last_change = now;
                }
                if changed || now >= next_full_scan {
                    self.rescan();
                    next_full_scan = now + FULL_SCAN_INTERVAL;
                }
                self.drain();
                next_scan = now + scan_interval(now.duration_since(last_change));
            }
            let wake = if wall {
                next_tick.min(next_scan)
            } else {
                next_scan
            };
            match stop.recv_timeout(wake.saturating_duration_since(Instant::now())) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // Disarm first so no new signals come, then make sure none is still being handled.
        self.clock = Clock::Disarmed;
        signal::retract();
        self.drain();
        Finished {
            lost: self.shared.ring.lost(),
            handler_cost: self.shared.cost.totals(),
            catch_all: self
                .shared
                .catch_all
                .load(std::sync::atomic::Ordering::Relaxed),
            sampler_cpu: crate::clock::thread_cpu_time(),
            aggregate: self.aggregate,
            threads: self.threads,
            stats: self.stats,
        }
    }
}

/// The wait until the next scan, given how long the thread count has stayed the same.
fn scan_interval(steady_for: Duration) -> Duration {
    if steady_for >= STEADY_AFTER {
        STEADY_SCAN_INTERVAL
    } else {
        SCAN_INTERVAL
    }
}
