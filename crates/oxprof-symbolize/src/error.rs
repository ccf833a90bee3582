//! The one error type of this crate: what stopped symbolization, with the offending value named.
//!
//! Only problems with what the caller asked for explicitly are errors (an unreadable or wrong
//! binary given with [`Symbolizer::with_binary`](crate::Symbolizer::with_binary)). Problems with
//! objects found on the caller's behalf become warnings in the [`Report`](crate::Report).

use std::fmt;
use std::path::{Path, PathBuf};

/// An error that stopped [`Symbolizer::symbolize`](crate::Symbolizer::symbolize).
///
/// ```
/// let err = oxprof_symbolize::Symbolizer::new()
///     .with_binary("/nonexistent/app")
///     .symbolize(&mut oxprof_profile::Profile::default())
///     .unwrap_err();
/// assert!(err.to_string().contains("/nonexistent/app"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

/// The kinds of [`Error`].
///
/// ```
/// use oxprof_symbolize::ErrorKind;
/// let kind = ErrorKind::Unreadable { path: "/bin/app".into(), reason: "not found".into() };
/// assert!(matches!(kind, ErrorKind::Unreadable { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A given binary could not be read.
    Unreadable {
        /// The binary's path.
        path: PathBuf,
        /// Why reading failed.
        reason: String,
    },
    /// A given binary is not an ELF object this crate can parse.
    NotAnObject {
        /// The binary's path.
        path: PathBuf,
        /// What the parser objected to.
        reason: String,
    },
    /// A given binary's build id differs from the build id recorded in the profile's mapping:
    /// symbolizing with it would attach wrong names to the addresses.
    BuildIdMismatch {
        /// The binary's path.
        path: PathBuf,
        /// The build id of the binary (hex; empty when it has none).
        binary_build_id: String,
        /// The mapping's file name in the profile.
        mapping: String,
        /// The build id the profile records for the mapping (hex).
        mapping_build_id: String,
    },
    /// No object file for a mapping was found where [`Symbolizer::open_binary`] looked.
    ///
    /// [`Symbolizer::open_binary`]: crate::Symbolizer::open_binary
    NotFound {
        /// The mapping's file name and build id, as the profile records them.
        mapping: String,
        /// Files passed over on the way, each with why (another build id, unreadable).
        passed_over: Vec<String>,
    },
    /// The object holds what this crate cannot read: code for an architecture it does not
    /// disassemble, or no code at an address (a debug-only file).
    Unsupported {
        /// The object's path.
        path: PathBuf,
        /// What is not supported.
        what: String,
    },
}

impl Error {
    /// Builds an error of the given kind.
    ///
    /// ```
    /// use oxprof_symbolize::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::NotAnObject { path: "/a".into(), reason: "bad magic".into() });
    /// assert_eq!(e.to_string(), "/a: not an elf object: bad magic");
    /// ```
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind }
    }

    /// What kind of error this is.
    ///
    /// ```
    /// use oxprof_symbolize::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::Unreadable { path: "/a".into(), reason: "denied".into() });
    /// assert!(matches!(e.kind(), ErrorKind::Unreadable { .. }));
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub(crate) fn unreadable(path: &Path, reason: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Unreadable {
            path: path.to_owned(),
            reason: reason.to_string(),
        })
    }

    pub(crate) fn not_an_object(path: &Path, reason: impl fmt::Display) -> Self {
        Error::new(ErrorKind::NotAnObject {
            path: path.to_owned(),
            reason: reason.to_string(),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Unreadable { path, reason } => {
                write!(f, "cannot read {}: {reason}", path.display())
            }
            ErrorKind::NotAnObject { path, reason } => {
                write!(f, "{}: not an elf object: {reason}", path.display())
            }
            ErrorKind::BuildIdMismatch {
                path,
                binary_build_id,
                mapping,
                mapping_build_id,
            } => {
                let binary_build_id = if binary_build_id.is_empty() {
                    "none"
                } else {
                    binary_build_id
                };
                write!(
                    f,
                    "build id mismatch: {} has build id {binary_build_id}, \
                     the profile's mapping {mapping} has build id {mapping_build_id}",
                    path.display()
                )
            }
            ErrorKind::NotFound {
                mapping,
                passed_over,
            } => {
                write!(f, "no object file found for mapping {mapping}")?;
                match passed_over.as_slice() {
                    [] => write!(
                        f,
                        " (give the binary before the profile, or a directory holding it in $OXPROF_BINARY_PATH)"
                    ),
                    reasons => write!(f, ": {}", reasons.join("; ")),
                }
            }
            ErrorKind::Unsupported { path, what } => write!(f, "{}: {what}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
///
/// ```
/// let r: oxprof_symbolize::Result<u32> = Ok(1);
/// assert!(r.is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
