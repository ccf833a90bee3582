//! Every named profile in one registry, as Go's `pprof.Lookup` and `pprof.Profiles` see them:
//! the built-in ones (`allocs`, `block`, `goroutine`, `heap`, `mutex`, `threadcreate`) and the
//! [program's own](crate::custom), each with its name, a one-line description, a count,
//! and a way to write it by name in any of Go's forms, so live endpoints serve them all alike.
//! The CPU profile is not among them: it covers a span of time, not a moment.
//!
//! ```
//! let goroutine = oxprof::profiles::lookup("goroutine")?;
//! let mut text = Vec::new();
//! goroutine.write_to(&mut text, 1)?;
//! assert!(text.starts_with(b"goroutine profile: total "));
//!
//! for profile in oxprof::profiles::all() {
//!     println!("{:>5} {:<14} {}", profile.count(), profile.name(), profile.description());
//! }
//!
//! let err = oxprof::profiles::lookup("nope").unwrap_err();
//! assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! | name | what it holds | `count()` |
//! |---|---|---|
//! | `allocs` | [`heap::allocs_profile`](crate::heap::allocs_profile): everything allocated since the start, sampled | heap records (allocation site and size class) |
//! | `block` | [`block::profile`](crate::block::profile): where threads waited | records (stacks) |
//! | `goroutine` (alias `threads`) | [`threads::profile`](crate::threads::profile): every thread's stack now | threads |
//! | `heap` | [`heap::profile`](crate::heap::profile): what is allocated now, sampled | heap records |
//! | `mutex` | [`mutex::profile`](crate::mutex::profile): who held contended locks | records |
//! | `threadcreate` | the live threads, by the function each was started with | threads |
//!
//! Go's `threadcreate` records the stack that created each OS thread its runtime started, and
//! its threads never exit. A Rust program's threads come from many places (std, thread pools,
//! C libraries) and Linux keeps no count of a process's ended threads, so oxprof's
//! `threadcreate` counts the threads alive now by how they started: each thread's stack cut to
//! its outermost frames, through the first that is neither the C library's nor the standard
//! library's start-up code (the function it was spawned with; the program's `main` for the main
//! thread), which groups a pool's threads together.

use std::io::{self, Write};

use oxprof_profile::Profile;

use crate::contention::Kind;
use crate::custom;

/// Names no custom profile may take: the built-in profiles, their aliases, and the other
/// endpoints Go's `net/http/pprof` serves beside them (`cmdline`, `profile` for CPU, `symbol`,
/// `trace`), so one path per name stays unambiguous.
///
/// ```
/// assert!(oxprof::profiles::RESERVED.contains(&"goroutine"));
/// ```
pub const RESERVED: &[&str] = &[
    "allocs",
    "block",
    "cmdline",
    "cpu",
    "goroutine",
    "heap",
    "mutex",
    "profile",
    "symbol",
    "threadcreate",
    "threads",
    "trace",
];

/// A profile found by name: built in or custom.
#[derive(Debug, Clone)]
pub struct Named {
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Builtin(Builtin),
    Custom(custom::Profile),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Allocs,
    Block,
    Goroutine,
    Heap,
    Mutex,
    ThreadCreate,
}

impl Builtin {
    const ALL: [Builtin; 6] = [
        Builtin::Allocs,
        Builtin::Block,
        Builtin::Goroutine,
        Builtin::Heap,
        Builtin::Mutex,
        Builtin::ThreadCreate,
    ];

    fn name(self) -> &'static str {
        match self {
            Builtin::Allocs => "allocs",
            Builtin::Block => "block",
            Builtin::Goroutine => "goroutine",
            Builtin::Heap => "heap",
            Builtin::Mutex => "mutex",
            Builtin::ThreadCreate => "threadcreate",
        }
    }

    fn find(name: &str) -> Option<Builtin> {
        if name == "threads" {
            return Some(Builtin::Goroutine);
        }
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }
}

