//! Profiles a program defines for its own resources, as Go's `pprof.NewProfile`: each live
//! thing (an open file, a connection, a checked-out buffer) is added with a key when it is
//! acquired, which records the stack that acquired it, and removed when it is released. The
//! profile then counts what is live by the stacks that acquired it, which finds leaks of
//! anything that must be released explicitly.
//!
//! ```
//! use std::sync::LazyLock;
//! use oxprof::custom::Profile;
//!
//! static OPEN_CONNECTIONS: LazyLock<Profile> =
//!     LazyLock::new(|| Profile::new("doc.open_connections").expect("a unique name"));
//!
//! fn connect(id: u64) -> u64 {
//!     OPEN_CONNECTIONS.add(id, 0).expect("ids are unique"); // records connect's stack
//!     id
//! }
//!
//! let a = connect(1);
//! let _b = connect(2);
//! OPEN_CONNECTIONS.remove(&a);
//! assert_eq!(OPEN_CONNECTIONS.count(), 1);
//!
//! let mut text = Vec::new();
//! OPEN_CONNECTIONS.write_to(&mut text, 1)?;
//! assert!(text.starts_with(b"doc.open_connections profile: total 1\n"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Profiles are registered by name for the life of the process ([`lookup`], [`all`], and
//! [`profiles`](crate::profiles) with the built-in ones), so a live endpoint serves them with
//! the rest. Keys are values of any `Hash + Eq` type (a file descriptor, an id, an address);
//! keys of different types never collide.
//!
//! Recording a stack uses the same unwinder as the other profilers; the first entry added in
//! the process starts it for good (its snapshots and a watcher thread that follows `dlopen`).

mod entries;
mod error;
mod key;
mod report;

use std::collections::BTreeMap;
use std::hash::Hash;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use error::Error;

use entries::Entries;

/// A custom profile: a named set of live entries, each the stack that added it.
///
/// Cloning gives another handle on the same profile.
#[derive(Clone)]
pub struct Profile {
    shared: Arc<Shared>,
}

struct Shared {
    name: String,
    entries: Mutex<Entries>,
}

/// Every custom profile created, by name.
static REGISTRY: Mutex<BTreeMap<String, Profile>> = Mutex::new(BTreeMap::new());

