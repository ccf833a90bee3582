//! Writes a synthetic execution trace of about N events: 8 worker threads serving requests
//! (a task, a "request" region with "parse" and "query" regions inside, a contended lock whose
//! wait is ended by a release on a ninth thread, "holder"), a log every 64 requests, CPU
//! samples and thread CPU counters, and two process counters, in generations of one second.
//!
//! Usage: trace_ui EVENTS FILE

use oxprof_trace::encode::{Events, GenerationEncoder};

const WORKERS: u64 = 8;
/// The thread whose releases end the workers' waits.
const HOLDER: u64 = 1000;
const GENERATION_NS: u64 = 1_000_000_000;
/// Events a worker's request makes (task 2, regions 6, wait 1, a release 1, its CPU sample).
const EVENTS_PER_REQUEST: u64 = 11;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(events), Some(path)) = (args.get(1).and_then(|n| n.parse::<u64>().ok()), args.get(2)) else {
        eprintln!("usage: trace_ui EVENTS FILE");
        std::process::exit(2);
    };
    let requests = events / EVENTS_PER_REQUEST / WORKERS;
    // About 80 us per request on each worker: 10 M events make 10 s.
    let step = 80_000u64;
    let end = requests * step + 1_000_000;
    let mut rng = Rng(42);
    let mut file = oxprof_trace::wire::MAGIC.to_vec();
    let mut written = 0u64;
    let mut seq = 0u64;
    let generations = end.div_ceil(GENERATION_NS);
    for g in 0..generations {
        let (g_start, g_end) = (g * GENERATION_NS, ((g + 1) * GENERATION_NS).min(end));
        let mut gen = GenerationEncoder::new(g + 1, g_start, 1_700_000_000_000_000_000 + g_start);
        let mut names: Vec<(u64, String)> = (1..=WORKERS).map(|w| (1000 + w, format!("worker-{w}"))).collect();
        names.push((HOLDER, "holder".to_owned()));
        let mut releases: Vec<(u64, u64, u64)> = Vec::new();
        gen.threads(names.iter().map(|(t, n)| (*t, n.as_str())));
        gen.strings(0, [(1, "heap live bytes"), (2, "resident bytes"), (3, "app::serve"), (4, "app::query"), (5, "app::lock"), (6, "src/app.rs")]);
        gen.stacks(0, [(1, &[0x4010u64, 0x4000][..]), (2, &[0x4020u64, 0x4000][..])]);
        gen.symbols([(0x4000, &[(3, 6, 10)][..]), (0x4010, &[(4, 6, 20)][..]), (0x4020, &[(5, 6, 30)][..])]);
        let mut process = Events::new(g_start);
        let mut t = g_start.div_ceil(10_000_000) * 10_000_000;
        while t < g_end {
            process.counter(t, 1, 64 << 20 | rng.below(1 << 24));
            process.counter(t, 2, 256 << 20 | rng.below(1 << 24));
            for w in 1..=WORKERS {
                process.thread_cpu(t, 1000 + w, t / 10 * 9);
            }
            t += 10_000_000;
        }
        for w in 1..=WORKERS {
            let tid = 1000 + w;
            gen.strings(tid, [(1, "request"), (2, "parse"), (3, "query"), (4, "sync"), (5, "access")]);
            gen.stacks(tid, [(1, &[0x4020u64, 0x4000][..])]);
            let first = g_start.div_ceil(step);
            let mut events = Events::new(g_start);
            let mut r = first;
            while r * step + step <= g_end && r < requests {
                let s = r * step + w * 1000;
                let task = r * WORKERS + w;
                let parse = 2_000 + rng.below(20_000);
                let wait = 500 + rng.below(if r % 50 == 0 { 40_000 } else { 5_000 });
                let query = parse + 1_000 + wait + rng.below(10_000);
                events.task_begin(s, task, 0, 1);
                events.region_begin(s, task, 1);
                events.region_begin(s + 100, task, 2);
                events.region_end(s + 100 + parse, task, 2);
                events.region_begin(s + 200 + parse, task, 3);
                seq += 1;
                events.wait(s + 300 + parse + wait, s + 300 + parse, 4, 0xabc0 + w % 2, seq, 1);
                releases.push((s + 300 + parse + wait - 200, 0xabc0 + w % 2, seq));
                process.cpu_sample(s + 150 + parse / 2, tid, 1 + (r % 2) as u32);
                events.region_end(s + 200 + query, task, 3);
                events.region_end(s + 400 + query, task, 1);
                events.task_end(s + 400 + query, task);
                if r % 64 == 0 {
                    events.log(s + 50, task, 5, "slow path");
                }
                written += EVENTS_PER_REQUEST;
                r += 1;
                if events.len() > 60_000 {
                    gen.events(tid, &events);
                    events = Events::new(r * step);
                }
            }
            gen.events(tid, &events);
        }
        gen.events(0, &process);
        releases.sort_unstable();
        gen.stacks(HOLDER, [(1, &[0x4020u64, 0x4000][..])]);
        let mut holder = Events::new(g_start);
        for (time, object, seq) in releases {
            holder.unblock(time, object, seq, 1);
            if holder.len() > 60_000 {
                gen.events(HOLDER, &holder);
                holder = Events::new(time);
            }
        }
        gen.events(HOLDER, &holder);
        file.extend(gen.finish(g_end));
    }
    std::fs::write(path, &file).expect("write the trace");
    eprintln!("{written} request events (+ counters) in {} generations, {} MB", generations, file.len() >> 20);
}