impl Named {
    /// The profile's name: `heap`, `goroutine` (also for the alias `threads`), a custom
    /// profile's name...
    ///
    /// ```
    /// assert_eq!(oxprof::profiles::lookup("threads")?.name(), "goroutine");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        match &self.source {
            Source::Builtin(builtin) => builtin.name(),
            Source::Custom(profile) => profile.name(),
        }
    }

    /// What the profile holds, in one line, as Go's profile index describes its profiles.
    ///
    /// ```
    /// let mutex = oxprof::profiles::lookup("mutex")?;
    /// assert_eq!(mutex.description(), "Stack traces of holders of contended mutexes");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn description(&self) -> &'static str {
        match &self.source {
            Source::Builtin(Builtin::Allocs) => "A sampling of all past memory allocations",
            Source::Builtin(Builtin::Block) => {
                "Stack traces that led to blocking on synchronization primitives"
            }
            Source::Builtin(Builtin::Goroutine) => {
                "Stack traces of all current threads. Use debug=2 as a query parameter to export \
                 one block per thread, with its state, in the format of an unrecovered panic."
            }
            Source::Builtin(Builtin::Heap) => {
                "A sampling of memory allocations of live objects, exact as of the request"
            }
            Source::Builtin(Builtin::Mutex) => "Stack traces of holders of contended mutexes",
            Source::Builtin(Builtin::ThreadCreate) => {
                "Live OS threads, by the function each was started with"
            }
            Source::Custom(_) => {
                "Live entries of a program-defined profile, by the stack that added them"
            }
        }
    }

    /// How many records the profile holds now (see the table in the module documentation), as
    /// Go's profile index counts them. Cheap: nothing is symbolized or signalled.
    ///
    /// ```
    /// assert!(oxprof::profiles::lookup("goroutine")?.count() >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn count(&self) -> usize {
        match &self.source {
            Source::Builtin(Builtin::Allocs | Builtin::Heap) => crate::heap::record_count(),
            Source::Builtin(Builtin::Block) => crate::contention::record_count(Kind::Block),
            Source::Builtin(Builtin::Mutex) => crate::contention::record_count(Kind::Mutex),
            Source::Builtin(Builtin::Goroutine | Builtin::ThreadCreate) => crate::threads::count(),
            Source::Custom(profile) => profile.count(),
        }
    }

    /// The profile as of now, symbolized.
    ///
    /// ```
    /// let threads = oxprof::profiles::lookup("threadcreate")?.profile()?;
    /// assert_eq!(threads.sample_type[0].ty, "threadcreate");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn profile(&self) -> io::Result<Profile> {
        match &self.source {
            Source::Builtin(Builtin::Allocs) => crate::heap::allocs_profile(),
            Source::Builtin(Builtin::Block) => crate::block::profile(),
            Source::Builtin(Builtin::Goroutine) => crate::threads::profile(),
            Source::Builtin(Builtin::Heap) => crate::heap::profile(),
            Source::Builtin(Builtin::Mutex) => crate::mutex::profile(),
            Source::Builtin(Builtin::ThreadCreate) => crate::threads::creation_profile(),
            Source::Custom(profile) => Ok(profile.profile()),
        }
    }

    /// Writes the profile to `w` as Go's `Profile.WriteTo` does: with `debug = 0` as gzipped
    /// `profile.proto`; with `debug = 1` as Go's legacy text for its kind (the `heap profile:`,
    /// `--- contention:` or counted `<name> profile: total N` forms, which `go tool pprof` and
    /// oxprof read); `debug = 2` is the same text except for `goroutine`, whose `debug = 2` is
    /// the full dump, one block per thread.
    ///
    /// Fails when the profile cannot be taken (`heap` and `allocs` without
    /// [`Profiled`](crate::heap::Profiled) as the global allocator) or writing fails.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// oxprof::profiles::lookup("block")?.write_to(&mut out, 1)?;
    /// assert!(out.starts_with(b"--- contention:\n"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_to(&self, w: impl Write, debug: u8) -> io::Result<()> {
        match (&self.source, debug) {
            (Source::Builtin(Builtin::Goroutine), debug) => crate::threads::dump(debug, w),
            (Source::Custom(profile), debug) => profile.write_to(w, debug),
            (_, 0) => self.profile()?.write_to(w),
            (Source::Builtin(Builtin::Allocs | Builtin::Heap), _) => crate::heap::write_text(w),
            (Source::Builtin(Builtin::Block), _) => crate::block::write_text(w),
            (Source::Builtin(Builtin::Mutex), _) => crate::mutex::write_text(w),
            (Source::Builtin(Builtin::ThreadCreate), _) => {
                crate::count_profile::write_text(&self.profile()?, w)
            }
        }
    }
}

