//! `oxprof demo`: the Go blog's "Profiling Go Programs" journey in a few minutes. It runs
//! the havlak example's first port (v1) under the CPU and heap profilers, prints `top` for
//! both with what to look at, runs the tuned stage, compares one search of each with
//! `oxprof benchstat`, and prints the commands to look further.
//!
//! The example is found by [`havlak::find_or_build`]; the reports are made by the same
//! [`driver`] as `oxprof -top`, and the sentences' numbers by [`findings`], from the
//! profiles just written.

mod findings;
mod havlak;

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{anyhow, bail, Context, Result};
use oxprof_profile::Profile;

use crate::{driver, flags};

const USAGE: &str = "\
usage: oxprof demo [-dir DIR] [-havlak PATH] [-trees N]

Profiles the havlak example (Hundt's loop-recognition benchmark, examples/havlak) as the Go
blog's \"Profiling Go Programs\" did: its first port under the CPU and heap profilers, the
tuned version, and the two compared.

Flags:
    -dir DIR       Where the profiles and results go (default $TMPDIR/oxprof-demo)
    -havlak PATH   The havlak binary to run (default: built from this oxprof's sources,
                   or the one installed beside oxprof)
    -trees N       Loop trees in the benchmark's graph, 7600 loops each (default 10)
";

/// The parsed command line.
#[derive(Debug, PartialEq)]
struct Options {
    dir: PathBuf,
    havlak: Option<PathBuf>,
    trees: u32,
}

/// Runs `oxprof demo` with the arguments after `demo`.
pub(crate) fn run(args: Vec<String>) -> Result<()> {
    let Some(options) = parse(args)? else {
        print!("{USAGE}");
        return Ok(io::stdout().flush()?);
    };
    let started = Instant::now();
    let havlak = match &options.havlak {
        Some(path) => path.clone(),
        None => havlak::find_or_build()?,
    };
    std::fs::create_dir_all(&options.dir)
        .map_err(|e| anyhow!("cannot create {}: {e}", options.dir.display()))?;
    let demo = Demo {
        havlak,
        dir: options.dir.clone(),
        trees: options.trees,
    };
    demo.introduce();
    let v1_cpu = demo.cpu_time()?;
    demo.allocations()?;
    let tuned_cpu = demo.tuned()?;
    demo.compare()?;
    demo.further(&v1_cpu, &tuned_cpu);
    println!("(The demo took {:.0} s.)", started.elapsed().as_secs_f64());
    Ok(())
}

/// Parses Go-style flags; `None` asks for help.
fn parse(args: Vec<String>) -> Result<Option<Options>> {
    let mut options = Options {
        dir: std::env::temp_dir().join("oxprof-demo"),
        havlak: None,
        trees: 10,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            bail!("oxprof demo takes no arguments, only flags: {arg:?} (oxprof demo -h)");
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (body, None),
        };
        if matches!(name, "h" | "help") {
            return Ok(None);
        }
        if !matches!(name, "dir" | "havlak" | "trees") {
            bail!("oxprof demo: unknown flag -{name} (oxprof demo -h lists the flags)");
        }
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .ok_or_else(|| anyhow!("oxprof demo: flag needs an argument: -{name}"))?,
        };
        match name {
            "dir" => options.dir = PathBuf::from(value),
            "havlak" => options.havlak = Some(PathBuf::from(value)),
            _ => {
                options.trees = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| {
                        anyhow!("oxprof demo: -trees={value}: give a number of trees from 1 to 100")
                    })?
            }
        }
    }
    Ok(Some(options))
}

/// One run of the demo: the example, where results go, and the graph's size.
struct Demo {
    havlak: PathBuf,
    dir: PathBuf,
    trees: u32,
}

