//! Starting and stopping a CPU profile, and turning what was sampled into a profile.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use oxprof_profile::Profile;

use super::aggregate::Aggregate;
use super::armed::ArmedThreads;
use super::assemble::{clock_comment, Recording};
use super::error::Error;
use super::ring::SampleRing;
use super::sampler::{Clock, Finished, Sampler, Stats};
use super::signal::{self, Shared};
use super::threads::ThreadSet;
use crate::random::Xorshift;
use crate::unwind::UnwindSession;

/// Set while a profile runs: one per process, as in Go.
static IN_USE: AtomicBool = AtomicBool::new(false);
/// Tags each profile's signals so ones still pending from an earlier profile are dropped.
static GENERATION: AtomicU32 = AtomicU32::new(0);

/// In a child just forked: the parent's profile does not run here (its sampler thread and
/// timers are not inherited), so the child may start one of its own. Whoever holds the
/// parent's [`Profiler`] in the child must forget it, never stop or drop it.
pub(crate) fn after_fork_in_child() {
    super::signal::after_fork_in_child();
    IN_USE.store(false, Ordering::Release);
}

/// The synthetic frame at the root of stacks cut at the configured depth.
///
/// ```
/// assert_eq!(oxprof::cpu::TRUNCATED_FRAME, "oxprof::truncated");
/// ```
pub const TRUNCATED_FRAME: &str = "oxprof::truncated";
/// The synthetic frame of the sample that counts samples the profiler could not keep.
///
/// ```
/// assert_eq!(oxprof::cpu::LOST_SAMPLES_FRAME, "oxprof::lost_samples");
/// ```
pub const LOST_SAMPLES_FRAME: &str = "oxprof::lost_samples";

/// Memory the sample ring may use; at the default depth that is about 2,000 samples, 20 s of
/// one busy thread at 100 Hz and far more than the sampler ever leaves undrained (it drains
/// every 10 ms, or 50 ms once the thread count is steady).
const RING_BYTES: usize = 2 << 20;

/// What a profile measures.
///
/// ```
/// let builder = oxprof::cpu::Profiler::builder().mode(oxprof::cpu::Mode::Wall);
/// # let _ = builder;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// CPU time: each thread is sampled as it consumes CPU (`cpu/nanoseconds`), as Go's CPU
    /// profile.
    #[default]
    Cpu,
    /// Wall-clock time: every thread is sampled at every tick whether it runs, sleeps or waits
    /// (`wall/nanoseconds`), with a `state` label of `running`, `sleeping` or `blocked` from the
    /// kernel. Off-CPU time shows up here and nowhere in a CPU profile.
    Wall,
}

/// Configures and starts a [`Profiler`].
///
/// ```no_run
/// use oxprof::cpu::{Mode, Profiler};
/// let profiler = Profiler::builder()
///     .frequency(250)
///     .depth(64)
///     .mode(Mode::Cpu)
///     .thread_labels(true)
///     .start()?;
/// # drop(profiler);
/// # Ok::<(), oxprof::cpu::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct Builder {
    pub(super) frequency: u32,
    pub(super) depth: usize,
    pub(super) mode: Mode,
    pub(super) thread_labels: bool,
    pub(super) process_timer: bool,
    pub(super) symbolize: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            frequency: 100,
            depth: 128,
            mode: Mode::Cpu,
            thread_labels: false,
            process_timer: false,
            symbolize: true,
        }
    }
}

impl Builder {
    /// Samples per second of CPU time per thread (or of wall time, in [`Mode::Wall`]);
    /// 1 to 5000, default 100 as in Go.
    ///
    /// ```
    /// let b = oxprof::cpu::Profiler::builder().frequency(1000);
    /// # let _ = b;
    /// ```
    pub fn frequency(mut self, hz: u32) -> Self {
        self.frequency = hz;
        self
    }

