//! Why a custom profile could not be created or an entry added.

use std::fmt;

/// Why [`Profile::new`](super::Profile::new) or [`Profile::add`](super::Profile::add) failed.
///
/// ```
/// let err = oxprof::custom::Profile::new("").unwrap_err();
/// assert_eq!(err.to_string(), "custom profile name \"\" must be non-empty, without spaces or control characters");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The name is empty or has whitespace or control characters, which Go's text format and
    /// URLs cannot carry.
    InvalidName(String),
    /// A profile of this name exists already, built in (`heap`, `goroutine`, ...) or created
    /// earlier. Go's text: `profile name already in use: <name>`.
    NameInUse(String),
    /// The key is in the profile already: each key stands for one live thing.
    DuplicateKey {
        /// The profile's name.
        profile: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidName(name) => write!(
                f,
                "custom profile name {name:?} must be non-empty, without spaces or control \
                 characters"
            ),
            Error::NameInUse(name) => write!(f, "profile name already in use: {name}"),
            Error::DuplicateKey { profile } => {
                write!(f, "duplicate key added to profile {profile}")
            }
        }
    }
}

impl std::error::Error for Error {}
