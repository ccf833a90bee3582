//! The progress line shown while a server collects a profile over a span of time
//! (`profile?seconds=30`, `-seconds=30`): elapsed time against the span, rewritten in place
//! once a second, then erased, so what follows starts on a clean line. Only on a terminal:
//! redirected stderr gets Go's single `Please wait... (30s)` line and nothing more. When several
//! sources are fetched at once, the first shows its progress and the others do not, so lines
//! never overwrite each other.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the line is rewritten.
const TICK: Duration = Duration::from_secs(1);
/// The width of the bar between brackets.
const BAR: usize = 24;
/// Set while a progress line is on screen.
static SHOWING: AtomicBool = AtomicBool::new(false);

/// A progress line on stderr, erased when dropped.
pub(crate) struct Progress {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts a line for a collection of `seconds`, or `None` when stderr is not a terminal or
    /// another line is showing.
    pub(crate) fn start(seconds: u64) -> Option<Progress> {
        if !io::stderr().is_terminal() {
            return None;
        }
        Progress::start_on(seconds, io::stderr)
    }

    /// Starts a line written to what `out` returns, whatever it is.
    fn start_on<W: Write + 'static>(seconds: u64, out: fn() -> W) -> Option<Progress> {
        if SHOWING.swap(true, Ordering::AcqRel) {
            return None;
        }
        let total = Duration::from_secs(seconds);
        let (stop, stopped) = mpsc::channel::<()>();
        let started = Instant::now();
        let thread = std::thread::Builder::new()
            .name("oxprof-progress".into())
            .spawn(move || {
                loop {
                    let _ = write!(out(), "\r{}\x1b[K", line(started.elapsed(), total));
                    let _ = out().flush();
                    match stopped.recv_timeout(TICK) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
                let _ = write!(out(), "\r\x1b[K");
                let _ = out().flush();
                SHOWING.store(false, Ordering::Release);
            });
        match thread {
            Ok(thread) => Some(Progress {
                stop: Some(stop),
                thread: Some(thread),
            }),
            Err(_) => {
                SHOWING.store(false, Ordering::Release);
                None
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The line after `elapsed` of a `total` span: `Collecting profile: 12s of 30s [=====>   ]`,
/// then, once the span is over and the server is still sending,
/// `Collecting profile: 30s of 30s, receiving...`.
fn line(elapsed: Duration, total: Duration) -> String {
    let (done, all) = (elapsed.as_secs(), total.as_secs());
    if elapsed >= total {
        return format!("Collecting profile: {all}s of {all}s, receiving...");
    }
    let filled = (elapsed.as_secs_f64() / total.as_secs_f64() * BAR as f64) as usize;
    let bar: String = (0..BAR)
        .map(|i| match i.cmp(&filled) {
            std::cmp::Ordering::Less => '=',
            std::cmp::Ordering::Equal => '>',
            std::cmp::Ordering::Greater => ' ',
        })
        .collect();
    format!("Collecting profile: {done}s of {all}s [{bar}]")
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn the_line_shows_elapsed_time_against_the_span() {
        let s = Duration::from_secs;
        assert_eq!(
            line(s(0), s(30)),
            "Collecting profile: 0s of 30s [>                       ]"
        );
        assert_eq!(
            line(s(15), s(30)),
            "Collecting profile: 15s of 30s [============>           ]"
        );
        assert_eq!(
            line(Duration::from_millis(29_900), s(30)),
            "Collecting profile: 29s of 30s [=======================>]"
        );
        assert_eq!(
            line(s(31), s(30)),
            "Collecting profile: 30s of 30s, receiving..."
        );
    }

    static WRITTEN: Mutex<Vec<u8>> = Mutex::new(Vec::new());

    struct Capture;

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            WRITTEN.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_line_is_rewritten_each_second_then_erased_and_only_one_shows() {
        let progress = Progress::start_on(2, || Capture).unwrap();
        assert!(
            Progress::start_on(2, || Capture).is_none(),
            "a second line while one shows"
        );
        std::thread::sleep(Duration::from_millis(1500));
        drop(progress);
        let text = String::from_utf8(WRITTEN.lock().unwrap().clone()).unwrap();
        assert!(
            text.starts_with("\rCollecting profile: 0s of 2s [>"),
            "{text:?}"
        );
        assert!(
            text.contains("\x1b[K\rCollecting profile: 1s of 2s [============>"),
            "{text:?}"
        );
        assert!(text.ends_with("]\x1b[K\r\x1b[K"), "{text:?}");
        assert!(Progress::start_on(2, || Capture).is_some(), "free again");
    }
}
