//! Continuous profiling: an agent in the program that collects profiles every period and
//! pushes them with Grafana Pyroscope's push API, to `oxprof serve` on one machine or to
//! Pyroscope (or Grafana Cloud Profiles) for a fleet.
//!
//! ```no_run
//! let agent = oxprof::continuous::Agent::builder()
//!     .service_name("checkout")
//!     .labels([("env", "prod")])
//!     .endpoint("http://localhost:4040")
//!     .start()?;
//! // ... the program runs; every 10 s a push ...
//! println!("{:?}", agent.stats());
//! agent.stop();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Every period (10 s by default) the agent sends, each as a series labelled `__name__` and
//! `service_name` (and the labels given):
//!
//! | `__name__` | what | values |
//! |---|---|---|
//! | `process_cpu` | the CPU profile of the period (`oxprof::cpu`, 100 Hz) | `samples/count`, `cpu/nanoseconds`; samples keep their `oxprof::labels` |
//! | `memory` | the heap profile, when the global allocator is [`Profiled`](crate::heap::Profiled) | `alloc_*`: allocated during the period (a delta); `inuse_*`: in use at its end |
//! | `block` | where threads waited during the period, when block profiling is on | a delta of `contentions`, `delay` |
//! | `mutex` | who held contended locks during the period, when mutex profiling is on | a delta of `contentions`, `delay` |
//!
//! The first period's deltas count from the agent's first snapshots, taken on its own thread
//! just after [`Builder::start`] returns. Block and mutex profiles have the same sample types;
//! their `__name__` keeps them apart.
//! Deltas are computed by [`profiles::delta`](crate::profiles::delta), as the `/debug/pprof`
//! endpoints compute theirs.
//!
//! Shipping never blocks the program: the collector and the sender are threads of their own
//! (left out of CPU profiles, their allocations uncounted); pushes wait in a bounded queue, in
//! memory or in a spool directory that survives the server going down and the program
//! restarting; failed pushes are retried with exponential backoff and jitter; when the queue is
//! full the oldest push is dropped. [`Agent::stats`] counts what was sent, retried and dropped,
//! and the agent's own CPU time.

mod collect;
mod queue;
mod send;

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use collect::Collector;
use queue::Queue;
use send::{Outcome, Sender};

/// Credentials for the server.
#[derive(Clone)]
enum Auth {
    Basic(String, String),
    Bearer(String),
}

/// Secrets stay out of logs that print a builder.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic(user, _) => write!(f, "Basic({user:?}, <redacted>)"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// The agent's settings.
#[derive(Debug, Clone)]
struct Config {
    service_name: String,
    labels: Vec<(String, String)>,
    endpoint: String,
    period: Duration,
    auth: Option<Auth>,
    tenant: Option<String>,
    spool: Option<PathBuf>,
    max_queued: usize,
    max_spool_bytes: u64,
    timeout: Duration,
    cpu: bool,
    cpu_frequency: u32,
    heap: bool,
    block: bool,
    mutex: bool,
}

/// Settings for an [`Agent`]; [`Agent::builder`] makes one.
///
/// ```
/// let builder = oxprof::continuous::Agent::builder()
///     .service_name("api")
///     .endpoint("https://profiles-prod-001.grafana.net")
///     .basic_auth("123456", "glc_token")
///     .tenant_id("team-a")
///     .period(std::time::Duration::from_secs(15))
///     .spool_dir("/var/tmp/api-profiles");
/// # let _ = builder;
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    config: Config,
}

impl Builder {
    /// The service's name, the `service_name` label (required).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().service_name("checkout");
    /// # let _ = b;
    /// ```
    pub fn service_name(mut self, name: impl Into<String>) -> Builder {
        self.config.service_name = name.into();
        self
    }

