//! Running the harness in-process with captured output.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use oxprof_bench::Benchmark;

/// A writer whose bytes the test reads afterwards.
#[derive(Clone, Default)]
pub struct Captured(Rc<RefCell<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.borrow().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What one run of the harness gave.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `benchmarks` with `args` (as after `cargo bench --bench x --`).
pub fn run(args: &[&str], benchmarks: &[Benchmark]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let stdout = Captured::default();
    let mut stderr = Captured::default();
    let status = oxprof_bench::run(
        &args,
        "oxprof-bench/it",
        benchmarks,
        Box::new(stdout.clone()),
        &mut stderr,
    );
    Run {
        status,
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

/// A benchmark list entry named as `main!` names it.
#[macro_export]
macro_rules! benches {
    ($($f:path),+ $(,)?) => {
        [$(oxprof_bench::Benchmark::new(stringify!($f), $f)),+]
    };
}
