//! The machine, named as Go's benchmark header names it.

/// Go's `GOOS` for this target.
pub(crate) fn goos() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        os => os,
    }
}

/// Go's `GOARCH` for this target.
pub(crate) fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        arch => arch,
    }
}

/// The CPU's model name from `/proc/cpuinfo`, as Go's `sysinfo.CPUName` reads it: on x86 the
/// brand string alone, elsewhere with ` @ <MHz>MHz` appended when the name carries no
/// frequency. `None` when unknown (Go then leaves the `cpu:` line out).
pub(crate) fn cpu_name() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpu_name_from(
        &info,
        cfg!(any(target_arch = "x86_64", target_arch = "x86")),
    )
}

fn cpu_name_from(info: &str, x86: bool) -> Option<String> {
    // The first processor's entry.
    let first = info.split("\n\n").next()?;
    let field = |key: &str| {
        first.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(key)
                .then(|| v.trim().to_string())
        })
    };
    let name = field("model name").filter(|n| !n.is_empty())?;
    if x86 || name.contains("GHz") || name.contains("MHz") {
        return Some(name);
    }
    match field("cpu MHz") {
        Some(mhz) => Some(format!("{name} @ {mhz}MHz")),
        None => Some(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_name_as_go_reads_it() {
        let info = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\ncpu MHz\t\t: 2300.000\n\nprocessor\t: 1\nmodel name\t: other\n";
        assert_eq!(
            cpu_name_from(info, true).as_deref(),
            Some("Intel(R) Xeon(R) Processor")
        );
        assert_eq!(
            cpu_name_from(info, false).as_deref(),
            Some("Intel(R) Xeon(R) Processor @ 2300.000MHz")
        );
        assert_eq!(cpu_name_from("processor\t: 0\n", true), None);
    }
}
