//! `list`, `disasm` and `weblist` on a Rust library built here with line tables (release,
//! `-C debuginfo=line-tables-only`) and profiled in this process by the oxprof runtime: the
//! known hot line and the instructions of its loop carry the samples; `list` matches
//! `go tool pprof -list` byte for byte; the instructions are `objdump`'s; and every way of not
//! finding a binary or a source file is a clear error.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use oxprof_testutil::go_pprof;

use crate::{oxprof, run, scratch, stderr, success};

/// The library's source. `HOT` marks the line the loop's time is spent on; `{NAME}` and
/// `{SALT}` make distinct libraries (and build ids) from one text.
const SOURCE: &str = r#"use std::time::{Duration, Instant};

#[no_mangle]
pub extern "C" fn {NAME}(ms: u64) -> u64 {
    let end = Instant::now() + Duration::from_millis(ms);
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ {SALT};
    let mut rounds = 0u64;
    while Instant::now() < end {
        for _ in 0..4000 {
            x = x.rotate_left(13).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5851_f42d; // HOT
        }
        rounds += 1;
    }
    x ^ rounds
}
"#;

/// The line of `SOURCE` marked `HOT`.
fn hot_line() -> usize {
    SOURCE.lines().position(|l| l.ends_with("// HOT")).unwrap() + 1
}

/// A profile of two freshly built libraries: `hot` (kept) and `gone` (for the error cases).
struct Fixture {
    dir: PathBuf,
    profile: PathBuf,
    hot_source: PathBuf,
    hot_library: PathBuf,
    gone_library: PathBuf,
    gone_source: PathBuf,
}

impl Fixture {
    fn profile(&self) -> &str {
        self.profile.to_str().unwrap()
    }
}

/// Builds `lib{name}.so` from `SOURCE` in `dir`; returns the library and source paths.
fn build(dir: &Path, name: &str, salt: u64) -> (PathBuf, PathBuf) {
    let source = dir.join(format!("{name}.rs"));
    let text = SOURCE
        .replace("{NAME}", name)
        .replace("{SALT}", &salt.to_string());
    std::fs::write(&source, text).unwrap();
    let library = dir.join(format!("lib{name}.so"));
    let out = Command::new("rustc")
        .args([
            "--edition=2021",
            "--crate-type=cdylib",
            "-Copt-level=2",
            "-Cdebuginfo=line-tables-only",
            "-o",
        ])
        .arg(&library)
        .arg(&source)
        .output()
        .expect("run rustc");
    assert!(
        out.status.success(),
        "rustc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (library, source)
}

/// Loads `library` for good and calls its function `name` for `ms` milliseconds.
fn call(library: &Path, name: &str, ms: u64) -> u64 {
    use std::ffi::CString;
    let path = CString::new(library.to_str().unwrap()).unwrap();
    let symbol = CString::new(name).unwrap();
    // SAFETY: the path is a NUL-terminated string; the library is never closed, so the
    // function pointer taken from it stays valid for the life of the process.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW) };
    assert!(!handle.is_null(), "dlopen {}", library.display());
    // SAFETY: `handle` is a live library handle and `symbol` a NUL-terminated name.
    let address = unsafe { libc::dlsym(handle, symbol.as_ptr()) };
    assert!(!address.is_null(), "dlsym {name}");
    // SAFETY: the symbol is `extern "C" fn(u64) -> u64`, as `SOURCE` defines it.
    let function: extern "C" fn(u64) -> u64 = unsafe { std::mem::transmute(address) };
    function(ms)
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = scratch("listing");
        let (hot_library, hot_source) = build(&dir, "oxprof_listing_hot", 1);
        let (gone_library, gone_source) = build(&dir, "oxprof_listing_gone", 2);
        let _serial = crate::runtime::serial();
        let profiler = oxprof::cpu::Profiler::builder()
            .frequency(500)
            .start()
            .expect("start the cpu profiler");
        std::hint::black_box(call(&hot_library, "oxprof_listing_hot", 500));
        std::hint::black_box(call(&gone_library, "oxprof_listing_gone", 150));
        let profile = profiler.stop().expect("stop the cpu profiler");
        let path = dir.join("cpu.pprof");
        profile
            .write_to(std::fs::File::create(&path).unwrap())
            .unwrap();
        Fixture {
            dir,
            profile: path,
            hot_source,
            hot_library,
            gone_library,
            gone_source,
        }
    })
}

