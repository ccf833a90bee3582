//! The collector: oxprof's own thread that, while anything records, ends a generation about
//! every second (sooner when asked, or when threads have buffered a lot), gathers every
//! thread's buffers, looks up the symbols of the stacks, lays the generation out with its
//! tables, and hands it to the sinks: the writer of [`start`](super::start) and the
//! [`FlightRecorder`](super::FlightRecorder). It also samples the process counters.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant};

use oxprof_trace::encode::{Events, GenerationEncoder};

use super::buffer::{self, Taken, GENERATION, SESSION};
use super::counters::{self, ProcessEvent};
use super::flight::Ring;
use super::symbols::Symbols;
use crate::clock::monotonic_nanos;

/// How long a generation lasts, as Go's `defaultTraceAdvancePeriod`.
const GENERATION_PERIOD: Duration = Duration::from_secs(1);

/// Numbers of generations, unique for the life of the process.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// Who receives generations, and the requests made of the collector.
struct Control {
    /// A collector thread is running.
    running: bool,
    /// The process it runs in: a child forked while tracing has a copy of this state but no
    /// collector.
    pid: u32,
    collector: Option<Thread>,
    writer: Option<Box<dyn Write + Send>>,
    writer_error: Option<io::Error>,
    detach_writer: bool,
    flight: Option<Arc<Mutex<Ring>>>,
    detach_flight: bool,
    /// Generation ends asked for, and the last one done.
    requested: u64,
    completed: u64,
}

static CONTROL: Mutex<Control> = Mutex::new(Control {
    running: false,
    pid: 0,
    collector: None,
    writer: None,
    writer_error: None,
    detach_writer: false,
    flight: None,
    detach_flight: false,
    requested: 0,
    completed: 0,
});

/// Signalled each time the collector finishes a generation.
static DONE: Condvar = Condvar::new();

/// Set by a thread whose buffers grew past the generation's byte budget.
static NUDGED: AtomicBool = AtomicBool::new(false);

/// CPU samples handed over by the CPU profiler: time, thread, stack.
static CPU_SAMPLES: Mutex<Vec<ProcessEvent>> = Mutex::new(Vec::new());

fn control() -> MutexGuard<'static, Control> {
    let mut c = CONTROL.lock().unwrap_or_else(PoisonError::into_inner);
    if c.running && c.pid != std::process::id() {
        c.forget_parents();
    }
    c
}

impl Control {
    /// In a child forked while tracing: the collector stayed in the parent, so waiting for it
    /// would never end. The child records nothing more and forgets the parent's sinks without
    /// dropping them (dropping the writer would flush the parent's buffered bytes into its
    /// file); it may start tracing anew.
    fn forget_parents(&mut self) {
        GENERATION.store(0, Ordering::SeqCst);
        buffer::forget_parent_threads();
        std::mem::forget(self.writer.take());
        std::mem::forget(self.flight.take());
        self.running = false;
        self.collector = None;
        self.writer_error = None;
        self.detach_writer = false;
        self.detach_flight = false;
        self.requested = 0;
        self.completed = 0;
    }
}

/// Starts a new generation: the recording threads see it at their next event.
fn publish_new_generation() -> u64 {
    let generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
    GENERATION.store(generation, Ordering::SeqCst);
    generation
}

/// Makes sure a collector runs (and threads record), starting one if needed.
fn ensure_running(c: &mut Control) -> io::Result<()> {
    if c.running {
        return Ok(());
    }
    SESSION.fetch_add(1, Ordering::Relaxed);
    super::fence::register();
    register_fork_handler();
    let start = monotonic_nanos();
    let wall = crate::profile_build::unix_nanos_now() as u64;
    let generation = publish_new_generation();
    let handle =
        crate::internal_thread::spawn("oxprof-trace", move || run(generation, start, wall));
    match handle {
        Ok(handle) => {
            c.running = true;
            c.pid = std::process::id();
            c.collector = Some(handle.thread().clone());
            Ok(())
        }
        Err(e) => {
            GENERATION.store(0, Ordering::SeqCst);
            Err(e)
        }
    }
}

/// The tracer across a `fork`. Only the forking thread goes on in the child, so a lock another
/// thread held at the fork (the collector writing under [`CONTROL`], a new thread registering
/// its buffer) would stay held there for good: the forking thread takes them all before the
/// fork, in the order the tracer takes them, and releases them after it, in the parent and in
/// the child. A child forked while tracing also stops recording at once: with no collector
/// there, its buffers would only grow. The rest of its reset waits for its next use of the
/// tracer ([`Control::forget_parents`]), outside the fork.
fn register_fork_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: the handlers take and release the tracer's locks and store to an atomic.
    ONCE.call_once(|| unsafe {
        libc::pthread_atfork(Some(fork::prepare), Some(fork::parent), Some(fork::child));
    });
}