    /// The most frames kept per sample, 1 to 4096, default 128. Deeper stacks keep their
    /// innermost frames and end in a synthetic `oxprof::truncated` frame.
    ///
    /// ```
    /// let b = oxprof::cpu::Profiler::builder().depth(256);
    /// # let _ = b;
    /// ```
    pub fn depth(mut self, frames: usize) -> Self {
        self.depth = frames;
        self
    }

    /// CPU time (default) or wall-clock time.
    ///
    /// ```
    /// let b = oxprof::cpu::Profiler::builder().mode(oxprof::cpu::Mode::Wall);
    /// # let _ = b;
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Adds a `thread` label with the sampled thread's name to every sample (default off:
    /// it splits every stack by thread).
    ///
    /// ```
    /// let b = oxprof::cpu::Profiler::builder().thread_labels(true);
    /// # let _ = b;
    /// ```
    pub fn thread_labels(mut self, on: bool) -> Self {
        self.thread_labels = on;
        self
    }

    /// Uses the process-wide `setitimer(ITIMER_PROF)` timer even where per-thread timers work.
    /// It under-samples programs that keep more than about two cores busy; it exists for
    /// comparison and for environments that refuse `timer_create`, where oxprof falls back to it
    /// by itself and says so in the profile's comments.
    ///
    /// ```
    /// let b = oxprof::cpu::Profiler::builder().process_timer(true);
    /// # let _ = b;
    /// ```
    pub fn process_timer(mut self, on: bool) -> Self {
        self.process_timer = on;
        self
    }

    /// Resolves addresses to functions, files and lines when the profile stops (default on).
    /// Off, the profile keeps addresses, mappings and build ids, and `oxprof` symbolizes it
    /// later given the binary.
    ///
    /// ```
    /// let b = oxprof::cpu::Profiler::builder().symbolize(false);
    /// # let _ = b;
    /// ```
    pub fn symbolize(mut self, on: bool) -> Self {
        self.symbolize = on;
        self
    }

    /// Starts sampling every thread of the process, including threads created later.
    ///
    /// Fails with [`Error::AlreadyInUse`] while another CPU profile runs.
    ///
    /// ```no_run
    /// let profiler = oxprof::cpu::Profiler::builder().start()?;
    /// let again = oxprof::cpu::Profiler::builder().start();
    /// assert_eq!(again.unwrap_err().to_string(), "cpu profiling already in use");
    /// # drop(profiler);
    /// # Ok::<(), oxprof::cpu::Error>(())
    /// ```
    pub fn start(self) -> Result<Profiler, Error> {
        if !(1..=5000).contains(&self.frequency) {
            return Err(Error::InvalidFrequency(self.frequency));
        }
        if !(1..=4096).contains(&self.depth) {
            return Err(Error::InvalidDepth(self.depth));
        }
        if IN_USE
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(Error::AlreadyInUse);
        }
        let started = Profiler::launch(self);
        if started.is_err() {
            IN_USE.store(false, Ordering::Release);
        }
        started
    }
}

/// A running CPU profile of the whole process.
///
/// Stop it with [`stop`](Self::stop) to get the profile; dropping it stops sampling and
/// discards what was collected.
///
/// ```no_run
/// let profiler = oxprof::cpu::Profiler::builder().frequency(100).start()?;
/// // ... the work to profile ...
/// let profile = profiler.stop()?;
/// profile.write_to(std::fs::File::create("cpu.pprof")?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Profiler {
    config: Builder,
    stop: Option<Sender<()>>,
    sampler: Option<JoinHandle<Finished>>,
    started: Instant,
    time_nanos: i64,
    clock_comment: String,
    _unwinding: UnwindSession,
}

