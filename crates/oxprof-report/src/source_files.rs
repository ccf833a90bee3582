//! Source files for the annotated listings (`list`, `weblist`): the [`SourceLoader`] trait the
//! reports read sources through, [`SourceReader`], which caches them by line, and
//! [`FileSystem`], the loader that finds them on this machine.
//!
//! [`FileSystem`] looks where pprof looks, then where Rust puts sources:
//!
//! 1. the path with `-trim_path` prefixes (or, without them, everything up to the base name of
//!    a `-source_path` directory) and `/proc/self/cwd/` removed;
//! 2. an absolute path as it is; a relative one under each `-source_path` directory (the
//!    working directory by default) and each of their parents;
//! 3. an absolute path that is not there, by what it is: `/rustc/<commit>/library/...` (the
//!    standard library as rustc records it) in the `rust-src` component of an installed
//!    toolchain built from that commit; `.../registry/src/<index>/<crate>-<version>/...` in
//!    the cargo registry sources of `$CARGO_HOME` (`~/.cargo`), under any index;
//!    `.../git/checkouts/<repository>/<revision>/...` in its git checkouts.
//!
//! A file not found gets a one-line error that says where it was looked for and what would
//! bring it (`rustup component add rust-src`, `cargo fetch`, `-source_path`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::graph::trim_path;

/// Where a report gets the text of a source file.
///
/// ```
/// use oxprof_report::source_files::{SourceLoader, SourceReader};
/// struct Fixed;
/// impl SourceLoader for Fixed {
///     fn load(&mut self, path: &str) -> Result<String, String> {
///         if path == "a.rs" { Ok("fn main() {\n}\n".into()) } else { Err(format!("no {path}")) }
///     }
/// }
/// let mut reader = SourceReader::new(Box::new(Fixed));
/// assert_eq!(reader.line("a.rs", 2), Some("}"));
/// assert_eq!(reader.line("b.rs", 1), None);
/// assert_eq!(reader.error("b.rs"), Some("no b.rs"));
/// ```
pub trait SourceLoader {
    /// The whole text of the file a profile names `path`, or a one-line reason it is missing.
    fn load(&mut self, path: &str) -> Result<String, String>;
}

/// Source files read once each and served by line number, with the reason a file could not be
/// read kept for the report.
pub struct SourceReader {
    loader: Box<dyn SourceLoader>,
    /// Lines of each file read, or why it could not be.
    files: HashMap<String, Result<Vec<String>, String>>,
}

impl SourceReader {
    /// A reader over `loader`.
    ///
    /// ```
    /// let reader = oxprof_report::source_files::SourceReader::new(Box::new(
    ///     oxprof_report::source_files::FileSystem::new("", ""),
    /// ));
    /// # let _ = reader;
    /// ```
    pub fn new(loader: Box<dyn SourceLoader>) -> SourceReader {
        SourceReader {
            loader,
            files: HashMap::new(),
        }
    }

    /// Line `lineno` (1-based) of `path` without its line end, `None` past either end of the
    /// file or when the file cannot be read.
    pub fn line(&mut self, path: &str, lineno: i64) -> Option<&str> {
        let lines = self.lines(path).ok()?;
        let index = usize::try_from(lineno).ok()?.checked_sub(1)?;
        lines.get(index).map(String::as_str)
    }

    /// Why `path` could not be read, once a line of it was asked for.
    pub fn error(&self, path: &str) -> Option<&str> {
        self.files.get(path)?.as_ref().err().map(String::as_str)
    }

    fn lines(&mut self, path: &str) -> Result<&Vec<String>, &String> {
        let loader = &mut self.loader;
        self.files
            .entry(path.to_string())
            .or_insert_with(|| loader.load(path).map(|text| split_lines(&text)))
            .as_ref()
    }
}

/// Lines as Go's line scanner returns them: split at `\n`, a trailing `\r` dropped, no empty
/// last line after a final line end.
fn split_lines(text: &str) -> Vec<String> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    body.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect()
}