mod fork {
    use std::cell::RefCell;
    use std::sync::atomic::Ordering;
    use std::sync::{MutexGuard, PoisonError};

    use super::{buffer, Control, ProcessEvent, CONTROL, CPU_SAMPLES, GENERATION};

    /// The locks held across a fork. Fields drop in order: the reverse of how they were taken.
    struct Held {
        _cpu_samples: MutexGuard<'static, Vec<ProcessEvent>>,
        _buffers: buffer::ForkLocks,
        _control: MutexGuard<'static, Control>,
    }

    thread_local! {
        /// The locks, from the prepare handler to the parent's or the child's (the same thread).
        static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
    }

    pub(super) extern "C" fn prepare() {
        // `CONTROL` itself, not `control()`: a child's first use does its reset, not this.
        let control = CONTROL.lock().unwrap_or_else(PoisonError::into_inner);
        let buffers = buffer::lock_for_fork();
        let cpu_samples = CPU_SAMPLES.lock().unwrap_or_else(PoisonError::into_inner);
        let held = Held {
            _cpu_samples: cpu_samples,
            _buffers: buffers,
            _control: control,
        };
        let _ = HELD.try_with(|slot| *slot.borrow_mut() = Some(held));
    }

    pub(super) extern "C" fn parent() {
        release();
    }

    pub(super) extern "C" fn child() {
        release();
        GENERATION.store(0, Ordering::SeqCst);
    }

    fn release() {
        let held = HELD.try_with(|slot| slot.borrow_mut().take());
        drop(held);
    }
}

