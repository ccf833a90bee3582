//! Finding file handles that are never closed, with a custom profile: every file is added to
//! `myapp.open_files` when it is opened and removed when it is closed, so the profile counts
//! the files open now by the code that opened them. Here `load_config` closes its files and
//! `append_log` leaks one per call.
//!
//! ```sh
//! cargo run -p oxprof --example open_files -- open_files.pprof
//! oxprof -top open_files.pprof        # or: go tool pprof -traces open_files.pprof
//! ```
//!
//! It also prints the profile as Go's counted text.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::LazyLock;

use oxprof::custom::Profile;

static OPEN_FILES: LazyLock<Profile> =
    LazyLock::new(|| Profile::new("myapp.open_files").expect("the name is not taken"));

/// A file that is in `OPEN_FILES` while it is open.
struct TrackedFile {
    file: File,
}

impl TrackedFile {
    /// Opens `path` for appending (creating it), charged to the caller: `skip = 1` leaves
    /// this helper out of the recorded stack.
    fn append(path: &Path) -> io::Result<TrackedFile> {
        let file = File::options()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        // A descriptor number is unique among open files: the key of this one.
        OPEN_FILES
            .add(file.as_raw_fd(), 1)
            .map_err(io::Error::other)?;
        Ok(TrackedFile { file })
    }
}

impl Drop for TrackedFile {
    fn drop(&mut self) {
        OPEN_FILES.remove(&self.file.as_raw_fd());
    }
}

/// Reads a config file and closes it.
#[inline(never)]
fn load_config(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    TrackedFile::append(path)?.file.read_to_string(&mut text)?;
    Ok(text)
}

/// Appends a line to a log, and forgets to close the file.
#[inline(never)]
fn append_log(path: &Path, line: &str) -> io::Result<()> {
    let mut log = TrackedFile::append(path)?;
    writeln!(log.file, "{line}")?;
    std::mem::forget(log); // the leak
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: open_files <output.pprof>")?;
    let dir = std::env::temp_dir().join(format!("oxprof-open-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (config, log) = (dir.join("app.conf"), dir.join("app.log"));
    std::fs::write(&config, "threads = 4\n")?;

    for request in 0..5 {
        load_config(&config)?;
        append_log(&log, &format!("request {request}"))?;
    }

    println!("{} files open", OPEN_FILES.count());
    OPEN_FILES.write_to(io::stdout(), 1)?;
    OPEN_FILES.write_to(File::create(&out)?, 0)?;
    println!("wrote {out}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