/// Finds sources on this machine, in the order the [module documentation](self) gives.
pub struct FileSystem {
    search_path: Vec<PathBuf>,
    /// The `-source_path` text, for pprof's trimming heuristic and error messages.
    search_text: String,
    trim_path: String,
    cargo_home: Option<PathBuf>,
    rustup_home: Option<PathBuf>,
    /// Rust toolchains with `rust-src`, found the first time a standard library file is wanted.
    toolchains: Option<Vec<Toolchain>>,
}

/// An installed toolchain's standard library sources and the rustc commit they belong to.
struct Toolchain {
    /// `<sysroot>/lib/rustlib/src/rust`, which holds `library/`.
    src: PathBuf,
    /// `commit-hash` of its `rustc -vV`, when it says.
    commit: Option<String>,
}

impl FileSystem {
    /// A loader searching `search_path` (`:`-separated; the working directory when empty) after
    /// trimming `trim_path` prefixes (`:`-separated), with the cargo and rustup homes taken from
    /// `$CARGO_HOME` and `$RUSTUP_HOME` (default `~/.cargo`, `~/.rustup`).
    ///
    /// ```
    /// use oxprof_report::source_files::{FileSystem, SourceLoader};
    /// let dir = env!("CARGO_MANIFEST_DIR");
    /// let mut fs = FileSystem::new(dir, "");
    /// assert!(fs.load("src/lib.rs")?.contains("pub mod source_files;"));
    /// let err = fs.load("src/no_such_file.rs").unwrap_err();
    /// assert!(err.starts_with("could not find file src/no_such_file.rs on path"), "{err}");
    /// # Ok::<(), String>(())
    /// ```
    pub fn new(search_path: &str, trim_path: &str) -> FileSystem {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let env_dir = |name: &str, default: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(default)))
        };
        let search_text = if search_path.is_empty() {
            std::env::current_dir()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_else(|_| ".".to_string())
        } else {
            search_path.to_string()
        };
        FileSystem {
            search_path: std::env::split_paths(&search_text).collect(),
            search_text,
            trim_path: trim_path.to_string(),
            cargo_home: env_dir("CARGO_HOME", ".cargo"),
            rustup_home: env_dir("RUSTUP_HOME", ".rustup"),
            toolchains: None,
        }
    }

    fn find(&mut self, name: &str) -> Result<PathBuf, String> {
        // A file still where the profile says needs no guessing, unless prefixes are to go.
        if self.trim_path.is_empty() && Path::new(name).is_absolute() && Path::new(name).is_file() {
            return Ok(PathBuf::from(name));
        }
        let trimmed = trim_path(name, &self.trim_path, &self.search_text);
        let path = if Path::new(trimmed).is_absolute() {
            trimmed
        } else {
            for dir in &self.search_path {
                let found = dir
                    .ancestors()
                    .map(|d| d.join(trimmed))
                    .find(|p| p.is_file());
                if let Some(found) = found {
                    return Ok(found);
                }
            }
            if !Path::new(name).is_absolute() {
                return Err(format!(
                    "could not find file {trimmed} on path {} or its parents (-source_path sets where to look)",
                    self.search_text
                ));
            }
            name
        };
        if Path::new(path).is_file() {
            return Ok(PathBuf::from(path));
        }
        if let Some((commit, rest)) = rustc_path(path) {
            return self.in_rust_src(path, commit, rest);
        }
        if let Some(rest) = after(path, "/registry/src/") {
            // `<index>/<crate>-<version>/<file>`: any index will do, the crate version decides.
            let within = rest.split_once('/').map_or(rest, |(_, r)| r);
            return self.in_cargo_home(path, "registry/src", Some(within));
        }
        if let Some(rest) = after(path, "/git/checkouts/") {
            return self.in_cargo_home(path, &format!("git/checkouts/{rest}"), None);
        }
        Err(format!(
            "could not find file {path} (-trim_path=PREFIX -source_path=DIR look for it under DIR)"
        ))
    }

    /// A cargo source under `$CARGO_HOME/<sub>`, directly or, given `within`, under any of
    /// its subdirectories (the registry's index directories).
    fn in_cargo_home(
        &self,
        path: &str,
        sub: &str,
        within: Option<&str>,
    ) -> Result<PathBuf, String> {
        let Some(home) = &self.cargo_home else {
            return Err(format!(
                "could not find file {path} (no $CARGO_HOME or $HOME to look in)"
            ));
        };
        let base = home.join(sub);
        let found = match within {
            None => Some(base.clone()).filter(|p| p.is_file()),
            Some(within) => sorted_dirs(&base)
                .into_iter()
                .map(|d| d.join(within))
                .find(|p| p.is_file()),
        };
        found.ok_or_else(|| {
            format!(
                "could not find file {path}: not in the cargo sources under {} (cargo fetch in the project restores them)",
                base.display()
            )
        })
    }

    fn in_rust_src(&mut self, path: &str, commit: &str, rest: &str) -> Result<PathBuf, String> {
        let toolchains = self.toolchains();
        let matching = toolchains
            .iter()
            .filter(|t| t.commit.as_deref() == Some(commit))
            .map(|t| t.src.join(rest))
            .find(|p| p.is_file());
        if let Some(found) = matching {
            return Ok(found);
        }
        let short = &commit[..commit.len().min(9)];
        let others: Vec<String> = toolchains
            .iter()
            .filter_map(|t| t.commit.as_deref())
            .filter(|c| *c != commit)
            .map(|c| c[..c.len().min(9)].to_string())
            .collect();
        let installed = if others.is_empty() {
            "rust-src is not installed (rustup component add rust-src)".to_string()
        } else {
            format!(
                "rust-src is installed only for rustc {}; the binary was built by rustc {short}",
                others.join(", ")
            )
        };
        Err(format!(
            "could not find file {path}: the Rust standard library's source comes with the rust-src component of the toolchain that built the binary, and {installed}"
        ))
    }

    fn toolchains(&mut self) -> &[Toolchain] {
        let rustup_home = self.rustup_home.clone();
        self.toolchains.get_or_insert_with(|| {
            let mut sysroots: Vec<PathBuf> = rustup_home
                .map(|home| sorted_dirs(&home.join("toolchains")))
                .unwrap_or_default();
            if let Some(default) = run(Path::new("rustc"), &["--print", "sysroot"]) {
                sysroots.push(PathBuf::from(default.trim()));
            }
            let mut seen = Vec::new();
            sysroots
                .into_iter()
                .filter(|s| {
                    let key = s.canonicalize().unwrap_or_else(|_| s.clone());
                    let new = !seen.contains(&key);
                    seen.push(key);
                    new
                })
                .filter_map(|sysroot| {
                    let src = sysroot.join("lib/rustlib/src/rust");
                    src.join("library").is_dir().then(|| Toolchain {
                        commit: run(&sysroot.join("bin/rustc"), &["-vV"]).and_then(|v| {
                            v.lines()
                                .find_map(|l| l.strip_prefix("commit-hash: "))
                                .map(|h| h.trim().to_string())
                        }),
                        src,
                    })
                })
                .collect()
        })
    }
}