/// Value columns of a listing line: `(flat, cum, rest)`, with `.` read as 0.
fn columns(line: &str) -> Option<(i64, i64, &str)> {
    let value = |s: &str| if s == "." { Some(0) } else { s.parse().ok() };
    let mut parts = line.split_whitespace();
    let flat = value(parts.next()?)?;
    let cum = value(parts.next()?)?;
    let rest = line.trim_start();
    let rest = rest[rest.find(char::is_whitespace)?..].trim_start();
    let rest = rest[rest.find(char::is_whitespace)?..].trim_start();
    Some((flat, cum, rest))
}

fn total(text: &str) -> i64 {
    text.lines()
        .find_map(|l| l.strip_prefix("Total: "))
        .and_then(|t| t.parse().ok())
        .expect("a Total: line")
}

#[test]
fn list_shows_the_hot_line_and_matches_go_tool_pprof() {
    let f = fixture();
    let args = [
        "-list=oxprof_listing_hot",
        "-sample_index=samples",
        f.profile(),
    ];
    let ours = success(&run(&args));
    let file = f.hot_source.to_str().unwrap();
    assert!(
        ours.contains(&format!(
            "ROUTINE ======================== oxprof_listing_hot in {file}\n"
        )),
        "{ours}"
    );
    let total = total(&ours);
    let numbered = |rest: &str| {
        rest.split_once(':')
            .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
    };
    let lines: Vec<(i64, i64, &str)> = ours
        .lines()
        .filter_map(columns)
        .filter(|(_, _, rest)| numbered(rest))
        .collect();
    let hot = format!("{}:", hot_line());
    let (_, hot_cum, _) = lines
        .iter()
        .find(|(_, _, rest)| rest.starts_with(&hot))
        .unwrap_or_else(|| panic!("no line {hot} in\n{ours}"));
    assert!(
        *hot_cum * 10 >= total * 6,
        "the hot line holds {hot_cum} of {total} samples:\n{ours}"
    );
    assert!(
        lines.iter().all(|(_, cum, _)| cum <= hot_cum),
        "no line is hotter than the hot line:\n{ours}"
    );
    let Some(mut go) = go_pprof() else { return };
    let out = go.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ours,
        String::from_utf8_lossy(&out.stdout),
        "oxprof and go tool pprof -list"
    );
}

/// `(address, mnemonic)` of each instruction `objdump -d` prints between `start` and `end`.
fn objdump(library: &Path, start: u64, end: u64) -> Option<Vec<(u64, String)>> {
    let out = Command::new("objdump")
        .args([
            "-d",
            "--no-show-raw-insn",
            &format!("--start-address={start:#x}"),
            &format!("--stop-address={end:#x}"),
        ])
        .arg(library)
        .output();
    let out = match out {
        Ok(out) if out.status.success() => out,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "objdump is not installed but CI is set: .ci/run must install binutils"
            );
            eprintln!("note: objdump is not installed; skipping the comparison with it");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Some(
        text.lines()
            .filter_map(|l| {
                let (address, rest) = l.trim_start().split_once(":\t")?;
                let address = u64::from_str_radix(address, 16).ok()?;
                Some((address, rest.split_whitespace().next()?.to_string()))
            })
            .collect(),
    )
}

/// `(address, flat, text, location)` of each instruction of a `disasm` listing, the location
/// carried down from the line that last printed one.
fn instructions(listing: &str) -> Vec<(u64, i64, String, String)> {
    let mut location = String::new();
    let mut out = Vec::new();
    for line in listing.lines() {
        if let Some(l) = line.trim_start().strip_prefix(';') {
            location = l.to_string();
            continue;
        }
        let Some((flat, _, rest)) = columns(line) else {
            continue;
        };
        let Some((address, text)) = rest.split_once(": ") else {
            continue;
        };
        let Ok(address) = u64::from_str_radix(address, 16) else {
            continue;
        };
        let text = match text.split_once(';') {
            Some((text, here)) => {
                location = here.to_string();
                text.trim_end()
            }
            None => text,
        };
        out.push((address, flat, text.to_string(), location.clone()));
    }
    out
}

