//! The one error type of this crate: what went wrong, with the offending value named.

use std::fmt;

/// An error from decoding, validating or operating on a profile.
///
/// Messages are lowercase one-liners that name the problem and the value at fault.
///
/// ```
/// let err = oxprof_profile::Profile::decode(b"\x0a\xff").unwrap_err();
/// assert!(!err.to_string().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

/// The kinds of [`Error`].
///
/// ```
/// use oxprof_profile::ErrorKind;
/// let kind = ErrorKind::Incompatible("sample types differ".into());
/// assert!(matches!(kind, ErrorKind::Incompatible(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not a well-formed protobuf encoding of a profile.
    Malformed {
        /// Byte offset (in the uncompressed data) where decoding failed.
        offset: usize,
        /// What was wrong there.
        reason: String,
    },
    /// The gzip stream is corrupt or truncated.
    Gzip(String),
    /// The profile decoded but breaks a rule of profile.proto.
    Invalid(String),
    /// Profiles cannot be combined (different sample types, period types...).
    Incompatible(String),
    /// An option given to an operation is wrong (bad regex, bad range, unknown sample type...).
    BadOption(String),
    /// The data is in no format this crate reads.
    UnrecognizedFormat(String),
    /// The input would expand beyond the memory this crate allows for it (a gzip bomb, a
    /// string table referenced far more often than its size justifies).
    TooLarge(String),
}

impl Error {
    /// Builds an error of the given kind.
    ///
    /// ```
    /// let e = oxprof_profile::Error::new(oxprof_profile::ErrorKind::Invalid("x".into()));
    /// assert_eq!(e.to_string(), "invalid profile: x");
    /// ```
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind }
    }

    /// What kind of error this is.
    ///
    /// ```
    /// let e = oxprof_profile::Error::new(oxprof_profile::ErrorKind::BadOption("x".into()));
    /// assert!(matches!(e.kind(), oxprof_profile::ErrorKind::BadOption(_)));
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Invalid(msg.into()))
    }

    pub(crate) fn bad_option(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::BadOption(msg.into()))
    }

    pub(crate) fn incompatible(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Incompatible(msg.into()))
    }

    pub(crate) fn malformed(offset: usize, reason: impl Into<String>) -> Self {
        Error::new(ErrorKind::Malformed {
            offset,
            reason: reason.into(),
        })
    }

    pub(crate) fn too_large(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::TooLarge(msg.into()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Malformed { offset, reason } => {
                write!(f, "malformed profile: {reason} at offset {offset}")
            }
            ErrorKind::Gzip(msg) => write!(f, "corrupt gzip data: {msg}"),
            ErrorKind::Invalid(msg) => write!(f, "invalid profile: {msg}"),
            ErrorKind::Incompatible(msg) => write!(f, "incompatible profiles: {msg}"),
            ErrorKind::BadOption(msg) => f.write_str(msg),
            ErrorKind::UnrecognizedFormat(msg) => write!(f, "unrecognized profile format: {msg}"),
            ErrorKind::TooLarge(msg) => write!(f, "profile too large: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
