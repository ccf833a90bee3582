//! Whether a program can be profiled by preloading: found as `execvp` finds it, and, when it
//! is an ELF executable, dynamically linked (only then does the dynamic loader, which honours
//! `LD_PRELOAD`, run), of this machine's word size, and not set-user-ID (the loader ignores
//! `LD_PRELOAD` for those). Scripts (`#!`) are run by their interpreter, which is checked by
//! the loader itself.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The program's path: as given when it has a `/`, else the first executable of that name in
/// `$PATH`.
pub(crate) fn find(name: &str) -> Result<PathBuf> {
    if name.contains('/') {
        let path = PathBuf::from(name);
        if !path.is_file() {
            bail!("{name}: no such program");
        }
        return Ok(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
        .with_context(|| format!("{name}: no such program in $PATH"))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Fails, saying why, when the loader would not preload a library into `path`.
pub(crate) fn check_preloadable(path: &Path) -> Result<()> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).with_context(|| format!("{shown}"))?;
    if metadata.permissions().mode() & 0o6000 != 0 {
        bail!(
            "{shown} is set-user-ID or set-group-ID: the dynamic loader ignores LD_PRELOAD for \
             it, so oxprof cannot be injected"
        );
    }
    let mut header = [0u8; 64];
    let bytes = read_prefix(path, &mut header).with_context(|| format!("{shown}"))?;
    let header = &header[..bytes];
    if header.starts_with(b"#!") || !header.starts_with(b"\x7fELF") {
        // Scripts, and whatever else the kernel may run: their interpreter is checked by the
        // loader when it starts.
        return Ok(());
    }
    if header.len() < 64 || header[4] != 2 {
        bail!(
            "{shown} is a 32-bit program and liboxprof_preload.so is 64-bit: the loader would \
             not load it"
        );
    }
    let data = std::fs::read(path).with_context(|| format!("{shown}"))?;
    if !has_interpreter(&data).with_context(|| format!("{shown} is a malformed ELF file"))? {
        bail!(
            "{shown} is statically linked: no dynamic loader runs in it to honour LD_PRELOAD, \
             so oxprof cannot be injected (link it dynamically, or profile it from inside with \
             the oxprof crate)"
        );
    }
    Ok(())
}

fn read_prefix(path: &Path, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Whether a 64-bit ELF file has a `PT_INTERP` program header: a dynamic loader to run it.
fn has_interpreter(elf: &[u8]) -> Result<bool> {
    const PT_INTERP: u32 = 3;
    let little = match elf.get(5) {
        Some(1) => true,
        Some(2) => false,
        _ => bail!("unknown byte order"),
    };
    let field = |offset: usize, len: usize| -> Result<u64> {
        let bytes = elf
            .get(offset..offset + len)
            .context("header past the end of the file")?;
        let mut value = 0u64;
        for (i, &b) in bytes.iter().enumerate() {
            let shift = if little { i } else { len - 1 - i } * 8;
            value |= u64::from(b) << shift;
        }
        Ok(value)
    };
    let table = usize::try_from(field(0x20, 8)?)?;
    let entry_size = usize::try_from(field(0x36, 2)?)?;
    let entries = usize::try_from(field(0x38, 2)?)?;
    for i in 0..entries {
        if field(table + i * entry_size, 4)? == u64::from(PT_INTERP) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_is_dynamically_linked() {
        let me = std::env::current_exe().unwrap();
        check_preloadable(&me).unwrap();
        assert!(has_interpreter(&std::fs::read(&me).unwrap()).unwrap());
    }

    #[test]
    fn an_elf_without_an_interpreter_is_static() {
        // A 64-bit little-endian header with one program header of type PT_LOAD (1).
        let mut elf = vec![0u8; 64 + 56];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[0x20] = 64;
        elf[0x36] = 56;
        elf[0x38] = 1;
        elf[64] = 1;
        assert!(!has_interpreter(&elf).unwrap());
        elf[64] = 3;
        assert!(has_interpreter(&elf).unwrap());
        elf.truncate(66);
        assert!(has_interpreter(&elf).is_err());
    }

    #[test]
    fn programs_are_found_in_path_or_refused() {
        assert!(find("sh").unwrap().is_absolute());
        let err = find("no-such-program-oxprof").unwrap_err().to_string();
        assert_eq!(err, "no-such-program-oxprof: no such program in $PATH");
        let err = find("./no/such/program").unwrap_err().to_string();
        assert_eq!(err, "./no/such/program: no such program");
    }
}