#[test]
fn disasm_puts_the_samples_on_the_loop_instructions() {
    let f = fixture();
    let args = [
        "-disasm=oxprof_listing_hot",
        "-sample_index=samples",
        f.profile(),
    ];
    let ours = success(&run(&args));
    assert!(
        ours.contains("ROUTINE ======================== oxprof_listing_hot\n"),
        "{ours}"
    );
    let code = instructions(&ours);
    let flat: i64 = code.iter().map(|i| i.1).sum();
    let routine_flat = ours
        .lines()
        .find(|l| l.contains("(flat, cum)"))
        .and_then(|l| l.split_whitespace().next()?.parse::<i64>().ok())
        .unwrap();
    assert_eq!(
        flat, routine_flat,
        "every sample lands on an instruction:\n{ours}"
    );
    assert!(flat * 10 >= total(&ours) * 6, "{ours}");

    // The samples sit on the loop: the heaviest instructions come from the hot line (or from
    // the integer functions inlined into it) and surround its multiplication.
    let mut heavy: Vec<&(u64, i64, String, String)> = code.iter().filter(|i| i.1 > 0).collect();
    heavy.sort_by_key(|i| std::cmp::Reverse(i.1));
    let mut covered = 0;
    let mut span = (u64::MAX, 0);
    for i in &heavy {
        if covered * 10 >= flat * 8 {
            break;
        }
        covered += i.1;
        span = (span.0.min(i.0), span.1.max(i.0));
    }
    let hot = format!("oxprof_listing_hot.rs:{}", hot_line());
    let located: i64 = heavy
        .iter()
        .filter(|i| i.3.contains(&hot) || i.3.contains("core::"))
        .map(|i| i.1)
        .sum();
    assert!(
        located * 10 >= flat * 8,
        "samples outside the hot line:\n{ours}"
    );
    assert!(
        code.iter()
            .any(|i| i.2.starts_with("imul") && (span.0.saturating_sub(16)..=span.1).contains(&i.0)),
        "the multiplication lies among the sampled instructions {span:x?}:\n{ours}"
    );

    // The instructions are the ones objdump decodes, at the same addresses.
    let (start, end) = (code[0].0, code.last().unwrap().0 + 1);
    if let Some(reference) = objdump(&f.hot_library, start, end) {
        let addresses: Vec<u64> = code.iter().map(|i| i.0).collect();
        let expected: Vec<u64> = reference.iter().map(|r| r.0).collect();
        assert_eq!(addresses, expected, "instruction addresses against objdump");
        for ((_, _, text, _), (address, mnemonic)) in code.iter().zip(&reference) {
            let ours = text.split_whitespace().next().unwrap_or("");
            if ["imul", "ret", "call", "mov", "add", "xor", "cmp"].contains(&mnemonic.as_str()) {
                assert_eq!(ours, mnemonic, "mnemonic at {address:x}");
            }
        }
    }

    let intel = success(&run(&[&args[..2], &["-intel_syntax", f.profile()]].concat()));
    let intel_code = instructions(&intel);
    assert_eq!(intel_code.len(), code.len());
    assert!(
        intel_code
            .iter()
            .any(|i| i.2.starts_with("imul") && !i.2.contains('%')),
        "Intel syntax has no % registers:\n{intel}"
    );
}

#[test]
fn weblist_writes_a_self_contained_page() {
    let f = fixture();
    let page = f.dir.join("weblist.html");
    let output = format!("-output={}", page.display());
    let args = [
        "-weblist=oxprof_listing_hot",
        "-sample_index=samples",
        &output,
        f.profile(),
    ];
    success(&run(&args));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<h2>oxprof_listing_hot</h2>"), "{html}");
    assert!(html.contains("<span class=asm>"), "{html}");
    assert!(html.contains("imul"), "{html}");
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "nothing outside the page"
    );
    let hot = format!(
        "<span class=line> {:>6}</span> <span class=livesrc>",
        hot_line()
    );
    assert!(
        html.contains(&hot),
        "the hot line expands to its assembly:\n{html}"
    );

    // Without -output the page goes to a file a browser is asked to open.
    let tmp = scratch("weblist");
    let browser = tmp.join("browser.sh");
    let seen = tmp.join("seen");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" > {}\n", seen.display()),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&browser)
        .status()
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args(["-weblist=oxprof_listing_hot", f.profile()])
        .env("BROWSER", &browser)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for _ in 0..100 {
        if seen.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let opened = std::fs::read_to_string(&seen).expect("the browser was started");
    assert!(
        std::fs::read_to_string(opened.trim())
            .unwrap()
            .contains("<h2>oxprof_listing_hot</h2>"),
        "{opened}"
    );
    // -no_browser only says where the page is.
    let out = Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args(["-weblist=oxprof_listing_hot", "-no_browser", f.profile()])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let message = stderr(&out);
    let path = message
        .strip_prefix("Generating report in ")
        .unwrap_or_else(|| panic!("{message}"));
    assert!(std::fs::read_to_string(path.trim())
        .unwrap()
        .contains("<h2>oxprof_listing_hot</h2>"));
}

