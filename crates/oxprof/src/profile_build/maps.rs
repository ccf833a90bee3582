//! The executable entries of `/proc/self/maps`, chosen as Go's `parseProcSelfMaps` chooses them.

/// One executable region of the address space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MapsEntry {
    pub(super) start: u64,
    pub(super) limit: u64,
    pub(super) file_offset: u64,
    /// The path without the kernel's ` (deleted)` marker, or a pseudo name such as `[vdso]`.
    pub(super) path: String,
}

const DELETED: &str = " (deleted)";

/// The executable entries of a `/proc/<pid>/maps` text. Lines that do not parse are skipped.
///
/// As Go does: only entries with the `x` permission; the ` (deleted)` suffix of replaced or
/// removed files is trimmed; anonymous executable memory (inode 0 and no name, such as the
/// unpopulated head of huge-page text or JIT buffers) is left out, while named pseudo files
/// such as `[vdso]` stay.
pub(super) fn executable_entries(text: &str) -> Vec<MapsEntry> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<MapsEntry> {
    let (range, rest) = next_field(line)?;
    let (perms, rest) = next_field(rest)?;
    let (offset, rest) = next_field(rest)?;
    let (_device, rest) = next_field(rest)?;
    let (inode, rest) = next_field(rest).unwrap_or((rest, ""));
    if perms.as_bytes().get(2) != Some(&b'x') {
        return None;
    }
    // The path is the rest of the line and may itself contain spaces.
    let path = rest.trim_start();
    let path = path.strip_suffix(DELETED).unwrap_or(path);
    if inode == "0" && path.is_empty() {
        return None;
    }
    let (start, limit) = range.split_once('-')?;
    Some(MapsEntry {
        start: u64::from_str_radix(start, 16).ok()?,
        limit: u64::from_str_radix(limit, 16).ok()?,
        file_offset: u64::from_str_radix(offset, 16).ok()?,
        path: path.to_owned(),
    })
}

/// The first space-separated field of `s` and what follows it.
fn next_field(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(' ');
    if s.is_empty() {
        return None;
    }
    Some(s.split_once(' ').unwrap_or((s, "")))
}

/// A path as the kernel shows it in `/proc/self/exe` or `/proc/self/maps`, without the
/// ` (deleted)` marker, so the two can be compared.
pub(super) fn without_deleted_marker(path: &str) -> &str {
    path.strip_suffix(DELETED).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
5581c0a00000-5581c0a05000 r--p 00000000 fd:01 1234                       /usr/bin/app
5581c0a05000-5581c0a90000 r-xp 00005000 fd:01 1234                       /usr/bin/app
5581c0a90000-5581c0aa0000 r--p 00090000 fd:01 1234                       /usr/bin/app
5581c2000000-5581c2021000 rw-p 00000000 00:00 0                          [heap]
7f0000000000-7f0000001000 rwxp 00000000 00:00 0 
7f1a2b428000-7f1a2b5bd000 r-xp 00028000 fd:01 5678                       /usr/lib/x86_64-linux-gnu/libc.so.6
7f1a2b600000-7f1a2b610000 r-xp 00001000 fd:01 999                        /tmp/plug in.so (deleted)
7ffd3c5f4000-7ffd3c5f6000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
garbage line
";

    #[test]
    fn keeps_executable_file_and_pseudo_file_entries() {
        let entries = executable_entries(MAPS);
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/usr/bin/app",
                "/usr/lib/x86_64-linux-gnu/libc.so.6",
                "/tmp/plug in.so",
                "[vdso]",
                "[vsyscall]",
            ]
        );
        assert_eq!(
            entries[0],
            MapsEntry {
                start: 0x5581_c0a0_5000,
                limit: 0x5581_c0a9_0000,
                file_offset: 0x5000,
                path: "/usr/bin/app".into(),
            }
        );
        assert_eq!(entries[1].file_offset, 0x28000);
    }

    #[test]
    fn reads_this_process() {
        let text = std::fs::read_to_string("/proc/self/maps").unwrap();
        let entries = executable_entries(&text);
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let exe = without_deleted_marker(exe.to_str().unwrap());
        assert!(entries.iter().any(|e| e.path == exe), "{entries:#?}");
        assert!(entries.iter().all(|e| e.start < e.limit));
    }

    #[test]
    fn deleted_marker_is_trimmed_for_comparison() {
        assert_eq!(without_deleted_marker("/a/b (deleted)"), "/a/b");
        assert_eq!(without_deleted_marker("/a/b"), "/a/b");
    }
}