    /// Labels of every series the agent sends (`env`, `region`, `version`...).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().labels([("env", "prod"), ("region", "eu")]);
    /// # let _ = b;
    /// ```
    pub fn labels<K: Into<String>, V: Into<String>>(
        mut self,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> Builder {
        self.config
            .labels
            .extend(labels.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The server's base URL: `http://localhost:4040` for `oxprof serve` or a local Pyroscope,
    /// `https://profiles-prod-NNN.grafana.net` for Grafana Cloud (required).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().endpoint("http://localhost:4040");
    /// # let _ = b;
    /// ```
    pub fn endpoint(mut self, url: impl Into<String>) -> Builder {
        self.config.endpoint = url.into();
        self
    }

    /// How often profiles are collected and pushed (10 s by default; at least 1 s).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().period(std::time::Duration::from_secs(60));
    /// # let _ = b;
    /// ```
    pub fn period(mut self, period: Duration) -> Builder {
        self.config.period = period;
        self
    }

    /// HTTP basic authentication (Grafana Cloud: the stack's user id and an access token).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().basic_auth("user", "secret");
    /// # let _ = b;
    /// ```
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Builder {
        self.config.auth = Some(Auth::Basic(user.into(), password.into()));
        self
    }

    /// A bearer token, sent as `Authorization: Bearer <token>`.
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().bearer_token("t0ken");
    /// # let _ = b;
    /// ```
    pub fn bearer_token(mut self, token: impl Into<String>) -> Builder {
        self.config.auth = Some(Auth::Bearer(token.into()));
        self
    }

    /// The tenant, sent as `X-Scope-OrgID` (Pyroscope in multi-tenant mode).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().tenant_id("team-a");
    /// # let _ = b;
    /// ```
    pub fn tenant_id(mut self, tenant: impl Into<String>) -> Builder {
        self.config.tenant = Some(tenant.into());
        self
    }

    /// Keeps waiting pushes as files in `dir` (created if missing), so they survive the server
    /// being down for long and the program restarting: the next agent started with the same
    /// directory sends them. At most [`max_spool_bytes`](Builder::max_spool_bytes) are kept.
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().spool_dir("/var/tmp/profiles");
    /// # let _ = b;
    /// ```
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.config.spool = Some(dir.into());
        self
    }

    /// How many pushes wait in memory at most without a spool directory (default 60, ten
    /// minutes at the default period); past it the oldest is dropped.
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().max_queued(6);
    /// # let _ = b;
    /// ```
    pub fn max_queued(mut self, pushes: usize) -> Builder {
        self.config.max_queued = pushes.max(1);
        self
    }

    /// The most bytes waiting pushes take, in memory or in the spool directory (default
    /// 64 MiB); past it the oldest is dropped.
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().max_spool_bytes(16 << 20);
    /// # let _ = b;
    /// ```
    pub fn max_spool_bytes(mut self, bytes: u64) -> Builder {
        self.config.max_spool_bytes = bytes;
        self
    }

    /// The CPU profiler's frequency (100 Hz by default); `0` leaves CPU profiles out, as when
    /// the program takes CPU profiles of its own (one runs at a time).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().cpu_frequency(0);
    /// # let _ = b;
    /// ```
    pub fn cpu_frequency(mut self, hz: u32) -> Builder {
        self.config.cpu = hz > 0;
        self.config.cpu_frequency = hz.max(1);
        self
    }

    /// Whether heap, block and mutex profiles are sent (all on by default; each is sent only
    /// when its profiler is on: the profiled allocator, [`block::set_rate`](crate::block::set_rate),
    /// [`mutex::set_fraction`](crate::mutex::set_fraction)).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().profiles(true, false, false);
    /// # let _ = b;
    /// ```
    pub fn profiles(mut self, heap: bool, block: bool, mutex: bool) -> Builder {
        (self.config.heap, self.config.block, self.config.mutex) = (heap, block, mutex);
        self
    }

    /// How long one push may take before it is retried (10 s by default).
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder().timeout(std::time::Duration::from_secs(5));
    /// # let _ = b;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Builder {
        self.config.timeout = timeout;
        self
    }

    /// Checks the settings, starts the CPU profiler, and starts the agent's two threads.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] for a missing service name or endpoint, a
    /// label name Pyroscope would refuse, or a period under a second; and when the spool
    /// directory cannot be created or read.
    ///
    /// ```
    /// let err = oxprof::continuous::Agent::builder().endpoint("http://localhost:4040").start().unwrap_err();
    /// assert_eq!(err.to_string(), "continuous profiling needs a service name");
    /// ```
    pub fn start(self) -> io::Result<Agent> {
        let config = self.config;
        let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        if config.service_name.is_empty() {
            return invalid("continuous profiling needs a service name".into());
        }
        if !(config.endpoint.starts_with("http://") || config.endpoint.starts_with("https://")) {
            return invalid(format!(
                "continuous profiling needs an http:// or https:// endpoint, not {:?}",
                config.endpoint
            ));
        }
        if config.period < Duration::from_secs(1) {
            return invalid(format!("period {:?} is under a second", config.period));
        }
        for (name, _) in &config.labels {
            let reserved = [oxprof_push::labels::NAME, oxprof_push::labels::SERVICE_NAME];
            if !oxprof_push::labels::valid_name(name) || reserved.contains(&name.as_str()) {
                return invalid(format!("{name:?} cannot be a label name"));
            }
        }
        let queue = Queue::open(
            config.spool.clone(),
            if config.spool.is_some() {
                usize::MAX
            } else {
                config.max_queued
            },
            config.max_spool_bytes,
        )?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue,
                stop: false,
                collector_done: false,
                flush_requested: 0,
                flushed: 0,
                stats: Stats::default(),
            }),
            changed: Condvar::new(),
            config,
        });
        let collecting = {
            let shared = shared.clone();
            crate::internal_thread::spawn("oxprof-agent", move || collect_loop(&shared))?
        };
        let sending = {
            let shared = shared.clone();
            crate::internal_thread::spawn("oxprof-agent-send", move || send_loop(&shared))?
        };
        Ok(Agent {
            shared,
            threads: vec![collecting, sending],
        })
    }
}

