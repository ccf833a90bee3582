//! Finding the object file for a mapping: by build id or name in search directories, or at the
//! path the profile recorded. A file whose build id differs from the mapping's is never used.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxprof_profile::Mapping;

use crate::loader::{self, Loaded};

/// An object and where it was found.
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) object: Loaded,
}

/// The mapping's build id in the form files are compared with; `None` when it records none.
pub(crate) fn mapping_build_id(mapping: &Mapping) -> Option<String> {
    let id = mapping.build_id.trim();
    (!id.is_empty()).then(|| id.to_ascii_lowercase())
}

/// Names of mappings that are not files (`[vdso]`, `[heap]`, anonymous memory, GPU buffers), as
/// pprof recognizes them.
pub(crate) fn is_pseudo_file(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('[')
        || name.starts_with("linux-vdso")
        || name.starts_with("/dev/dri/")
        || name.starts_with("//anon")
        || name.starts_with("/memfd:")
}

/// Search directories, with an index of the build ids of the files directly in them, built the
/// first time a mapping is found under none of the names tried.
pub(crate) struct SearchPath<'a> {
    dirs: &'a [PathBuf],
    by_build_id: OnceCell<HashMap<String, PathBuf>>,
}

impl<'a> SearchPath<'a> {
    pub(crate) fn new(dirs: &'a [PathBuf]) -> Self {
        SearchPath {
            dirs,
            by_build_id: OnceCell::new(),
        }
    }

    /// Looks for the mapping's object in pprof's `PPROF_BINARY_PATH` order plus the GDB
    /// `.build-id` layout, then among plain files whose build id matches.
    pub(crate) fn find(&self, mapping: &Mapping, warnings: &mut Vec<String>) -> Option<Found> {
        let want = mapping_build_id(mapping);
        for dir in self.dirs {
            for path in candidates(dir, &mapping.filename, want.as_deref()) {
                if let Some(found) = try_file(&path, want.as_deref(), warnings) {
                    return Some(found);
                }
            }
        }
        let want = want?;
        let path = self.index().get(&want)?;
        try_file(path, Some(&want), warnings)
    }

    /// A separate debug file (`objcopy --only-keep-debug`) with DWARF for the object with
    /// `build_id`, in the directories and then the system's debug directory.
    pub(crate) fn debug_file(&self, build_id: &str) -> Option<Loaded> {
        let (head, tail) = split_build_id(build_id)?;
        let system = PathBuf::from("/usr/lib/debug");
        self.dirs
            .iter()
            .chain(std::iter::once(&system))
            .flat_map(|dir| {
                let name = format!("{tail}.debug");
                [
                    dir.join(".build-id").join(head).join(&name),
                    dir.join(head).join(&name),
                ]
            })
            .filter(|path| {
                loader::is_file(path) && loader::build_id(path).as_deref() == Some(build_id)
            })
            .find_map(|path| loader::load(&path).ok().filter(|o| o.debug_info.is_some()))
    }

    fn index(&self) -> &HashMap<String, PathBuf> {
        self.by_build_id.get_or_init(|| {
            let mut index = HashMap::new();
            for path in self.dirs.iter().flat_map(|dir| loader::files_in(dir)) {
                if let Some(id) = loader::build_id(&path) {
                    // The first directory listed wins, as for the named candidates.
                    index.entry(id).or_insert(path);
                }
            }
            index
        })
    }
}

/// The object at the mapping's own path, unless that path is a pseudo name.
pub(crate) fn at_mapping_path(mapping: &Mapping, warnings: &mut Vec<String>) -> Option<Found> {
    if is_pseudo_file(&mapping.filename) {
        return None;
    }
    try_file(
        Path::new(&mapping.filename),
        mapping_build_id(mapping).as_deref(),
        warnings,
    )
}

