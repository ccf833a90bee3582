//! The reader: batches grouped into generations, each generation decoded on its own once its
//! end batch is seen. A file that ends inside a generation (a process killed while tracing) or
//! inside a batch keeps every complete generation before it; what was dropped is said in
//! [`Trace::warnings`].

use std::collections::HashMap;
use std::fmt;

use crate::model::{Event, EventKind, Frame, Generation, Mapping, StackId, StrId, Thread, Trace};
use crate::wire::{BatchKind, Cursor, EventType, Malformed, MAGIC, MAX_BATCH_LEN, MAX_STACK_DEPTH};

/// Why a file could not be read as a trace at all.
///
/// ```
/// let err = oxprof_trace::parse(b"not a trace").unwrap_err();
/// assert_eq!(err.to_string(), "not an oxprof trace (bad header)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Reads a whole trace. Fails only on a file that is not a trace of this version; damage
/// after the header costs the damaged generation and the ones after a broken batch, each
/// reported in the trace's warnings.
///
/// ```
/// let mut file = oxprof_trace::wire::MAGIC.to_vec();
/// oxprof_trace::wire::put_batch(&mut file, oxprof_trace::wire::BatchKind::Sync, 1, 0, 100, &[0]);
/// oxprof_trace::wire::put_batch(&mut file, oxprof_trace::wire::BatchKind::End, 1, 0, 200, &[]);
/// let trace = oxprof_trace::parse(&file)?;
/// assert_eq!(trace.span(), (100, 200));
/// # Ok::<(), oxprof_trace::Error>(())
/// ```
pub fn parse(data: &[u8]) -> Result<Trace, Error> {
    if data.len() < MAGIC.len() || !data.starts_with(b"oxprof trace ") {
        return Err(Error {
            message: "not an oxprof trace (bad header)".into(),
        });
    }
    if &data[..MAGIC.len()] != MAGIC {
        let version = String::from_utf8_lossy(&data[13..MAGIC.len()]);
        return Err(Error {
            message: format!(
                "unsupported oxprof trace version {:?} (this reader reads version 1)",
                version.trim_end_matches('\0')
            ),
        });
    }
    let mut reader = Reader::default();
    let mut cursor = Cursor::new(&data[MAGIC.len()..]);
    let mut open: Option<Pending> = None;
    while !cursor.is_empty() {
        let offset = MAGIC.len() + cursor.pos();
        let batch = match read_batch(&mut cursor) {
            Ok(b) => b,
            Err(m) => {
                reader.trace.warnings.push(format!(
                    "the trace ends in a damaged or incomplete batch at byte {offset} ({})",
                    m.reason
                ));
                break;
            }
        };
        if open.as_ref().is_some_and(|p| p.number != batch.generation) {
            let dropped = open.take().expect("checked");
            reader.trace.warnings.push(format!(
                "generation {} has no end and was skipped",
                dropped.number
            ));
        }
        let pending = open.get_or_insert_with(|| Pending {
            number: batch.generation,
            offset,
            batches: Vec::new(),
        });
        let end = batch.kind == Some(BatchKind::End);
        pending.batches.push(batch);
        if end {
            let pending = open.take().expect("just filled");
            let len = MAGIC.len() + cursor.pos() - pending.offset;
            reader.generation(pending, len);
        }
    }
    if let Some(p) = open {
        reader.trace.warnings.push(format!(
            "the last generation ({}) is incomplete and was skipped",
            p.number
        ));
    }
    reader.trace.events.sort_by_key(|e| e.time);
    Ok(reader.trace)
}

struct Batch<'a> {
    kind: Option<BatchKind>,
    raw_kind: u8,
    generation: u64,
    thread: u64,
    time: u64,
    payload: &'a [u8],
}

fn read_batch<'a>(c: &mut Cursor<'a>) -> Result<Batch<'a>, Malformed> {
    let raw_kind = c.byte()?;
    let generation = c.uvarint()?;
    let thread = c.uvarint()?;
    let time = c.uvarint()?;
    let len = c.uvarint()?;
    if len > MAX_BATCH_LEN as u64 {
        return Err(Malformed {
            offset: c.pos(),
            reason: "batch longer than any writer makes",
        });
    }
    let payload = c.take(len as usize)?;
    Ok(Batch {
        kind: BatchKind::from_byte(raw_kind),
        raw_kind,
        generation,
        thread,
        time,
        payload,
    })
}