/// The profile named `name`: a built-in one (or the alias `threads` for `goroutine`) or a
/// custom one. Fails with [`io::ErrorKind::NotFound`] for any other name, listing the names
/// there are.
///
/// ```
/// let err = oxprof::profiles::lookup("cpu").unwrap_err();
/// assert!(err.to_string().starts_with("unknown profile \"cpu\"; profiles: allocs, block, "));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn lookup(name: &str) -> io::Result<Named> {
    if let Some(builtin) = Builtin::find(name) {
        return Ok(Named {
            source: Source::Builtin(builtin),
        });
    }
    if let Some(profile) = custom::lookup(name) {
        return Ok(Named {
            source: Source::Custom(profile),
        });
    }
    let names: Vec<String> = all().iter().map(|p| p.name().to_owned()).collect();
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!("unknown profile {name:?}; profiles: {}", names.join(", ")),
    ))
}

/// Every named profile, built-in and custom, sorted by name (aliases left out).
///
/// ```
/// let names: Vec<String> = oxprof::profiles::all().iter().map(|p| p.name().to_owned()).collect();
/// assert_eq!(names[..6], ["allocs", "block", "goroutine", "heap", "mutex", "threadcreate"]);
/// ```
pub fn all() -> Vec<Named> {
    let mut all: Vec<Named> = Builtin::ALL
        .into_iter()
        .map(|builtin| Named {
            source: Source::Builtin(builtin),
        })
        .chain(custom::all().into_iter().map(|profile| Named {
            source: Source::Custom(profile),
        }))
        .collect();
    all.sort_by(|a, b| a.name().cmp(b.name()));
    all
}

/// What a cumulative profile gained between two snapshots of it: `after - before`, sample by
/// sample (samples that did not change are left out), dated `after` and lasting from
/// `before`'s time to `after`'s. Both `?seconds=N` deltas of the `/debug/pprof` endpoints and
/// the continuous agent's `allocs`, `block` and `mutex` pushes are computed here.
///
/// Fails when the two profiles have different sample types.
///
/// ```
/// use oxprof::Profile;
/// use oxprof_profile::{Sample, ValueType};
/// let at = |t: i64, v: i64| Profile {
///     sample_type: vec![ValueType::new("contentions", "count")],
///     sample: vec![Sample { value: vec![v], ..Default::default() }],
///     time_nanos: t,
///     ..Default::default()
/// };
/// let delta = oxprof::profiles::delta(at(1_000, 5), at(3_000, 8))?;
/// assert_eq!(delta.sample[0].value, [3]);
/// assert_eq!((delta.time_nanos, delta.duration_nanos), (3_000, 2_000));
/// assert!(oxprof::profiles::delta(at(1_000, 5), at(3_000, 5))?.sample.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn delta(mut before: Profile, after: Profile) -> io::Result<Profile> {
    let (time, duration) = (after.time_nanos, after.time_nanos - before.time_nanos);
    before.scale(-1.0);
    let mut delta = Profile::merge(vec![before, after])
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    delta.time_nanos = time;
    delta.duration_nanos = duration;
    Ok(delta)
}