impl Profiler {
    /// A builder with Go's defaults: 100 Hz, CPU time, 128 frames.
    ///
    /// ```
    /// let builder = oxprof::cpu::Profiler::builder();
    /// # let _ = builder;
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    fn launch(config: Builder) -> Result<Profiler, Error> {
        signal::install().map_err(Error::io("installing the SIGPROF handler"))?;
        let unwinding = UnwindSession::acquire().map_err(Error::io("reading loaded modules"))?;
        let period = Duration::from_nanos(1_000_000_000 / u64::from(config.frequency));
        let record_bytes = (config.depth + 4) * 8;
        let records = (RING_BYTES / record_bytes).clamp(64, 65_536);
        let shared = Arc::new(Shared {
            generation: GENERATION.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
            process_timer: config.mode == Mode::Cpu,
            armed: ArmedThreads::new(),
            catch_all: AtomicU64::new(0),
            pid: std::process::id() as i32,
            ring: SampleRing::new(records, config.depth),
            cost: Default::default(),
        });
        let clock = match (config.mode, config.process_timer) {
            (Mode::Wall, _) => Clock::Wall(Default::default()),
            (Mode::Cpu, false) => Clock::PerThread {
                timers: Default::default(),
                _catch_all: super::timers::ProcessTimer::arm(period)
                    .map_err(Error::io("arming ITIMER_PROF"))?,
            },
            (Mode::Cpu, true) => Clock::Process(
                super::timers::ProcessTimer::arm(period)
                    .map_err(Error::io("arming ITIMER_PROF"))?,
            ),
        };
        let mut sampler = Sampler {
            shared: shared.clone(),
            clock,
            threads: ThreadSet::default(),
            period,
            aggregate: Aggregate::new(config.thread_labels),
            stats: Stats::default(),
            random: Xorshift::from_entropy(),
        };
        signal::publish(&shared);
        let armed = sampler.arm_initial();
        let fallback = match armed {
            Ok(fallback) => fallback,
            Err(e) => {
                drop(sampler);
                signal::retract();
                return Err(Error::io("listing threads")(e));
            }
        };
        let clock_comment = clock_comment(&config, fallback.as_ref());
        let (stop, stop_rx) = mpsc::channel();
        let handle = crate::internal_thread::spawn("oxprof-sampler", move || sampler.run(stop_rx));
        let handle = match handle {
            Ok(handle) => handle,
            Err(e) => {
                signal::retract();
                return Err(Error::io("starting the sampler thread")(e));
            }
        };
        Ok(Profiler {
            config,
            stop: Some(stop),
            sampler: Some(handle),
            started: Instant::now(),
            time_nanos: crate::profile_build::unix_nanos_now(),
            clock_comment,
            _unwinding: unwinding,
        })
    }

    /// Stops sampling and returns the profile: symbolized (unless turned off), with mappings,
    /// build ids and Go's sample types.
    ///
    /// ```no_run
    /// let profiler = oxprof::cpu::Profiler::builder().start()?;
    /// let profile = profiler.stop()?;
    /// assert_eq!(profile.sample_type[1].ty, "cpu");
    /// # Ok::<(), oxprof::cpu::Error>(())
    /// ```
    pub fn stop(mut self) -> Result<Profile, Error> {
        let duration = self.started.elapsed();
        let finished = self.finish();
        let recording = Recording {
            config: &self.config,
            clock_comment: std::mem::take(&mut self.clock_comment),
            time_nanos: self.time_nanos,
            duration,
        };
        Ok(recording.build(finished))
    }

    /// Stops the sampler thread and waits for what it collected; releases the profiler.
    fn finish(&mut self) -> Finished {
        drop(self.stop.take());
        let finished = self
            .sampler
            .take()
            .map(|h| h.join().expect("the oxprof sampler thread panicked"));
        IN_USE.store(false, Ordering::Release);
        finished.expect("a profiler is finished once")
    }
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiler")
            .field("config", &self.config)
            .field("running_for", &self.started.elapsed())
            .finish_non_exhaustive()
    }
}

impl Drop for Profiler {
    fn drop(&mut self) {
        if self.sampler.is_some() {
            let _ = self.finish();
        }
    }
}
