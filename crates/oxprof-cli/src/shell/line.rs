//! What one shell line means, as pprof's `interactive.go` reads it: shortcuts, `name=value`
//! assignments, and report commands with their inline arguments (`top20 -cum main -runtime >f`).

use oxprof_profile::Profile;

use crate::flags::{
    table::{self, Role},
    Command, Config,
};

/// Marks a comment after an option value: `nodecount=10 //: why`.
const COMMENT_START: &str = "//:";

/// One thing a line asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Nothing (an empty line, or an assignment already applied).
    Nothing,
    /// Print the current options.
    Options,
    /// Print help, on a topic when one is given.
    Help(String),
    /// Leave the shell.
    Quit,
    /// Generate a report with these (non-persistent) options.
    Report(Command, Box<Config>),
}

/// The lines a shortcut stands for: `:` clears the filters, a sample type `T` selects it, and
/// `total_T` / `mean_T` select it with `mean` off or on.
pub(crate) fn expand(input: &str, profile: &Profile) -> Vec<String> {
    let input = input.trim();
    if input == ":" {
        return ["focus=", "ignore=", "hide=", "tagfocus=", "tagignore="]
            .map(String::from)
            .to_vec();
    }
    for st in &profile.sample_type {
        let select = format!("sample_index={}", st.ty);
        if input == st.ty {
            return vec![select];
        }
        if input.strip_prefix("total_") == Some(&st.ty) {
            return vec!["mean=0".into(), select];
        }
        if input.strip_prefix("mean_") == Some(&st.ty) {
            return vec!["mean=1".into(), select];
        }
    }
    vec![input.to_string()]
}

/// Applies one expanded line to `config`, or says what else to do.
pub(crate) fn interpret(
    input: &str,
    config: &mut Config,
    profile: &Profile,
) -> Result<Action, String> {
    if let Some(action) = assignment(input, config, profile)? {
        return Ok(action);
    }
    let tokens: Vec<&str> = input.split_whitespace().collect();
    let Some(&first) = tokens.first() else {
        return Ok(Action::Nothing);
    };
    match first {
        "o" | "options" => Ok(Action::Options),
        "exit" | "quit" => Ok(Action::Quit),
        "help" => Ok(Action::Help(tokens[1..].join(" "))),
        _ => command_line(&tokens, config),
    }
}

/// `name=value`, or a bare boolean or choice name; `None` when the line is no assignment.
fn assignment(
    input: &str,
    config: &mut Config,
    profile: &Profile,
) -> Result<Option<Action>, String> {
    let (name, value) = match input.split_once('=') {
        Some((name, value)) => {
            let value = value.rfind(COMMENT_START).map_or(value, |at| &value[..at]);
            (name.trim(), Some(value.trim()))
        }
        None => (input.trim(), None),
    };
    let Some(flag) = table::lookup(name) else {
        return Ok(None);
    };
    let takes_no_value = flag.is_bool();
    if !matches!(
        flag.role,
        Role::Option(_) | Role::Choice { .. } | Role::Group(_)
    ) {
        return Ok(None);
    }
    let value = match value {
        Some(v) if name == "sample_index" => {
            let index = profile.sample_index(v).map_err(|e| e.to_string())?;
            profile.sample_type[index].ty.clone()
        }
        Some(v) => v.to_string(),
        None if takes_no_value => String::new(),
        None => return Err(format!("please input a value, e.g. {name}=<val>")),
    };
    config.set(name, &value)?;
    Ok(Some(Action::Nothing))
}

/// A report command and its arguments (pprof's `parseCommandLine`).
fn command_line(tokens: &[&str], config: &Config) -> Result<Action, String> {
    let mut name = tokens[0].to_string();
    let mut args: Vec<String> = tokens[1..].iter().map(|s| s.to_string()).collect();
    let mut flag = table::lookup(&name);
    if !flag.is_some_and(|f| matches!(f.role, Role::Command { .. } | Role::Unavailable)) {
        // `top10` is `top 10`.
        let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && digits < name.len() {
            let count = name.split_off(name.len() - digits);
            args.insert(0, count);
            flag = table::lookup(&name);
        }
    }
    let param = match flag.map(|f| f.role) {
        Some(Role::Command { param }) => param,
        Some(Role::Unavailable) => {
            return Err(format!("the {name} command is not available in oxprof yet"))
        }
        _ if table::lookup(tokens[0]).is_some_and(|f| {
            matches!(
                f.role,
                Role::Option(_) | Role::Group(_) | Role::Choice { .. }
            )
        }) =>
        {
            return Err(format!(
                "did you mean: {}={}",
                tokens[0],
                args.first().map_or("", String::as_str)
            ));
        }
        _ => return Err(format!("unrecognized command: {:?}", tokens[0])),
    };
    let param = if param {
        if args.is_empty() {
            return Err(format!("command {name} requires an argument"));
        }
        Some(args.remove(0))
    } else {
        None
    };

    let mut config = config.clone();
    let (mut focus, mut ignore) = (String::new(), String::new());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg.parse::<i32>().is_ok() {
            config.set("nodecount", &arg)?;
        } else if let Some(file) = arg.strip_prefix('>') {
            let file = if file.is_empty() {
                args.next().ok_or("unexpected end of line after >")?
            } else {
                file.to_string()
            };
            config.output = file;
        } else if arg == "-cum" || arg == "--cum" {
            config.sort = "cum".into();
        } else if let Some(re) = arg.strip_prefix('-') {
            cat_regex(&mut ignore, re);
        } else {
            cat_regex(&mut focus, &arg);
        }
    }
    let (focus_field, ignore_field) = if name == "tags" {
        (&mut config.filters.tagfocus, &mut config.filters.tagignore)
    } else {
        (&mut config.filters.focus, &mut config.filters.ignore)
    };
    cat_regex(focus_field, &focus);
    cat_regex(ignore_field, &ignore);
    Ok(Action::Report(Command { name, param }, Box::new(config)))
}