struct Pending<'a> {
    number: u64,
    offset: usize,
    batches: Vec<Batch<'a>>,
}

#[derive(Default)]
struct Reader {
    trace: Trace,
    /// Batch kinds met that this reader does not know, reported once each.
    unknown_kinds: Vec<u8>,
}

/// One generation's tables, mapping the file's per-thread ids to the trace's.
#[derive(Default)]
struct Tables {
    strings: HashMap<(u64, u32), StrId>,
    stacks: HashMap<(u64, u32), StackId>,
    missing: usize,
}

impl Tables {
    fn str(&mut self, thread: u64, id: u32) -> StrId {
        if id == 0 {
            return StrId(0);
        }
        self.strings.get(&(thread, id)).copied().unwrap_or_else(|| {
            self.missing += 1;
            StrId(0)
        })
    }

    fn stack(&mut self, thread: u64, id: u32) -> StackId {
        if id == 0 {
            return StackId(0);
        }
        self.stacks.get(&(thread, id)).copied().unwrap_or_else(|| {
            self.missing += 1;
            StackId(0)
        })
    }
}

impl Reader {
    /// Decodes a complete generation into the trace, or drops it whole with a warning when a
    /// batch in it is malformed.
    fn generation(&mut self, pending: Pending<'_>, len: usize) {
        let events_before = self.trace.events.len();
        let mut info = Generation {
            number: pending.number,
            offset: pending.offset,
            len,
            ..Generation::default()
        };
        match self.decode(&pending.batches, &mut info) {
            Ok(missing) => {
                if missing > 0 {
                    self.trace.warnings.push(format!(
                        "generation {}: {missing} references to undefined strings or stacks",
                        pending.number
                    ));
                }
                self.trace.generations.push(info);
            }
            Err(m) => {
                self.trace.events.truncate(events_before);
                self.trace.warnings.push(format!(
                    "generation {} is malformed ({} at byte {} of a batch) and was skipped",
                    pending.number, m.reason, m.offset
                ));
            }
        }
    }