/// Paths in `dir` that may hold the object named `filename` with `build_id`, most specific first.
fn candidates(dir: &Path, filename: &str, build_id: Option<&str>) -> Vec<PathBuf> {
    let relative = filename.trim_start_matches('/');
    let base = Path::new(filename).file_name().map(Path::new);
    let parent = Path::new(relative).parent().unwrap_or(Path::new(""));
    let mut paths = Vec::new();
    if let Some(id) = build_id {
        if let Some((head, tail)) = split_build_id(id) {
            paths.push(
                dir.join(".build-id")
                    .join(head)
                    .join(format!("{tail}.debug")),
            );
            paths.push(dir.join(".build-id").join(head).join(tail));
            paths.push(dir.join(head).join(format!("{tail}.debug")));
        }
        if let Some(base) = base {
            paths.push(dir.join(id).join(base));
        }
        paths.extend(loader::files_in(&dir.join(id)));
        if !relative.is_empty() {
            paths.push(dir.join(relative).join(id));
        }
    }
    if let Some(base) = base {
        paths.push(dir.join(base));
        paths.push(dir.join(relative));
        paths.push(dir.join(format!("{relative}.debug")));
        let debug_name = format!("{}.debug", base.display());
        paths.push(dir.join(parent).join(".debug").join(&debug_name));
        paths.push(dir.join("usr/lib/debug").join(parent).join(&debug_name));
    }
    paths
}

/// Splits a hex build id into the `ab` / `cdef…` parts of `.build-id` paths.
fn split_build_id(id: &str) -> Option<(&str, &str)> {
    let hex = id.len() > 2 && id.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| id.split_at(2))
}

/// Loads `path` if it exists and carries `want` as build id (anything, when `want` is `None`).
fn try_file(path: &Path, want: Option<&str>, warnings: &mut Vec<String>) -> Option<Found> {
    if !loader::is_file(path) {
        return None;
    }
    if let Some(want) = want {
        let got = loader::build_id(path);
        if got.as_deref() != Some(want) {
            let got = got.as_deref().unwrap_or("none");
            warnings.push(format!(
                "ignoring {}: build id {got} does not match the mapping's build id {want}",
                path.display()
            ));
            return None;
        }
    }
    match loader::load(path) {
        Ok(object) => Some(Found {
            path: path.to_owned(),
            object,
        }),
        Err(err) => {
            warnings.push(err.to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_order_follows_pprof_and_gdb_layouts() {
        let got = candidates(Path::new("/s"), "/usr/bin/app", Some("abcdef"));
        let want: Vec<PathBuf> = [
            "/s/.build-id/ab/cdef.debug",
            "/s/.build-id/ab/cdef",
            "/s/ab/cdef.debug",
            "/s/abcdef/app",
            "/s/usr/bin/app/abcdef",
            "/s/app",
            "/s/usr/bin/app",
            "/s/usr/bin/app.debug",
            "/s/usr/bin/.debug/app.debug",
            "/s/usr/lib/debug/usr/bin/app.debug",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn without_build_id_only_names_are_tried() {
        let got = candidates(Path::new("/s"), "app", None);
        assert_eq!(got[0], PathBuf::from("/s/app"));
        assert!(got
            .iter()
            .all(|p| !p.to_string_lossy().contains("build-id")));
    }

    #[test]
    fn pseudo_files() {
        for name in [
            "",
            "[vdso]",
            "[heap]",
            "linux-vdso.so.1",
            "//anon",
            "/memfd:x (deleted)",
            "/dev/dri/card0",
        ] {
            assert!(is_pseudo_file(name), "{name}");
        }
        assert!(!is_pseudo_file("/usr/lib/libc.so.6"));
    }

    #[test]
    fn build_id_split_needs_hex() {
        assert_eq!(split_build_id("abcdef"), Some(("ab", "cdef")));
        assert_eq!(split_build_id("ab"), None);
        assert_eq!(split_build_id("go/xyz"), None);
    }
}
