//! The interactive shell `oxprof` starts when no output format is given: pprof's
//! `(pprof)` prompt as `(oxprof) `, with line editing, history and tab completion. When standard
//! input is not a terminal, lines are read plainly, so scripts can drive it.

mod complete;
mod line;

use std::io::{self, Write};

use anyhow::Result;
use oxprof_profile::Profile;
use rustyline::{error::ReadlineError, history::DefaultHistory, Editor};

use crate::{
    driver,
    flags::{
        help,
        table::{Role, FLAGS},
        Config,
    },
};
use complete::ShellHelper;
use line::Action;

/// Runs the shell on `profile` until `quit`, `exit` or end of input.
pub(crate) fn run(profile: Profile, mut config: Config) -> Result<()> {
    config.compact_labels = true;
    let mut editor: Editor<ShellHelper, DefaultHistory> = Editor::new()?;
    editor.set_helper(Some(helper_for(&profile)));
    let history = crate::fetch::save_dir().join(".oxprof_history");
    // A missing history file just means a first session.
    let _ = editor.load_history(&history);

    greet(&profile, &config)?;
    loop {
        let input = match editor.readline("(oxprof) ") {
            Ok(input) => input,
            Err(ReadlineError::Eof) => break,
            Err(ReadlineError::Interrupted) => continue,
            Err(e) => return Err(e.into()),
        };
        if !input.trim().is_empty() {
            let _ = editor.add_history_entry(input.as_str());
        }
        if !execute(&input, &profile, &mut config)? {
            break;
        }
    }
    // History is a convenience: failing to save it must not turn a session into an error.
    if let Some(dir) = history.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.save_history(&history);
    Ok(())
}

/// Runs one input line; `false` when it asks to quit. Mistakes in a line are reported and the
/// shell goes on; only output failures (a closed pipe) end it.
fn execute(input: &str, profile: &Profile, config: &mut Config) -> Result<bool> {
    for part in line::expand(input, profile) {
        let action = match line::interpret(&part, config, profile) {
            Ok(action) => action,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        match action {
            Action::Nothing => {}
            Action::Quit => return Ok(false),
            Action::Options => print(&options_listing(config, profile))?,
            Action::Help(topic) if topic.is_empty() => print(&help::shell())?,
            Action::Help(topic) => match help::shell_topic(&topic) {
                Some(text) => print(&format!("{text}\n"))?,
                None => eprintln!("Unknown command: {topic}"),
            },
            Action::Report(command, report_config) => {
                if let Err(e) = driver::generate(profile.clone(), &command, &report_config, true) {
                    if crate::is_broken_pipe(&e) {
                        return Err(e);
                    }
                    eprintln!("{e:#}");
                }
            }
        }
    }
    Ok(true)
}

fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn helper_for(profile: &Profile) -> ShellHelper {
    let mut functions: Vec<String> = profile.function.iter().map(|f| f.name.clone()).collect();
    functions.sort();
    functions.dedup();
    ShellHelper {
        functions,
        sample_types: profile.sample_type.iter().map(|st| st.ty.clone()).collect(),
    }
}

/// pprof's greeting: the profile's header lines, a warning when the selected sample type has
/// no samples, and how to get help.
fn greet(profile: &Profile, config: &Config) -> Result<()> {
    let options = driver::report_options(profile, config)?;
    let report = oxprof_report::Report::new(profile, &options, "top")?;
    let mut text = oxprof_report::header::profile_labels(&report, profile).join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    if report.total == 0 && profile.sample_type.len() > 1 {
        text += "No samples were found with the default sample value type.\n";
        text += "Try \"sample_index\" command to analyze different sample values.\n\n";
    }
    text += "Entering interactive mode (type \"help\" for commands, \"o\" for options)";
    Ok(print(&text)?)
}

/// What `options` prints: every option and option group with its current value, as pprof's
/// `printCurrentOptions` lays it out.
fn options_listing(config: &Config, profile: &Profile) -> String {
    let types: Vec<&str> = profile
        .sample_type
        .iter()
        .map(|st| st.ty.as_str())
        .collect();
    let mut lines: Vec<String> = FLAGS
        .iter()
        .filter(|f| matches!(f.role, Role::Option(_) | Role::Group(_)))
        .map(|f| {
            let mut value = config.get(f.name).unwrap_or_default();
            let comment = match f.role {
                Role::Group(_) => {
                    format!("[{}]", crate::flags::config::choices(f.name).join(" | "))
                }
                _ if f.name == "sample_index" => {
                    if value.is_empty() {
                        value = profile
                            .sample_index("")
                            .ok()
                            .and_then(|i| types.get(i))
                            .map_or_else(String::new, |t| t.to_string());
                    }
                    format!("[{}]", types.join(" | "))
                }
                _ if f.name == "nodecount" && value == "-1" => "default".to_string(),
                _ => {
                    if value.is_empty() {
                        value = "\"\"".into();
                    }
                    String::new()
                }
            };
            let comment = if comment.is_empty() {
                comment
            } else {
                format!("//: {comment}")
            };
            format!("  {:<25} = {:<20} {comment}", f.name, value)
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxprof_profile::ValueType;

    #[test]
    fn options_listing_shows_values_and_choices() {
        let p = Profile {
            sample_type: vec![
                ValueType::new("samples", "count"),
                ValueType::new("cpu", "nanoseconds"),
            ],
            ..Profile::default()
        };
        let mut c = Config::default();
        c.set("focus", "main").unwrap();
        let text = options_listing(&c, &p);
        assert!(
            text.contains(&format!(
                "  {:<25} = {:<20} //: [samples | cpu]",
                "sample_index", "cpu"
            )),
            "{text}"
        );
        assert!(text.contains(&format!("  {:<25} = {:<20} ", "focus", "main")));
        assert!(text.contains(&format!("  {:<25} = {:<20} ", "ignore", "\"\"")));
        assert!(text.contains(&format!("  {:<25} = {:<20} //: default", "nodecount", "-1")));
        assert!(text.contains(&format!(
            "  {:<25} = {:<20} //: [addresses | filefunctions | files | functions | lines]",
            "granularity", "functions"
        )));
        let mut sorted: Vec<&str> = text.lines().collect();
        sorted.sort();
        assert_eq!(sorted, text.lines().collect::<Vec<_>>());
    }
}