/// What the agent did so far. `sent_totals` sums, per profile type id
/// (`process_cpu:cpu:nanoseconds:cpu:nanoseconds`), the values of the profiles the server
/// acknowledged: a query of the server over the same time returns the same totals.
///
/// ```
/// let stats = oxprof::continuous::Stats::default();
/// assert_eq!(stats.profiles_sent, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Periods collected.
    pub collections: u64,
    /// Pushes the server acknowledged.
    pub pushes_sent: u64,
    /// Profiles in them.
    pub profiles_sent: u64,
    /// Their bytes, gzipped.
    pub bytes_sent: u64,
    /// Failed attempts that were retried later.
    pub retries: u64,
    /// Pushes given up: dropped from a full queue, refused by the server (4xx), or unsent at
    /// [`Agent::stop`] without a spool directory.
    pub dropped: u64,
    /// Pushes waiting now.
    pub queued: u64,
    /// Bytes they take, in memory or in the spool directory.
    pub queued_bytes: u64,
    /// Per profile type id, the sum of the values sent.
    pub sent_totals: BTreeMap<String, i64>,
    /// CPU time the agent's threads used (collecting, symbolizing, compressing, sending).
    pub cpu_time: Duration,
    /// The last error: a profile that could not be taken, a push that failed.
    pub last_error: Option<String>,
}

impl Stats {
    fn note(&mut self, errors: &[String]) {
        if let Some(last) = errors.last() {
            self.last_error = Some(last.clone());
        }
    }
}

struct State {
    queue: Queue,
    stop: bool,
    collector_done: bool,
    flush_requested: u64,
    flushed: u64,
    stats: Stats,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    config: Config,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a change until `done` holds of the state or `until` passes.
    fn wait_until<'a>(
        &self,
        mut state: MutexGuard<'a, State>,
        until: Instant,
        done: impl Fn(&State) -> bool,
    ) -> MutexGuard<'a, State> {
        while !done(&state) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        state
    }
}

/// A running agent; see the [module documentation](self). Dropping it stops it as
/// [`Agent::stop`] does.
pub struct Agent {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Agent {
    /// A builder with the defaults: a 10 s period, CPU at 100 Hz, heap, block and mutex on,
    /// a memory queue of 60 pushes.
    ///
    /// ```
    /// let b = oxprof::continuous::Agent::builder();
    /// # let _ = b;
    /// ```
    pub fn builder() -> Builder {
        Builder {
            config: Config {
                service_name: String::new(),
                labels: Vec::new(),
                endpoint: String::new(),
                period: Duration::from_secs(10),
                auth: None,
                tenant: None,
                spool: None,
                max_queued: 60,
                max_spool_bytes: 64 << 20,
                timeout: Duration::from_secs(10),
                cpu: true,
                cpu_frequency: 100,
                heap: true,
                block: true,
                mutex: true,
            },
        }
    }

    /// What the agent did so far.
    ///
    /// ```no_run
    /// # let agent = oxprof::continuous::Agent::builder().service_name("a").endpoint("http://localhost:4040").start()?;
    /// let stats = agent.stats();
    /// println!("{} profiles sent, {} dropped, {:?} of CPU", stats.profiles_sent, stats.dropped, stats.cpu_time);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        let state = self.shared.lock();
        let mut stats = state.stats.clone();
        stats.queued = state.queue.len() as u64;
        stats.queued_bytes = state.queue.bytes();
        stats
    }