impl Demo {
    fn introduce(&self) {
        println!(
            "oxprof demo: the Go blog's \"Profiling Go Programs\" journey, in Rust.\n\n\
             The havlak example is Hundt's loop-recognition benchmark: it builds a control-flow\n\
             graph of {} loops and finds them 51 times with Havlak's algorithm. Its first port,\n\
             stage v1, keeps its bookkeeping in HashMaps and HashSets, as a first port would.\n\
             havlak is {}; results go to {}.",
            self.trees * 7600,
            self.havlak.display(),
            self.dir.display()
        );
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Runs havlak with `args` (and `-trees` when not the benchmark's), printing the command
    /// and what it printed.
    fn havlak(&self, args: &[String]) -> Result<String> {
        let mut args = args.to_vec();
        if self.trees != 10 {
            args.insert(1, format!("-trees={}", self.trees));
        }
        println!("\n$ havlak {}", args.join(" "));
        let out = havlak::run(&self.havlak, &args)?;
        print!("{out}");
        io::stdout().flush()?;
        Ok(out)
    }

    /// Step 1: v1's CPU profile, its top, and the share of hash-map code.
    fn cpu_time(&self) -> Result<PathBuf> {
        heading("1. Where does v1 spend its time? The CPU profile");
        let profile_path = self.path("havlak-v1.cpu.pprof");
        self.havlak(&[
            "-stage=v1".into(),
            format!("-cpuprofile={}", profile_path.display()),
        ])?;
        let profile = report(&["-top", "-nodecount=15"], &profile_path)?;
        let found = findings::hash_map_time(&profile);
        let callers = match found.callers.as_slice() {
            [] => String::new(),
            [one] => format!(", called from\n{one}"),
            [one, two, ..] => format!(", called from\n{one} and {two}"),
        };
        println!(
            "\nLook at the hash-map lines (BuildHasher::hash_one and SipHash's rounds hash a key,\n\
             hashbrown's group matching probes the table, reserve_rehash grows it): {:.0}% of\n\
             v1's CPU time is inside HashMap and HashSet code{callers}.\n\
             The keys are block numbers 0..n: a Vec indexed by them would do (stages v2 and v4).",
            found.share
        );
        Ok(profile_path)
    }

    /// Step 2: v1's heap profile, its top by bytes allocated, and who allocates.
    fn allocations(&self) -> Result<()> {
        heading("2. What does v1 allocate? The heap profile");
        let profile_path = self.path("havlak-v1.heap.pprof");
        let searches = 6;
        self.havlak(&[
            "-stage=v1".into(),
            format!("-iterations={}", searches - 1),
            format!("-memprofile={}", profile_path.display()),
        ])?;
        let profile = report(
            &[
                "-top",
                "-nodecount=8",
                "-sample_index=alloc_space",
                "-show=havlak::",
            ],
            &profile_path,
        )?;
        let found = findings::allocations(&profile);
        let Some((top, bytes)) = found.by_function.first() else {
            bail!("the heap profile names none of havlak's functions");
        };
        println!(
            "\n-show='havlak::' charges each allocation to the havlak function that asked for it.\n\
             Look at the flat column: {top} allocated {} of the {}\n\
             allocated in all ({:.0}%), about {} per search of the graph, all of it freed when the\n\
             search ends: bookkeeping rebuilt from scratch every time (stages v4 to v6 stop that).",
            megabytes(*bytes),
            megabytes(found.total),
            findings::share(*bytes, found.total),
            megabytes(*bytes / searches)
        );
        Ok(())
    }

    /// Step 3: the tuned stage, profiled too.
    fn tuned(&self) -> Result<PathBuf> {
        heading("3. The tuned version");
        println!(
            "Stage v6 (\"tuned\") is where the blog's steps end: Vecs indexed by block instead of\n\
             hash tables, and a LoopFinder that keeps and reuses its bookkeeping and loop graph."
        );
        let profile_path = self.path("havlak-tuned.cpu.pprof");
        self.havlak(&[
            "-stage=tuned".into(),
            format!("-cpuprofile={}", profile_path.display()),
        ])?;
        let profile = report(&["-top", "-nodecount=8"], &profile_path)?;
        let found = findings::hash_map_time(&profile);
        println!(
            "\nNo hash-map code is left ({:.0}% of the time): what remains is the algorithm\n\
             walking the graph.",
            found.share
        );
        Ok(profile_path)
    }

    /// Step 4: ten single searches of each, compared by benchstat.
    fn compare(&self) -> Result<()> {
        heading("4. v1 against tuned: ten searches of the graph each, compared");
        let mut files = Vec::new();
        for stage in ["v1", "tuned"] {
            let path = self.path(&format!("havlak-{stage}.bench.txt"));
            let out = self.havlak_quiet(stage, &path)?;
            std::fs::write(&path, out)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
            files.push(format!("{stage}={}", path.display()));
        }
        println!("\n$ oxprof benchstat {}\n", files.join(" "));
        io::stdout().flush()?;
        let (mut out, mut err) = (io::stdout().lock(), io::stderr().lock());
        crate::benchstat::run(files, &mut out, &mut err)?;
        drop((out, err));
        println!(
            "\nsec/op is the time of one search, B/op and allocs/op what it allocated (exact\n\
             counts); each column is a median of 10 with its 95% confidence interval, and\n\
             vs base the change with the Mann-Whitney U test's p-value."
        );
        Ok(())
    }

    /// Runs `havlak -stage=STAGE -benchcount=10`, printing the command with its redirection.
    fn havlak_quiet(&self, stage: &str, out: &Path) -> Result<String> {
        let mut args = vec![format!("-stage={stage}"), "-benchcount=10".to_string()];
        if self.trees != 10 {
            args.insert(1, format!("-trees={}", self.trees));
        }
        println!("$ havlak {} > {}", args.join(" "), out.display());
        io::stdout().flush()?;
        havlak::run(&self.havlak, &args)
    }

    fn further(&self, v1_cpu: &Path, tuned_cpu: &Path) {
        heading("Explore further");
        let (v1, tuned) = (v1_cpu.display(), tuned_cpu.display());
        let heap = self.path("havlak-v1.heap.pprof");
        let heap = heap.display();
        println!(
            "oxprof -http=:8080 {v1}\n    \
                 # the web UI: flame graph, top, call graph, source and disassembly\n\
             oxprof -list='stages::v1::dfs' {v1}\n    \
                 # dfs's source, with the time of each line (the HashMap lookups)\n\
             oxprof -disasm='stages::v1::dfs' {v1}\n    \
                 # its machine code, with the time of each instruction\n\
             oxprof -peek='BuildHasher::hash_one' {v1}\n    \
                 # who hashes, and what hashing calls\n\
             oxprof -top -inuse_space -show='havlak::' {heap}\n    \
                 # what the program holds at the end (the graph, the loops)\n\
             oxprof -top -diff_base={v1} {tuned}\n    \
                 # what changed from v1 to tuned\n\
             oxprof -flame v1.svg {v1}\n    \
                 # a flame graph to open in a browser\n\
             havlak -h\n    \
                 # every stage (v1, v2, v4, v5, v6) and flag; docs/guide.md walks through them all"
        );
    }
}

fn heading(title: &str) {
    println!("\n== {title} ==");
}

/// Prints `oxprof ARGS PATH` as the command line would, and returns the profile read.
fn report(args: &[&str], path: &Path) -> Result<Profile> {
    let path = path.to_str().context("the demo's directory is not UTF-8")?;
    let shown: Vec<String> = args
        .iter()
        .map(|a| match a.split_once('=') {
            Some((flag, value)) if value.contains(':') => format!("{flag}='{value}'"),
            _ => a.to_string(),
        })
        .collect();
    println!("\n$ oxprof {} {path}", shown.join(" "));
    io::stdout().flush()?;
    let args = args.iter().chain([&path]).map(|a| a.to_string());
    let flags::Parsed::Run(invocation) = flags::parse(args).map_err(|e| anyhow!(e))? else {
        bail!("the demo's report asked for help");
    };
    let command = invocation.command.as_ref().context("the demo's report")?;
    let profile = driver::load(&invocation.sources)?;
    driver::generate(profile.clone(), command, &invocation.config, false)?;
    Ok(profile)
}

/// Bytes as pprof prints them, in units of 2^20: `12.3MB`.
fn megabytes(bytes: i64) -> String {
    format!("{:.1}MB", bytes as f64 / (1u64 << 20) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags() {
        let o = parse(args(&["-dir=/x", "--havlak", "/bin/h", "-trees=2"]))
            .unwrap()
            .unwrap();
        assert_eq!(
            o,
            Options {
                dir: "/x".into(),
                havlak: Some("/bin/h".into()),
                trees: 2
            }
        );
        assert_eq!(parse(args(&["-h"])).unwrap(), None);
        let err = |a: &[&str]| parse(args(a)).unwrap_err().to_string();
        assert!(err(&["-trees=0"]).contains("from 1 to 100"));
        assert!(err(&["-dir"]).contains("needs an argument"));
        assert!(err(&["-fast"]).contains("unknown flag -fast"));
        assert!(err(&["cpu.pprof"]).contains("takes no arguments"));
    }

    #[test]
    fn megabytes_have_one_decimal() {
        assert_eq!(megabytes(12_897_485), "12.3MB");
    }
}