fn registry() -> MutexGuard<'static, BTreeMap<String, Profile>> {
    // Nothing panics while the map is held, so a poisoned map is still consistent.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Profile {
    /// Creates the profile `name` and registers it for the life of the process. Fails when the
    /// name is empty, has whitespace or control characters, or is taken, by a profile created
    /// earlier or by a built-in one ([`profiles::RESERVED`](crate::profiles::RESERVED)). By
    /// convention the name starts with the program's or library's name: `myapp.open_files`.
    ///
    /// ```
    /// use oxprof::custom::{Error, Profile};
    ///
    /// let files = Profile::new("doc_new.open_files")?;
    /// assert_eq!(files.name(), "doc_new.open_files");
    /// assert_eq!(
    ///     Profile::new("doc_new.open_files").unwrap_err(),
    ///     Error::NameInUse("doc_new.open_files".into())
    /// );
    /// assert!(matches!(Profile::new("heap"), Err(Error::NameInUse(_))));
    /// assert!(matches!(Profile::new("open files"), Err(Error::InvalidName(_))));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(name: &str) -> Result<Profile, Error> {
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidName(name.to_owned()));
        }
        let mut registry = registry();
        if registry.contains_key(name) || crate::profiles::RESERVED.contains(&name) {
            return Err(Error::NameInUse(name.to_owned()));
        }
        let profile = Profile {
            shared: Arc::new(Shared {
                name: name.to_owned(),
                entries: Mutex::new(Entries::default()),
            }),
        };
        registry.insert(name.to_owned(), profile.clone());
        Ok(profile)
    }

    /// The profile's name.
    ///
    /// ```
    /// let p = oxprof::custom::Profile::new("doc_name.things")?;
    /// assert_eq!(p.name(), "doc_name.things");
    /// # Ok::<(), oxprof::custom::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Adds `key` with the current stack. `skip` is how many frames to leave out, counting
    /// from the function that calls `add` (0 keeps it; 1 starts at its caller, for a helper
    /// that opens the resource for others), inlined functions counting as frames, as in Go.
    /// When `skip` goes past the whole stack, the entry gets the one frame
    /// `oxprof::custom::report::lost_profile_event`, as Go's `lostProfileEvent`. Fails when
    /// `key` is in the profile already; the profile is then unchanged.
    ///
    /// ```
    /// use oxprof::custom::{Error, Profile};
    ///
    /// let sockets = Profile::new("doc_add.sockets")?;
    /// sockets.add(3_i32, 0)?;
    /// sockets.add("listener", 0)?; // keys of any Hash + Eq type, mixed
    /// assert_eq!(
    ///     sockets.add(3_i32, 0).unwrap_err(),
    ///     Error::DuplicateKey { profile: "doc_add.sockets".into() }
    /// );
    /// assert_eq!(sockets.count(), 2);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn add<K: Hash + Eq + Send + 'static>(&self, key: K, skip: usize) -> Result<(), Error> {
        let stack = crate::contention::capture();
        if self.entries().insert(Box::new(key), stack.frames(), skip) {
            Ok(())
        } else {
            Err(Error::DuplicateKey {
                profile: self.shared.name.clone(),
            })
        }
    }

    /// Removes `key`, returning whether it was there (removing a key that is not is no error,
    /// as in Go).
    ///
    /// ```
    /// let p = oxprof::custom::Profile::new("doc_remove.buffers")?;
    /// p.add(7_usize, 0)?;
    /// assert!(p.remove(&7_usize));
    /// assert!(!p.remove(&7_usize));
    /// assert!(!p.remove(&7_u32), "a key of another type is another key");
    /// # Ok::<(), oxprof::custom::Error>(())
    /// ```
    pub fn remove<K: Hash + Eq + Send + 'static>(&self, key: &K) -> bool {
        self.entries().remove(key)
    }

    /// How many entries the profile holds now.
    ///
    /// ```
    /// let p = oxprof::custom::Profile::new("doc_count.jobs")?;
    /// assert_eq!(p.count(), 0);
    /// p.add(1_u64, 0)?;
    /// assert_eq!(p.count(), 1);
    /// # Ok::<(), oxprof::custom::Error>(())
    /// ```
    pub fn count(&self) -> usize {
        self.entries().len()
    }

    /// The entries as a symbolized profile: sample type `<name>/count`, one sample per
    /// distinct stack counting the entries added there.
    ///
    /// ```
    /// let p = oxprof::custom::Profile::new("doc_profile.leases")?;
    /// p.add(1_u8, 0)?;
    /// p.add(2_u8, 0)?;
    /// let profile = p.profile();
    /// assert_eq!(profile.sample_type[0].ty, "doc_profile.leases");
    /// assert_eq!(profile.sample.iter().map(|s| s.value[0]).sum::<i64>(), 2);
    /// # Ok::<(), oxprof::custom::Error>(())
    /// ```
    pub fn profile(&self) -> oxprof_profile::Profile {
        // Tallied under the lock, built without it: symbolizing takes a while.
        let tally = self.entries().tally();
        report::build(&self.shared.name, tally)
    }

    /// Writes the profile to `w`: with `debug = 0` as gzipped `profile.proto`, with any other
    /// value as Go's counted text (`<name> profile: total N`, then each stack with its count
    /// and frames), which `go tool pprof` and oxprof read too.
    ///
    /// ```
    /// let p = oxprof::custom::Profile::new("doc_write.handles")?;
    /// p.add(1_u32, 0)?;
    /// let mut proto = Vec::new();
    /// p.write_to(&mut proto, 0)?;
    /// assert_eq!(&proto[..2], b"\x1f\x8b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_to(&self, w: impl Write, debug: u8) -> io::Result<()> {
        let profile = self.profile();
        match debug {
            0 => profile.write_to(w),
            _ => crate::count_profile::write_text(&profile, w),
        }
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // Nothing panics while the entries are held, so poisoned entries are still consistent.
        self.shared
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.shared.name)
            .field("count", &self.count())
            .finish()
    }
}

/// The custom profile named `name`, if one was created.
///
/// ```
/// let created = oxprof::custom::Profile::new("doc_lookup.sessions")?;
/// let found = oxprof::custom::lookup("doc_lookup.sessions").unwrap();
/// found.add(1_u32, 0)?;
/// assert_eq!(created.count(), 1, "the same profile");
/// assert!(oxprof::custom::lookup("doc_lookup.none").is_none());
/// # Ok::<(), oxprof::custom::Error>(())
/// ```
pub fn lookup(name: &str) -> Option<Profile> {
    registry().get(name).cloned()
}

/// Every custom profile created, sorted by name.
///
/// ```
/// oxprof::custom::Profile::new("doc_all.b")?;
/// oxprof::custom::Profile::new("doc_all.a")?;
/// let names: Vec<String> = oxprof::custom::all()
///     .iter()
///     .map(|p| p.name().to_owned())
///     .filter(|n| n.starts_with("doc_all."))
///     .collect();
/// assert_eq!(names, ["doc_all.a", "doc_all.b"]);
/// # Ok::<(), oxprof::custom::Error>(())
/// ```
pub fn all() -> Vec<Profile> {
    registry().values().cloned().collect()
}