/// Asks for the current generation to end and waits until it has been delivered.
fn request_and_wait(mut c: MutexGuard<'static, Control>) -> MutexGuard<'static, Control> {
    if !c.running {
        return c;
    }
    c.requested += 1;
    let ticket = c.requested;
    if let Some(t) = &c.collector {
        t.unpark();
    }
    while c.running && c.completed < ticket {
        c = DONE.wait(c).unwrap_or_else(PoisonError::into_inner);
    }
    c
}

/// Attaches the writer of [`start`](super::start).
pub(super) fn attach_writer(mut w: Box<dyn Write + Send>) -> io::Result<()> {
    let mut c = control();
    if c.writer.is_some() {
        return Err(io::Error::other("tracing is already enabled"));
    }
    w.write_all(oxprof_trace::wire::MAGIC)?;
    c.writer = Some(w);
    c.writer_error = None;
    if let Err(e) = ensure_running(&mut c) {
        c.writer = None;
        return Err(e);
    }
    Ok(())
}

/// Delivers the current generation to the writer, flushes and drops it; the first write
/// error met while tracing, if any.
pub(super) fn detach_writer() -> io::Result<()> {
    let mut c = control();
    if c.writer.is_none() {
        return Ok(());
    }
    c.detach_writer = true;
    let mut c = request_and_wait(c);
    match c.writer_error.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

pub(super) fn attach_flight(ring: Arc<Mutex<Ring>>) -> io::Result<()> {
    let mut c = control();
    if c.flight.is_some() {
        return Err(io::Error::other("cannot enable a enabled flight recorder"));
    }
    c.flight = Some(ring);
    if let Err(e) = ensure_running(&mut c) {
        c.flight = None;
        return Err(e);
    }
    Ok(())
}

pub(super) fn detach_flight(ring: &Arc<Mutex<Ring>>) {
    let mut c = control();
    if c.flight.as_ref().is_some_and(|f| Arc::ptr_eq(f, ring)) {
        c.detach_flight = true;
        drop(request_and_wait(c));
    }
}

pub(super) fn flight_attached(ring: &Arc<Mutex<Ring>>) -> bool {
    let c = control();
    !c.detach_flight && c.flight.as_ref().is_some_and(|f| Arc::ptr_eq(f, ring))
}

/// Ends the current generation now and waits until the sinks have it.
pub(super) fn advance_now() {
    drop(request_and_wait(control()));
}

/// Asks the collector to end the generation early (threads have buffered a lot). Called from
/// the recording path, rarely: once per generation at most.
pub(super) fn nudge() {
    NUDGED.store(true, Ordering::Relaxed);
    if let Ok(c) = CONTROL.try_lock() {
        if let Some(t) = &c.collector {
            t.unpark();
        }
    }
}

/// A CPU profile sample, for the trace's process stream.
pub(super) fn add_cpu_sample(tid: u64, time: u64, frames: &[u64]) {
    CPU_SAMPLES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(ProcessEvent::Sample {
            time,
            tid,
            stack: frames.into(),
        });
}

/// The collector thread's state between generations.
struct Collector {
    symbols: Symbols,
    /// Names of threads that did not name themselves when they registered (from `comm`).
    names: counters::KernelNames,
    /// Counters sampled during the generation.
    process: Vec<ProcessEvent>,
}

fn run(mut generation: u64, mut start: u64, mut wall: u64) {
    let mut collector = Collector {
        symbols: Symbols::new(),
        names: counters::KernelNames::default(),
        process: Vec::new(),
    };
    let mut next_end = Instant::now() + GENERATION_PERIOD;
    let mut next_counters = Instant::now();
    loop {
        let now = Instant::now();
        if now >= next_counters {
            counters::sample(&mut collector.process, &mut collector.names);
            next_counters = now + counters::PERIOD;
        }
        let (ticket, last) = {
            let c = control();
            let due = now >= next_end
                || c.requested > c.completed
                || NUDGED.swap(false, Ordering::Relaxed);
            if !due {
                drop(c);
                let wake = next_end.min(next_counters);
                std::thread::park_timeout(wake.saturating_duration_since(Instant::now()));
                continue;
            }
            let writer = c.writer.is_some() && !c.detach_writer;
            let flight = c.flight.is_some() && !c.detach_flight;
            (c.requested, !(writer || flight))
        };
        let next_start = monotonic_nanos();
        let next_wall = crate::profile_build::unix_nanos_now() as u64;
        let next = if last {
            GENERATION.store(0, Ordering::SeqCst);
            0
        } else {
            publish_new_generation()
        };
        let taken = buffer::take_generation(generation);
        let end = monotonic_nanos();
        let bytes = collector.assemble(generation, start, wall, end, taken);
        let mut c = control();
        if let Some(w) = c.writer.as_mut() {
            if let Err(e) = w.write_all(&bytes) {
                c.writer_error = Some(e);
                c.writer = None;
            }
        }
        if c.detach_writer {
            c.detach_writer = false;
            if let Some(mut w) = c.writer.take() {
                if let Err(e) = w.flush() {
                    c.writer_error.get_or_insert(e);
                }
            }
        }
        if let Some(ring) = &c.flight {
            ring.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(start, end, bytes);
        }
        if c.detach_flight {
            c.detach_flight = false;
            c.flight = None;
        }
        c.completed = ticket;
        let still_needed = c.writer.is_some() || c.flight.is_some();
        let (generation_now, exit) = match (last, still_needed) {
            (false, _) => (next, false),
            // A sink was attached while the last generation was being written: go on.
            (true, true) => (publish_new_generation(), false),
            (true, false) => (0, true),
        };
        if exit {
            c.running = false;
            c.collector = None;
        }
        DONE.notify_all();
        drop(c);
        if exit {
            return;
        }
        generation = generation_now;
        start = next_start;
        wall = next_wall;
        next_end = Instant::now() + GENERATION_PERIOD;
    }
}

/// An address and its source frames as string ids: function, file, line.
type AddressFrames = (u64, Vec<(u32, u32, u32)>);

/// The process's (thread 0's) strings and stacks in a generation.
#[derive(Default)]
struct ProcessTables {
    strings: HashMap<Arc<str>, u32>,
    string_defs: Vec<(u32, Arc<str>)>,
    stacks: HashMap<Box<[u64]>, u32>,
    stack_defs: Vec<(u32, Box<[u64]>)>,
}

impl ProcessTables {
    fn string(&mut self, s: &Arc<str>) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.string_defs.len() as u32 + 1;
        self.strings.insert(Arc::clone(s), id);
        self.string_defs.push((id, Arc::clone(s)));
        id
    }

    fn stack(&mut self, pcs: &[u64]) -> u32 {
        if pcs.is_empty() {
            return 0;
        }
        if let Some(&id) = self.stacks.get(pcs) {
            return id;
        }
        let id = self.stack_defs.len() as u32 + 1;
        self.stacks.insert(pcs.into(), id);
        self.stack_defs.push((id, pcs.into()));
        id
    }
}

impl Collector {
    /// Lays out one finished generation.
    fn assemble(
        &mut self,
        number: u64,
        start: u64,
        wall: u64,
        end: u64,
        taken: Vec<Taken>,
    ) -> Vec<u8> {
        let mut process = std::mem::take(&mut self.process);
        process.append(&mut CPU_SAMPLES.lock().unwrap_or_else(PoisonError::into_inner));
        process.sort_by_key(ProcessEvent::time);

        let thread_pcs = taken
            .iter()
            .flat_map(|t| t.stacks.iter().flat_map(|(_, pcs)| pcs.iter().copied()));
        let sample_pcs = process.iter().flat_map(|e| match e {
            ProcessEvent::Sample { stack, .. } => &stack[..],
            _ => &[],
        });
        self.symbols
            .resolve(thread_pcs.chain(sample_pcs.copied()).collect::<Vec<_>>());

        let mut g = GenerationEncoder::new(number, start, wall);
        let mut tables = ProcessTables::default();
        let mut events = Events::new(start);
        for e in &process {
            match e {
                ProcessEvent::Sample { time, tid, stack } => {
                    let id = tables.stack(self.symbols.trim(stack));
                    events.cpu_sample(*time, *tid, id);
                }
                ProcessEvent::Counter { time, name, value } => {
                    let id = tables.string(&Arc::from(*name));
                    events.counter(*time, id, *value);
                }
                ProcessEvent::ThreadCpu { time, tid, nanos } => {
                    events.thread_cpu(*time, *tid, *nanos)
                }
            }
        }
        for t in &taken {
            g.strings(t.tid, t.strings.iter().map(|(id, s)| (*id, &**s)));
            g.stacks(
                t.tid,
                t.stacks
                    .iter()
                    .map(|(id, pcs)| (*id, self.symbols.trim(pcs))),
            );
        }

        // Symbols of every address written, with their names in the process's table.
        let mut pcs: Vec<u64> = taken
            .iter()
            .flat_map(|t| t.stacks.iter().flat_map(|(_, pcs)| self.symbols.trim(pcs)))
            .chain(tables.stack_defs.iter().flat_map(|(_, pcs)| pcs.iter()))
            .copied()
            .collect();
        pcs.sort_unstable();
        pcs.dedup();
        let symbols: Vec<AddressFrames> = pcs
            .iter()
            .map(|&pc| {
                let frames = self
                    .symbols
                    .frames(pc)
                    .iter()
                    .map(|f| (tables.string(&f.function), tables.string(&f.file), f.line))
                    .collect();
                (pc, frames)
            })
            .collect();
        g.strings(0, tables.string_defs.iter().map(|(id, s)| (*id, &**s)));
        g.stacks(0, tables.stack_defs.iter().map(|(id, pcs)| (*id, &pcs[..])));
        g.symbols(symbols.iter().map(|(pc, f)| (*pc, &f[..])));
        g.mappings(self.symbols.mappings().iter().map(|m| {
            (
                m.start,
                m.limit,
                m.offset,
                m.file.as_str(),
                m.build_id.as_str(),
            )
        }));

        let threads = self.thread_names(&taken, &process);
        g.threads(threads.iter().map(|(tid, name)| (*tid, name.as_str())));
        for t in &taken {
            for (base, bytes) in &t.batches {
                g.event_bytes(t.tid, *base, bytes);
            }
        }
        buffer::recycle(taken.into_iter().flat_map(|t| t.batches).map(|(_, b)| b));
        g.events(0, &events);
        g.finish(end)
    }

    /// Every thread the generation mentions, with its name: as it named itself when it
    /// first recorded, else as the kernel knows it.
    fn thread_names(&mut self, taken: &[Taken], process: &[ProcessEvent]) -> Vec<(u64, String)> {
        let registered: HashMap<u64, String> = buffer::thread_names()
            .into_iter()
            .chain(taken.iter().map(|t| (t.tid, t.name.clone())))
            .collect();
        let mut tids: Vec<u64> = taken
            .iter()
            .map(|t| t.tid)
            .chain(process.iter().filter_map(ProcessEvent::tid))
            .collect();
        tids.sort_unstable();
        tids.dedup();
        tids.into_iter()
            .map(|tid| {
                let name = match registered.get(&tid) {
                    Some(name) if !name.is_empty() => name.clone(),
                    // Read again while the thread lives: a thread names itself soon after it
                    // starts, maybe after it was first seen.
                    _ => self.names.current(tid),
                };
                (tid, name)
            })
            .collect()
    }
}
