//! The library's version, readable from the file without loading it: `oxprof record` checks
//! that a library it is told to use (`OXPROF_PRELOAD`) was built from the same engine
//! version as itself before injecting it.

use oxprof::session::VERSION;

/// What precedes the version in the file; the version ends at a NUL byte.
const PREFIX: &[u8] = b"oxprof-preload-version=";
const LEN: usize = PREFIX.len() + VERSION.len() + 1;

/// The marker, kept in the file even though no code reads it.
#[used]
static MARKER: [u8; LEN] = marker();

const fn marker() -> [u8; LEN] {
    let mut bytes = [0u8; LEN];
    let version = VERSION.as_bytes();
    let mut i = 0;
    while i < PREFIX.len() {
        bytes[i] = PREFIX[i];
        i += 1;
    }
    let mut j = 0;
    while j < version.len() {
        bytes[i + j] = version[j];
        j += 1;
    }
    bytes
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_marker_names_the_engine_version() {
        let text = std::str::from_utf8(&super::MARKER[..super::LEN - 1]).unwrap();
        assert_eq!(
            text,
            format!("oxprof-preload-version={}", oxprof::session::VERSION)
        );
        assert_eq!(super::MARKER[super::LEN - 1], 0);
    }
}
