//! The profile flags `oxprof record` and `cargo oxprof` share, spelled as `go test` spells
//! them: `-cpuprofile cpu.out`, `-cpuprofile=cpu.out`, `--cpuprofile cpu.out`.

use anyhow::{anyhow, bail, Result};
use oxprof::session::Settings;

/// The flags, their value's meaning (none for a switch) and their help.
pub(crate) const PROFILE_FLAGS: &[(&str, Option<&str>, &str)] = &[
    ("cpuprofile", Some("file"), "Write a CPU profile to file"),
    (
        "memprofile",
        Some("file"),
        "Write a heap profile to file: every allocation by where it was made (Go's allocs profile)",
    ),
    (
        "blockprofile",
        Some("file"),
        "Write a block profile to file: waits for pthread mutexes (C, C++) by where they waited",
    ),
    (
        "trace",
        Some("file"),
        "Write an execution trace to file (one per process; open it with oxprof trace file)",
    ),
    (
        "wall",
        None,
        "Sample wall-clock time instead of CPU time in the CPU profile",
    ),
    (
        "rate",
        Some("hz"),
        "CPU samples per second of each thread, 1 to 5000 (default 100)",
    ),
    (
        "memprofilerate",
        Some("n"),
        "Sample one allocation per n bytes allocated, on average (default 524288)",
    ),
];

/// One flag as given: its name without dashes and its inline value (`-name=value`).
pub(crate) fn split_flag(arg: &str) -> Option<(&str, Option<&str>)> {
    let body = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    if body.is_empty() || arg == "-" {
        return None;
    }
    Some(match body.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (body, None),
    })
}

/// Reads the profile flag at `args[i]` into `settings`; returns how many arguments it took
/// (0 when `args[i]` is not one of them).
pub(crate) fn take_profile_flag(
    args: &[String],
    i: usize,
    settings: &mut Settings,
) -> Result<usize> {
    let Some((name, inline)) = split_flag(&args[i]) else {
        return Ok(0);
    };
    let Some(&(_, takes_value, _)) = PROFILE_FLAGS.iter().find(|(n, _, _)| *n == name) else {
        return Ok(0);
    };
    if takes_value.is_none() {
        settings.wall = match inline {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => bail!("invalid value {other:?} for flag -{name}"),
        };
        return Ok(1);
    }
    let (value, taken) = match inline {
        Some(value) => (value, 1),
        None => (
            args.get(i + 1)
                .map(String::as_str)
                .ok_or_else(|| anyhow!("flag needs an argument: -{name}"))?,
            2,
        ),
    };
    if value.is_empty() {
        bail!("flag needs an argument: -{name}");
    }
    let number = |what: &str, valid: &dyn Fn(u64) -> bool| {
        value
            .parse::<u64>()
            .ok()
            .filter(|n| valid(*n))
            .ok_or_else(|| anyhow!("invalid value {value:?} for flag -{name}: {what}"))
    };
    match name {
        "cpuprofile" => settings.cpu_profile = Some(value.into()),
        "memprofile" => settings.mem_profile = Some(value.into()),
        "blockprofile" => settings.block_profile = Some(value.into()),
        "trace" => settings.trace = Some(value.into()),
        "rate" => {
            settings.cpu_rate = number("want samples per second from 1 to 5000", &|n| {
                (1..=5000).contains(&n)
            })? as u32
        }
        _ => {
            settings.mem_profile_rate =
                Some(number("want a number of bytes from 1 up", &|n| n >= 1)? as usize)
        }
    }
    Ok(taken)
}

/// The flags' lines for a usage text.
pub(crate) fn help() -> String {
    PROFILE_FLAGS
        .iter()
        .map(|(name, value, help)| {
            let flag = match value {
                Some(value) => format!("-{name} {value}"),
                None => format!("-{name}"),
            };
            format!("    {flag:<20} {help}\n")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<(Settings, Vec<usize>)> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut settings = Settings::default();
        let mut taken = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let n = take_profile_flag(&args, i, &mut settings)?;
            taken.push(n);
            i += n.max(1);
        }
        Ok((settings, taken))
    }

    #[test]
    fn every_spelling_of_the_flags() {
        let (s, taken) = parse(&[
            "-cpuprofile",
            "cpu.out",
            "--memprofile=mem.out",
            "-blockprofile=b.out",
            "--trace",
            "t.out",
            "--wall",
            "-rate",
            "250",
            "-memprofilerate=4096",
            "--release",
        ])
        .unwrap();
        assert_eq!(s.cpu_profile.as_deref(), Some("cpu.out".as_ref()));
        assert_eq!(s.mem_profile.as_deref(), Some("mem.out".as_ref()));
        assert_eq!(s.block_profile.as_deref(), Some("b.out".as_ref()));
        assert_eq!(s.trace.as_deref(), Some("t.out".as_ref()));
        assert!(s.wall);
        assert_eq!(s.cpu_rate, 250);
        assert_eq!(s.mem_profile_rate, Some(4096));
        assert_eq!(taken, [2, 1, 1, 2, 1, 2, 1, 0], "others are left alone");
    }

    #[test]
    fn bad_values_are_one_line_errors() {
        for (args, message) in [
            (&["-cpuprofile"][..], "flag needs an argument: -cpuprofile"),
            (
                &["-rate", "0"],
                "invalid value \"0\" for flag -rate: want samples per second from 1 to 5000",
            ),
            (&["-rate=fast"], "invalid value \"fast\" for flag -rate"),
            (
                &["-memprofilerate", "-1"],
                "invalid value \"-1\" for flag -memprofilerate",
            ),
            (&["-wall=maybe"], "invalid value \"maybe\" for flag -wall"),
            (&["-memprofile="], "flag needs an argument: -memprofile"),
        ] {
            let err = parse(args).unwrap_err().to_string();
            assert!(err.starts_with(message), "{args:?}: {err}");
        }
    }
}