    /// Ends the current period now (its profiles are collected and queued) and waits up to
    /// `timeout` for every queued push to be sent; returns whether they all were.
    ///
    /// ```no_run
    /// # let agent = oxprof::continuous::Agent::builder().service_name("a").endpoint("http://localhost:4040").start()?;
    /// assert!(agent.flush(std::time::Duration::from_secs(5)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        state.flush_requested += 1;
        let wanted = state.flush_requested;
        self.shared.changed.notify_all();
        loop {
            if state.flushed >= wanted && state.queue.is_empty() {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || state.collector_done {
                return false;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Stops the agent: the last period is collected, and its pushes and any still waiting are
    /// sent for up to the push timeout; what is left stays in the spool directory for the next
    /// start, or is dropped without one. Returns the final counts.
    ///
    /// ```no_run
    /// # let agent = oxprof::continuous::Agent::builder().service_name("a").endpoint("http://localhost:4040").start()?;
    /// let stats = agent.stop();
    /// assert_eq!(stats.queued, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(mut self) -> Stats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        let mut state = self.shared.lock();
        if !state.queue.spooled() {
            let left = state.queue.len() as u64;
            state.stats.dropped += left;
            while state.queue.pop().is_some() {}
        }
    }
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("service_name", &self.shared.config.service_name)
            .field("endpoint", &self.shared.config.endpoint)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The collector thread: starts the profilers (here, not in the program's thread: the first
/// snapshots are symbolized, which takes a while), then a collection every period, on a flush,
/// and at the stop.
fn collect_loop(shared: &Shared) {
    let config = &shared.config;
    let cpu_before = crate::clock::thread_cpu_time();
    let mut errors = Vec::new();
    let mut collector = Collector::start(config, &mut errors);
    {
        let mut state = shared.lock();
        state.stats.note(&errors);
        state.stats.cpu_time += crate::clock::thread_cpu_time().saturating_sub(cpu_before);
    }
    let mut random = crate::random::Xorshift::from_entropy();
    let mut next = Instant::now() + config.period;
    loop {
        let (last, flush) = {
            let state = shared.wait_until(shared.lock(), next, |s| {
                s.stop || s.flush_requested > s.flushed
            });
            (state.stop, state.flush_requested)
        };
        let cpu_before = crate::clock::thread_cpu_time();
        let mut errors = Vec::new();
        let profiles = collector.collect(config, last, &mut errors);
        let batch = (!profiles.is_empty()).then(|| collect::batch(config, &profiles, &mut random));
        let mut state = shared.lock();
        if let Some(batch) = batch {
            match state
                .queue
                .push(batch, crate::profile_build::unix_nanos_now())
            {
                Ok(dropped) => state.stats.dropped += dropped as u64,
                Err(e) => {
                    state.stats.dropped += 1;
                    errors.push(format!("spooling a push: {e}"));
                }
            }
        }
        state.stats.collections += 1;
        state.stats.note(&errors);
        state.stats.cpu_time += crate::clock::thread_cpu_time().saturating_sub(cpu_before);
        state.flushed = flush;
        if last {
            state.collector_done = true;
        }
        shared.changed.notify_all();
        drop(state);
        if last {
            return;
        }
        let now = Instant::now();
        while next <= now {
            next += config.period;
        }
    }
}

/// The sender thread: the oldest waiting push, until it is sent, refused, or the agent stops.
fn send_loop(shared: &Shared) {
    let sender = Sender::new(&shared.config);
    let mut random = crate::random::Xorshift::from_entropy();
    let mut attempts = 0u32;
    let mut stop_deadline: Option<Instant> = None;
    loop {
        let body = {
            let mut state = shared.lock();
            loop {
                if state.stop && stop_deadline.is_none() {
                    stop_deadline = Some(Instant::now() + shared.config.timeout);
                }
                // Stopping: what is not sent by the deadline is left (in the spool, if any).
                let late = stop_deadline.is_some_and(|d| Instant::now() >= d);
                if state.collector_done && (late || state.queue.is_empty()) {
                    return;
                }
                if !late {
                    if let Some(body) = state.queue.front() {
                        break body;
                    }
                }
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
        };
        let cpu_before = crate::clock::thread_cpu_time();
        let outcome = sender.send(&body);
        let mut state = shared.lock();
        state.stats.cpu_time += crate::clock::thread_cpu_time().saturating_sub(cpu_before);
        let wait = match outcome {
            Outcome::Sent => {
                attempts = 0;
                if let Some(entry) = state.queue.pop() {
                    state.stats.pushes_sent += 1;
                    state.stats.profiles_sent += u64::from(entry.profiles);
                    state.stats.bytes_sent += body.len() as u64;
                    for (id, total) in entry.totals {
                        *state.stats.sent_totals.entry(id).or_default() += total;
                    }
                }
                None
            }
            Outcome::Rejected(message) => {
                attempts = 0;
                state.queue.pop();
                state.stats.dropped += 1;
                state.stats.last_error = Some(message);
                None
            }
            Outcome::Retry(message) => {
                attempts += 1;
                state.stats.retries += 1;
                state.stats.last_error = Some(message);
                let cap = (shared.config.period * 3).max(Duration::from_secs(5));
                Some(send::backoff(attempts, cap, random.next()))
            }
        };
        shared.changed.notify_all();
        let Some(wait) = wait else { continue };
        // A stop cuts a wait short once; while stopping, waits end at the deadline.
        let stopping = stop_deadline.is_some();
        let until = (Instant::now() + wait).min(stop_deadline.unwrap_or(Instant::now() + wait));
        state = shared.wait_until(state, until, |s| !stopping && s.stop);
    }
}