/// Joins regexes with `|`, so either matches.
fn cat_regex(into: &mut String, re: &str) {
    if !into.is_empty() && !re.is_empty() {
        into.push('|');
    }
    into.push_str(re);
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxprof_profile::ValueType;

    fn heap() -> Profile {
        Profile {
            sample_type: vec![
                ValueType::new("alloc_objects", "count"),
                ValueType::new("alloc_space", "bytes"),
            ],
            ..Profile::default()
        }
    }

    fn report(line: &str, config: &mut Config) -> (Command, Config) {
        match interpret(line, config, &heap()) {
            Ok(Action::Report(c, cfg)) => (c, *cfg),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn shortcuts_expand() {
        let p = heap();
        assert_eq!(expand(" : ", &p).len(), 5);
        assert_eq!(expand("alloc_space", &p), ["sample_index=alloc_space"]);
        assert_eq!(
            expand("mean_alloc_space", &p),
            ["mean=1", "sample_index=alloc_space"]
        );
        assert_eq!(expand("top", &p), ["top"]);
    }

    #[test]
    fn assignments_persist_and_validate() {
        let mut c = Config::default();
        let p = heap();
        assert_eq!(
            interpret("nodecount=5 //: five", &mut c, &p),
            Ok(Action::Nothing)
        );
        assert_eq!(c.nodecount, 5);
        interpret("sample_index=0", &mut c, &p).unwrap();
        assert_eq!(c.sample_index, "alloc_objects");
        interpret("cum", &mut c, &p).unwrap();
        assert_eq!(c.sort, "cum");
        interpret("lines", &mut c, &p).unwrap();
        assert_eq!(c.granularity, "lines");
        assert_eq!(
            interpret("focus", &mut c, &p),
            Err("please input a value, e.g. focus=<val>".into())
        );
        assert!(interpret("sample_index=nosuch", &mut c, &p).is_err());
    }

    #[test]
    fn commands_take_inline_arguments_without_persisting_them() {
        let mut c = Config::default();
        let (cmd, cfg) = report("top20 -cum main -runtime other >out.txt", &mut c);
        assert_eq!(
            cmd,
            Command {
                name: "top".into(),
                param: None
            }
        );
        assert_eq!((cfg.nodecount, cfg.sort.as_str()), (20, "cum"));
        assert_eq!(
            (
                cfg.filters.focus.as_str(),
                cfg.filters.ignore.as_str(),
                cfg.output.as_str()
            ),
            ("main|other", "runtime", "out.txt")
        );
        assert_eq!(c, Config::default());
        let (cmd, _) = report("peek mapHeavy", &mut c);
        assert_eq!(cmd.param.as_deref(), Some("mapHeavy"));
        let (cmd, cfg) = report("disasm hot_loop -runtime", &mut c);
        assert_eq!(
            (
                cmd.name.as_str(),
                cmd.param.as_deref(),
                cfg.filters.ignore.as_str()
            ),
            ("disasm", Some("hot_loop"), "runtime")
        );
        let (_, cfg) = report("tags thread -bytes", &mut c);
        assert_eq!(
            (
                cfg.filters.tagfocus.as_str(),
                cfg.filters.tagignore.as_str()
            ),
            ("thread", "bytes")
        );
        c.filters.focus = "a".into();
        assert_eq!(report("tree b", &mut c).1.filters.focus, "a|b");
    }

    #[test]
    fn bad_commands_say_why() {
        let mut c = Config::default();
        let p = heap();
        assert_eq!(
            interpret("frobnicate", &mut c, &p),
            Err("unrecognized command: \"frobnicate\"".into())
        );
        assert_eq!(
            interpret("peek", &mut c, &p),
            Err("command peek requires an argument".into())
        );
        assert_eq!(
            interpret("nodecount 5", &mut c, &p),
            Err("did you mean: nodecount=5".into())
        );
        assert_eq!(
            interpret("list", &mut c, &p),
            Err("command list requires an argument".into())
        );
        assert_eq!(interpret("quit", &mut c, &p), Ok(Action::Quit));
        assert_eq!(
            interpret("help top", &mut c, &p),
            Ok(Action::Help("top".into()))
        );
    }
}
