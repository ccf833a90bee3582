//! The `comments` report: the profile's free-form comments, one per line.

use std::io::{self, Write};

use oxprof_profile::Profile;

/// Writes every comment of `profile` on a line of its own, as `go tool pprof -comments` does.
///
/// ```
/// let p = oxprof_profile::Profile {
///     comments: vec!["build 42".into(), "host a".into()],
///     ..Default::default()
/// };
/// let mut out = Vec::new();
/// oxprof_report::comments::write_comments(&mut out, &p)?;
/// assert_eq!(out, b"build 42\nhost a\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_comments(w: &mut dyn Write, profile: &Profile) -> io::Result<()> {
    for comment in &profile.comments {
        writeln!(w, "{comment}")?;
    }
    Ok(())
}