    fn decode(&mut self, batches: &[Batch<'_>], info: &mut Generation) -> Result<usize, Malformed> {
        let mut tables = Tables::default();
        // Tables first: events may come before the tables they use.
        for b in batches {
            let mut c = Cursor::new(b.payload);
            match b.kind {
                Some(BatchKind::Sync) => {
                    info.start = b.time;
                    info.wall_start = c.uvarint()?;
                }
                Some(BatchKind::End) => info.end = b.time,
                Some(BatchKind::Strings) => {
                    while !c.is_empty() {
                        let id = c.u32()?;
                        let bytes = c.bytes()?;
                        let s = String::from_utf8_lossy(bytes);
                        let global = self.trace.intern(&s);
                        tables.strings.insert((b.thread, id), global);
                    }
                }
                Some(BatchKind::Stacks) => {
                    while !c.is_empty() {
                        let id = c.u32()?;
                        let n = c.uvarint()?;
                        if n as usize > MAX_STACK_DEPTH {
                            return Err(Malformed {
                                offset: c.pos(),
                                reason: "stack deeper than any writer makes",
                            });
                        }
                        let mut pcs = Vec::with_capacity(n as usize);
                        let mut pc = 0u64;
                        for i in 0..n {
                            pc = if i == 0 {
                                c.uvarint()?
                            } else {
                                pc.wrapping_add(c.zigzag()? as u64)
                            };
                            pcs.push(pc);
                        }
                        let global = self.trace.intern_stack(&pcs);
                        tables.stacks.insert((b.thread, id), global);
                    }
                }
                _ => {}
            }
        }
        for b in batches {
            let mut c = Cursor::new(b.payload);
            match b.kind {
                Some(BatchKind::Symbols) => {
                    while !c.is_empty() {
                        let pc = c.uvarint()?;
                        let n = c.uvarint()?;
                        if n as usize > MAX_STACK_DEPTH {
                            return Err(Malformed {
                                offset: c.pos(),
                                reason: "inline chain deeper than any writer makes",
                            });
                        }
                        let mut frames = Vec::with_capacity(n as usize);
                        for _ in 0..n {
                            let function = c.u32()?;
                            let file = c.u32()?;
                            let line = c.u32()?;
                            frames.push(Frame {
                                function: tables.str(b.thread, function),
                                file: tables.str(b.thread, file),
                                line,
                            });
                        }
                        self.trace
                            .symbols
                            .entry(pc)
                            .or_insert_with(|| frames.into());
                    }
                }
                Some(BatchKind::Mappings) => {
                    while !c.is_empty() {
                        let start = c.uvarint()?;
                        let limit = c.uvarint()?;
                        let offset = c.uvarint()?;
                        let file = tables.str(b.thread, c.u32()?);
                        let build_id = tables.str(b.thread, c.u32()?);
                        let m = Mapping {
                            start,
                            limit,
                            offset,
                            file: self.trace.str(file).to_owned(),
                            build_id: self.trace.str(build_id).to_owned(),
                        };
                        if !self.trace.mappings.contains(&m) {
                            self.trace.mappings.push(m);
                        }
                    }
                }
                Some(BatchKind::Threads) => {
                    while !c.is_empty() {
                        let tid = c.uvarint()?;
                        let name = tables.str(b.thread, c.u32()?);
                        let name = self.trace.str(name).to_owned();
                        self.trace.threads.insert(tid, Thread { tid, name });
                    }
                }
                Some(BatchKind::Events) => self.events(b, &mut tables)?,
                None if !self.unknown_kinds.contains(&b.raw_kind) => {
                    self.unknown_kinds.push(b.raw_kind);
                    self.trace.warnings.push(format!(
                        "batches of unknown kind {} were skipped",
                        b.raw_kind
                    ));
                }
                _ => {}
            }
        }
        Ok(tables.missing)
    }

    fn events(&mut self, b: &Batch<'_>, tables: &mut Tables) -> Result<(), Malformed> {
        let mut c = Cursor::new(b.payload);
        let mut time = b.time;
        let thread = b.thread;
        if thread != 0 {
            self.trace.threads.entry(thread).or_insert(Thread {
                tid: thread,
                name: String::new(),
            });
        }
        while !c.is_empty() {
            let at = c.pos();
            let ty = EventType::from_byte(c.byte()?).ok_or(Malformed {
                offset: at,
                reason: "unknown event type",
            })?;
            time = time.wrapping_add(c.uvarint()?);
            let mut on = thread;
            let kind = match ty {
                EventType::ThreadStart => EventKind::ThreadStart,
                EventType::ThreadEnd => EventKind::ThreadEnd,
                EventType::TaskBegin => EventKind::TaskBegin {
                    task: c.uvarint()?,
                    parent: c.uvarint()?,
                    name: tables.str(thread, c.u32()?),
                },
                EventType::TaskEnd => EventKind::TaskEnd { task: c.uvarint()? },
                EventType::RegionBegin => EventKind::RegionBegin {
                    task: c.uvarint()?,
                    name: tables.str(thread, c.u32()?),
                },
                EventType::RegionEnd => EventKind::RegionEnd {
                    task: c.uvarint()?,
                    name: tables.str(thread, c.u32()?),
                },
                EventType::Log => {
                    let task = c.uvarint()?;
                    let category = tables.str(thread, c.u32()?);
                    let message = String::from_utf8_lossy(c.bytes()?);
                    EventKind::Log {
                        task,
                        category,
                        message: self.trace.intern(&message),
                    }
                }
                EventType::Wait => {
                    let duration = c.uvarint()?;
                    EventKind::Wait {
                        start: time.saturating_sub(duration),
                        reason: tables.str(thread, c.u32()?),
                        object: c.uvarint()?,
                        waker: c.uvarint()?,
                        stack: tables.stack(thread, c.u32()?),
                    }
                }
                EventType::Unblock => EventKind::Unblock {
                    object: c.uvarint()?,
                    seq: c.uvarint()?,
                    stack: tables.stack(thread, c.u32()?),
                },
                EventType::CpuSample => {
                    on = c.uvarint()?;
                    EventKind::CpuSample {
                        stack: tables.stack(thread, c.u32()?),
                    }
                }
                EventType::Counter => EventKind::Counter {
                    name: tables.str(thread, c.u32()?),
                    value: c.uvarint()?,
                },
                EventType::ThreadCpu => {
                    on = c.uvarint()?;
                    EventKind::ThreadCpu {
                        nanos: c.uvarint()?,
                    }
                }
            };
            if on != thread {
                self.trace.threads.entry(on).or_insert(Thread {
                    tid: on,
                    name: String::new(),
                });
            }
            self.trace.events.push(Event {
                time,
                thread: on,
                kind,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{Events, GenerationEncoder};
    use crate::wire::put_batch;

    fn file(generations: &[Vec<u8>]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        for g in generations {
            out.extend_from_slice(g);
        }
        out
    }

    /// A generation with one region on thread `tid` named `name`.
    fn generation(number: u64, start: u64, tid: u64, name: &str) -> Vec<u8> {
        let mut g = GenerationEncoder::new(number, start, 0);
        g.strings(tid, [(1, name)]);
        let mut e = Events::new(start);
        e.region_begin(start + 10, 0, 1);
        e.region_end(start + 20, 0, 1);
        g.events(tid, &e);
        g.finish(start + 100)
    }

    #[test]
    fn every_event_reads_back_with_its_values() {
        let mut g = GenerationEncoder::new(4, 1_000, 77);
        g.strings(9, [(1, "task"), (2, "region"), (3, "cat"), (4, "sync")]);
        g.stacks(9, [(1, &[0x5000u64, 0x4000, 0x6000][..])]);
        g.strings(0, [(1, "heap"), (2, "main"), (3, "main.rs")]);
        g.stacks(0, [(1, &[0x5000u64][..])]);
        g.symbols([(0x5000, &[(2, 3, 12)][..])]);
        g.mappings([(0x4000, 0x9000, 0x1000, "/bin/app", "beef")]);
        g.threads([(9, "worker")]);
        let mut e = Events::new(1_000);
        e.thread_start(1_001);
        e.task_begin(1_002, 5, 1, 1);
        e.region_begin(1_003, 5, 2);
        e.log(1_004, 5, 3, "hello");
        e.wait(1_050, 1_010, 4, 0xabc, 8, 1);
        e.unblock(1_060, 0xabc, 9, 1);
        e.region_end(1_070, 5, 2);
        e.task_end(1_080, 5);
        e.thread_end(1_090);
        g.events(9, &e);
        let mut p = Events::new(1_000);
        p.cpu_sample(1_020, 9, 1);
        p.counter(1_030, 1, 4096);
        p.thread_cpu(1_040, 9, 123);
        g.events(0, &p);
        let trace = parse(&file(&[g.finish(2_000)])).unwrap();
        assert!(trace.warnings.is_empty(), "{:?}", trace.warnings);
        let s = |id| trace.str(id).to_owned();
        let got: Vec<(u64, u64, String)> = trace
            .events
            .iter()
            .map(|e| {
                let what = match e.kind {
                    EventKind::TaskBegin { task, parent, name } => {
                        format!("task {task} {parent} {}", s(name))
                    }
                    EventKind::RegionBegin { task, name } => format!("begin {task} {}", s(name)),
                    EventKind::RegionEnd { task, name } => format!("end {task} {}", s(name)),
                    EventKind::Log {
                        task,
                        category,
                        message,
                    } => format!("log {task} {} {}", s(category), s(message)),
                    EventKind::Wait {
                        start,
                        reason,
                        object,
                        waker,
                        stack,
                    } => {
                        format!(
                            "wait {start} {} {object:#x} {waker} {:x?}",
                            s(reason),
                            trace.stack(stack)
                        )
                    }
                    EventKind::Unblock { object, seq, stack } => {
                        format!("unblock {object:#x} {seq} {:x?}", trace.stack(stack))
                    }
                    EventKind::CpuSample { stack } => format!("sample {:x?}", trace.stack(stack)),
                    EventKind::Counter { name, value } => format!("counter {} {value}", s(name)),
                    EventKind::ThreadCpu { nanos } => format!("cpu {nanos}"),
                    ref other => format!("{other:?}"),
                };
                (e.time, e.thread, what)
            })
            .collect();
        let want: Vec<(u64, u64, String)> = [
            (1_001, 9, "ThreadStart"),
            (1_002, 9, "task 5 1 task"),
            (1_003, 9, "begin 5 region"),
            (1_004, 9, "log 5 cat hello"),
            (1_020, 9, "sample [5000]"),
            (1_030, 0, "counter heap 4096"),
            (1_040, 9, "cpu 123"),
            (1_050, 9, "wait 1010 sync 0xabc 8 [5000, 4000, 6000]"),
            (1_060, 9, "unblock 0xabc 9 [5000, 4000, 6000]"),
            (1_070, 9, "end 5 region"),
            (1_080, 9, "TaskEnd { task: 5 }"),
            (1_090, 9, "ThreadEnd"),
        ]
        .into_iter()
        .map(|(t, th, w)| (t, th, w.to_owned()))
        .collect();
        assert_eq!(got, want);
        let frames = trace.frames(0x5000);
        assert_eq!(frames.len(), 1);
        assert_eq!(
            (s(frames[0].function), s(frames[0].file), frames[0].line),
            ("main".into(), "main.rs".into(), 12)
        );
        assert_eq!(
            trace.mappings,
            [Mapping {
                start: 0x4000,
                limit: 0x9000,
                offset: 0x1000,
                file: "/bin/app".into(),
                build_id: "beef".into()
            }]
        );
        assert_eq!(trace.thread_name(9), "worker");
        assert_eq!(trace.generations[0].wall_start, 77);
        assert_eq!(trace.span(), (1_000, 2_000));
    }

    #[test]
    fn string_ids_belong_to_their_thread() {
        let mut g = GenerationEncoder::new(1, 0, 0);
        g.strings(1, [(1, "one")]);
        g.strings(2, [(1, "two")]);
        for tid in [1, 2] {
            let mut e = Events::new(0);
            e.region_begin(tid, 0, 1);
            g.events(tid, &e);
        }
        let trace = parse(&file(&[g.finish(10)])).unwrap();
        let names: Vec<_> = trace
            .events
            .iter()
            .map(|e| match e.kind {
                EventKind::RegionBegin { name, .. } => (e.thread, trace.str(name)),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(names, [(1, "one"), (2, "two")]);
    }

    #[test]
    fn damaged_generations_are_skipped_and_the_rest_kept() {
        let good1 = generation(1, 0, 5, "a");
        let mut unfinished = generation(2, 1_000, 5, "b");
        unfinished.truncate(unfinished.len() - 6); // without its end batch
        let mut bad = GenerationEncoder::new(3, 2_000, 0);
        bad.event_bytes(5, 2_000, &[99, 0]); // an unknown event type
        let bad = bad.finish(2_100);
        let good4 = generation(4, 3_000, 5, "d");
        let trace = parse(&file(&[good1, unfinished, bad, good4])).unwrap();
        let numbers: Vec<u64> = trace.generations.iter().map(|g| g.number).collect();
        assert_eq!(numbers, [1, 4]);
        assert_eq!(trace.events.len(), 4);
        assert_eq!(trace.warnings.len(), 2, "{:?}", trace.warnings);
        assert!(trace.warnings[0].contains("generation 2 has no end"));
        assert!(trace.warnings[1].contains("generation 3 is malformed"));
    }

    #[test]
    fn unknown_batches_are_skipped_and_undefined_references_reported() {
        let mut g = generation(1, 0, 5, "a");
        let end = g.split_off(g.len() - 5); // the end batch: [8, 1, 0, 100, 0]
        put_batch(&mut g, BatchKind::Events, 1, 6, 0, &[5, 1, 0, 9]); // string 9 is undefined
        g.extend_from_slice(&[42, 1, 0, 0, 2, 0xff, 0xff]); // kind 42, two bytes
        g.extend_from_slice(&end);
        let trace = parse(&file(&[g])).unwrap();
        assert_eq!(trace.generations.len(), 1);
        assert_eq!(trace.events.len(), 3);
        assert!(
            trace.warnings.iter().any(|w| w.contains("unknown kind 42")),
            "{:?}",
            trace.warnings
        );
        assert!(
            trace
                .warnings
                .iter()
                .any(|w| w.contains("1 references to undefined")),
            "{:?}",
            trace.warnings
        );
    }

    #[test]
    fn headers_and_absurd_lengths_are_refused_clearly() {
        assert_eq!(
            parse(b"").unwrap_err().to_string(),
            "not an oxprof trace (bad header)"
        );
        let err = parse(b"oxprof trace 9\0\0").unwrap_err().to_string();
        assert_eq!(
            err,
            "unsupported oxprof trace version \"9\" (this reader reads version 1)"
        );
        let mut huge = file(&[generation(1, 0, 5, "a")]);
        huge.extend_from_slice(&[2, 2, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x7f]);
        let trace = parse(&huge).unwrap();
        assert_eq!(trace.generations.len(), 1);
        assert!(
            trace.warnings[0].contains("damaged or incomplete batch"),
            "{:?}",
            trace.warnings
        );
    }
}
