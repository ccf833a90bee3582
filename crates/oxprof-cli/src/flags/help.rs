//! Help texts, laid out as pprof lays out its usage (`commands.go: usage`), generated from the
//! flag table: `-h` lists flags with a dash, the shell's `help` lists the same names bare.

use super::table::{Flag, Role, FLAGS};

/// One `    name             description` line.
fn entry(prefix: &str, name: &str, help: &str) -> String {
    format!("    {:<16} {help}", format!("{prefix}{name}"))
}

fn sorted_entries(prefix: &str, keep: impl Fn(&Flag) -> bool) -> Vec<String> {
    let mut flags: Vec<&Flag> = FLAGS.iter().filter(|f| keep(f)).collect();
    flags.sort_by_key(|f| f.name);
    flags
        .iter()
        .map(|f| entry(prefix, f.name, f.help))
        .collect()
}

/// Commands, options and option groups: the part `-h` and the shell share.
fn usage(command_line: bool) -> String {
    let prefix = if command_line { "-" } else { "" };
    let mut commands = sorted_entries(prefix, |f| matches!(f.role, Role::Command { .. }));
    let mut out = if command_line {
        "  Output formats (select at most one):\n".to_string()
    } else {
        commands.push(entry(
            "",
            "o/options",
            "List options and their current values",
        ));
        commands.push(entry("", "quit/exit/^D", "Exit oxprof"));
        "  Commands:\n".to_string()
    };
    out += &commands.join("\n");
    out += "\n\n  Options:\n";
    out += &sorted_entries(prefix, |f| matches!(f.role, Role::Option(_))).join("\n");
    out += "\n\n  Option groups (only set one per group):\n";
    let mut groups: Vec<&Flag> = FLAGS
        .iter()
        .filter(|f| matches!(f.role, Role::Group(_)))
        .collect();
    groups.sort_by_key(|f| f.name);
    let groups: Vec<String> = groups
        .iter()
        .map(|g| {
            let members = sorted_entries(
                prefix,
                |f| matches!(f.role, Role::Choice { group } if group == g.name),
            );
            let members: Vec<String> = members.iter().map(|m| format!("  {m}")).collect();
            format!(
                "{}\n{}",
                entry("", g.name, "").trim_end(),
                members.join("\n")
            )
        })
        .collect();
    out + &groups.join("\n")
}

/// What `oxprof -h` prints.
pub(crate) fn command_line() -> String {
    let sources = sorted_entries("-", |f| matches!(f.role, Role::Source(_)));
    let aliases = sorted_entries("-", |f| matches!(f.role, Role::SampleAlias { .. }));
    format!(
        "usage:

Produce output in the specified format.

   oxprof <format> [options] [binary] <source> ...

Omit the format to get an interactive shell whose commands can be used
to generate various views of a profile

   oxprof [options] [binary] <source> ...

Compare benchmark results, or see a profiling session from start to end:

   oxprof benchstat [flags] <results> ...
   oxprof demo [flags]

Convert or print an execution trace (oxprof::trace):

   oxprof trace [flags] <trace file>

Flags are written -name, -name=value or -name value; --name works too.

Details:
{}

  Source options:
{}
    profile.pb.gz    Profile in compressed protobuf format
    legacy_profile   Profile in legacy pprof format
    http://host/profile
                     URL for profile handler to retrieve
    binary           Local path or build id of binary for symbolization

  Sample value shortcuts:
{}

  Environment Variables:
   OXPROF_TMPDIR       Location for saved profiles (default $HOME/oxprof)
",
        usage(true),
        sources.join("\n"),
        aliases.join("\n"),
    )
}

/// What the shell's bare `help` prints.
pub(crate) fn shell() -> String {
    usage(false)
        + "\n  :   Clear focus/ignore/hide/tagfocus/tagignore\n\n  type \"help <cmd|option>\" for more information\n"
}

/// What the shell's `help <name>` prints, if `name` is a command or option.
pub(crate) fn shell_topic(name: &str) -> Option<String> {
    let flag = super::table::lookup(name)?;
    let usage = match flag.role {
        Role::Command { param: true } if name == "flame" => "flame file.svg [focus_regex]* [-ignore_regex]*\nWrite the flame graph to file.svg (- for standard output).\nInclude samples matching focus_regex, and exclude ignore_regex.".into(),
        Role::Command { param: true } if name != "peek" => {
            let mut usage = format!("{name}<func_regex|address> [-focus_regex]* [-ignore_regex]*");
            if name == "disasm" {
                usage += " >f";
            }
            usage += "\nInclude functions matching func_regex, or including the address specified.\nInclude samples matching focus_regex, and exclude ignore_regex.";
            if name == "disasm" {
                usage += "\nOptionally save the report on the file f";
            }
            usage
        }
        Role::Command { param: true } => format!("{name} func_regex\nDisplay callers and callees of functions matching func_regex."),
        Role::Command { .. } if matches!(name, "top" | "text" | "tree") => format!(
            "{name} [n] [focus_regex]* [-ignore_regex]* [-cum] >f\nInclude up to n samples\nInclude samples matching focus_regex, and exclude ignore_regex.\n-cum sorts the output by cumulative weight\nOptionally save the report on the file f"
        ),
        Role::Command { .. } if name == "tags" => "tags [tag_regex]* [-ignore_regex]* [>file]\nList tags with key:value matching tag_regex and exclude ignore_regex.".into(),
        Role::Command { .. } | Role::Option(_) | Role::Choice { .. } | Role::Group(_) => String::new(),
        Role::Source(_) | Role::SampleAlias { .. } | Role::Unavailable => return None,
    };
    let mut text = format!("{}\n", flag.help);
    if !usage.is_empty() {
        text += "  Usage:\n";
        for line in usage.lines() {
            text += &format!("    {line}\n");
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_help_lists_every_usable_flag() {
        let help = command_line();
        for flag in FLAGS {
            let listed = help.contains(&format!("    -{:<16}", flag.name))
                || help.contains(&format!("      -{} ", flag.name));
            match flag.role {
                Role::Unavailable => assert!(!listed, "{}", flag.name),
                Role::Group(_) => assert!(
                    help.contains(&format!("    {}\n", flag.name)),
                    "{}",
                    flag.name
                ),
                _ => assert!(listed, "{} missing from\n{help}", flag.name),
            }
        }
        assert!(help.contains("    -nodecount       Max number of nodes to show\n"));
    }

    #[test]
    fn shell_help_uses_bare_names() {
        let help = shell();
        assert!(help.contains("    top              Outputs top entries in text form\n"));
        assert!(help.contains("    o/options        List options and their current values\n"));
        assert!(!help.contains("-top"));
        assert!(shell_topic("peek").unwrap().contains("peek func_regex"));
        assert!(shell_topic("flame")
            .unwrap()
            .contains("flame file.svg [focus_regex]*"));
        assert_eq!(
            shell_topic("nodecount").unwrap(),
            "Max number of nodes to show\n"
        );
        assert!(shell_topic("nosuch").is_none());
        assert!(shell_topic("list")
            .unwrap()
            .contains("list<func_regex|address> [-focus_regex]* [-ignore_regex]*\n"));
    }
}