#[test]
fn the_shell_lists_and_disassembles() {
    let f = fixture();
    let out = oxprof(
        &scratch("listing-shell"),
        &[f.profile()],
        "list oxprof_listing_hot\ndisasm oxprof_listing_hot\n",
    );
    let text = success(&out);
    assert!(
        text.contains("ROUTINE ======================== oxprof_listing_hot in "),
        "{text}"
    );
    assert!(
        text.contains("ROUTINE ======================== oxprof_listing_hot\n"),
        "{text}"
    );
}

#[test]
fn sources_are_found_elsewhere_or_reported_missing() {
    let f = fixture();
    let moved = f.dir.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    let name = f.hot_source.file_name().unwrap();
    std::fs::copy(&f.hot_source, moved.join(name)).unwrap();
    let trim = format!("-trim_path={}", f.dir.display());
    let search = format!("-source_path={}", moved.display());
    // The original is still there; trimming its directory makes the search find the copy.
    let out = success(&run(&[
        "-list=oxprof_listing_hot",
        &trim,
        &search,
        f.profile(),
    ]));
    assert!(out.contains(&format!("{}:", hot_line())), "{out}");

    // Without its source, list says so and where it looked.
    let _serial = gone_lock();
    let _ = std::fs::remove_file(&f.gone_source);
    let out = success(&run(&["-list=oxprof_listing_gone", f.profile()]));
    let error = format!(" Error: could not find file {}", f.gone_source.display());
    assert!(out.contains(&error), "{out}");
    assert!(out.contains("-source_path"), "{out}");
}

#[test]
fn a_binary_missing_or_of_another_build_is_an_error() {
    let f = fixture();
    let no_match = run(&["-disasm=no_such_function_anywhere", f.profile()]);
    assert_eq!(no_match.status.code(), Some(2));
    assert_eq!(
        stderr(&no_match),
        "oxprof: no matches found for regexp: no_such_function_anywhere\n"
    );
    let no_match = run(&["-list=no_such_function_anywhere", f.profile()]);
    assert_eq!(
        stderr(&no_match),
        "oxprof: no matches found for regexp: no_such_function_anywhere\n"
    );

    // Another build at the mapping's path: refused, never disassembled.
    let _serial = gone_lock();
    let kept = f.dir.join("binaries");
    std::fs::create_dir_all(&kept).unwrap();
    let name = f.gone_library.file_name().unwrap();
    std::fs::copy(&f.gone_library, kept.join(name)).unwrap();
    build(&f.dir, "oxprof_listing_gone", 3);
    let out = run(&["-disasm=oxprof_listing_gone", f.profile()]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::stdout(&out));
    let message = stderr(&out);
    assert!(
        message.starts_with("oxprof: no object file found for mapping ")
            && message.contains("does not match the mapping's build id"),
        "{message}"
    );

    // No file at all.
    std::fs::remove_file(&f.gone_library).unwrap();
    let out = run(&["-disasm=oxprof_listing_gone", f.profile()]);
    let message = stderr(&out);
    assert!(
        message.starts_with(&format!(
            "oxprof: no object file found for mapping {} (build id ",
            f.gone_library.display()
        )) && message.contains("OXPROF_BINARY_PATH"),
        "{message}"
    );

    // The right build in a directory of $OXPROF_BINARY_PATH is found by name and build id.
    let out = Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args(["-disasm=oxprof_listing_gone", f.profile()])
        .env("OXPROF_BINARY_PATH", &kept)
        .output()
        .unwrap();
    let text = success(&out);
    assert!(
        text.contains("ROUTINE ======================== oxprof_listing_gone\n"),
        "{text}"
    );
}

/// The tests that change `gone`'s files take turns.
fn gone_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