impl SourceLoader for FileSystem {
    fn load(&mut self, name: &str) -> Result<String, String> {
        let path = self.find(name)?;
        let bytes = std::fs::read(&path).map_err(|e| format!("open {}: {e}", path.display()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// `/rustc/<commit>/<rest>` split into the commit and `rest`.
fn rustc_path(path: &str) -> Option<(&str, &str)> {
    let (commit, rest) = path.strip_prefix("/rustc/")?.split_once('/')?;
    let hex = commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then_some((commit, rest))
}

/// What follows the last `marker` in `path`.
fn after<'a>(path: &'a str, marker: &str) -> Option<&'a str> {
    path.rfind(marker).map(|at| &path[at + marker.len()..])
}

/// The directories directly inside `dir`, sorted so the choice among them is stable.
fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Standard output of `program args`, when it runs and succeeds.
fn run(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_as_go_scans_them() {
        assert_eq!(split_lines("a\r\nb\n"), ["a", "b"]);
        assert_eq!(split_lines("a\n\nb"), ["a", "", "b"]);
        assert!(split_lines("").is_empty());
        assert_eq!(split_lines("\n"), [""]);
    }

    #[test]
    fn rustc_paths() {
        assert_eq!(
            rustc_path("/rustc/59807616e1/library/core/src/lib.rs"),
            Some(("59807616e1", "library/core/src/lib.rs"))
        );
        assert_eq!(rustc_path("/rustc/xyz/library/a.rs"), None);
        assert_eq!(rustc_path("/usr/src/a.rs"), None);
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "oxprof-report-sources-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn relative_paths_are_searched_in_parents_and_trimmed() {
        let dir = scratch("relative");
        write(&dir.join("proj/src/main.rs"), "fn main() {}\n");
        let deep = dir.join("proj/src/a/b");
        std::fs::create_dir_all(&deep).unwrap();
        let mut fs = FileSystem::new(deep.to_str().unwrap(), "");
        assert_eq!(fs.load("src/main.rs").unwrap(), "fn main() {}\n");
        // A build elsewhere: pprof's heuristic cuts up to the search directory's base name.
        let mut fs = FileSystem::new(dir.join("proj").to_str().unwrap(), "");
        assert!(fs.load("/ci/build/proj/src/main.rs").is_ok());
        let mut fs = FileSystem::new(dir.to_str().unwrap(), "/ci/build");
        assert!(fs.load("/ci/build/proj/src/main.rs").is_ok());
        let err = fs.load("/ci/other/main.rs").unwrap_err();
        assert!(err.contains("-trim_path"), "{err}");
    }

    #[test]
    fn cargo_sources_are_found_under_any_index() {
        let dir = scratch("cargo");
        let home = dir.join("cargo");
        write(
            &home.join("registry/src/index.example-1234/serde-1.0.0/src/lib.rs"),
            "// serde\n",
        );
        write(
            &home.join("git/checkouts/repo-99/abc1234/src/lib.rs"),
            "// git\n",
        );
        let mut fs = FileSystem::new(dir.to_str().unwrap(), "");
        fs.cargo_home = Some(home.clone());
        let registry =
            "/home/ci/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.0/src/lib.rs";
        assert_eq!(fs.load(registry).unwrap(), "// serde\n");
        let git = "/home/ci/.cargo/git/checkouts/repo-99/abc1234/src/lib.rs";
        assert_eq!(fs.load(git).unwrap(), "// git\n");
        let err = fs
            .load("/home/ci/.cargo/registry/src/i/serde-9.9.9/src/lib.rs")
            .unwrap_err();
        assert!(
            err.contains(&home.join("registry/src").display().to_string())
                && err.contains("cargo fetch"),
            "{err}"
        );
    }

    #[test]
    fn standard_library_sources_need_the_toolchain_that_built_the_binary() {
        let dir = scratch("rustsrc");
        let src = |commit: &str| Toolchain {
            src: dir.join(commit),
            commit: Some(commit.to_string()),
        };
        write(
            &dir.join("aaaaaaaaaa/library/core/src/lib.rs"),
            "// core a\n",
        );
        write(
            &dir.join("bbbbbbbbbb/library/core/src/lib.rs"),
            "// core b\n",
        );
        let mut fs = FileSystem::new(dir.to_str().unwrap(), "");
        fs.toolchains = Some(vec![src("aaaaaaaaaa"), src("bbbbbbbbbb")]);
        let path = |commit: &str| format!("/rustc/{commit}/library/core/src/lib.rs");
        assert_eq!(fs.load(&path("bbbbbbbbbb")).unwrap(), "// core b\n");
        let err = fs.load(&path("cccccccccc")).unwrap_err();
        assert!(
            err.contains("only for rustc aaaaaaaaa, bbbbbbbbb") && err.contains("rustc ccccccccc"),
            "{err}"
        );
        fs.toolchains = Some(Vec::new());
        let err = fs.load(&path("cccccccccc")).unwrap_err();
        assert!(err.contains("rustup component add rust-src"), "{err}");
    }
}
