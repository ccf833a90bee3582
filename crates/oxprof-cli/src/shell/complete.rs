//! Tab completion for the shell: command and option names first, then what fits where the
//! cursor is: function names after a report command or a name filter, sample types after
//! `sample_index=`, choices after `sort=` or `granularity=`.

use rustyline::{
    completion::{Completer, Pair},
    highlight::Highlighter,
    hint::Hinter,
    validate::Validator,
    Context, Helper,
};

use crate::flags::{
    config::choices,
    table::{Role, FLAGS},
};

/// Completion data taken from the profile once, when the shell starts.
pub(crate) struct ShellHelper {
    /// Function names, sorted and without duplicates.
    pub functions: Vec<String>,
    /// Sample type names.
    pub sample_types: Vec<String>,
}

/// Options whose values are function-name regexes.
const NAME_FILTERS: [&str; 6] = ["focus", "ignore", "hide", "show", "show_from", "prune_from"];

impl ShellHelper {
    /// Candidates for the word `word`, which starts at byte `start` of `line`.
    pub(crate) fn candidates(&self, line: &str, start: usize, word: &str) -> Vec<String> {
        let before = &line[..start];
        if before.trim().is_empty() {
            return self.first_words(word);
        }
        if before.trim() == "help" {
            return self
                .first_words(word)
                .into_iter()
                .filter(|w| table_name(w))
                .collect();
        }
        if let Some(option) = before.trim_end().strip_suffix('=').map(str::trim) {
            return self.values(option, word);
        }
        let command = before.split_whitespace().next().unwrap_or_default();
        let command = command.trim_end_matches(|c: char| c.is_ascii_digit());
        let is_report = FLAGS
            .iter()
            .any(|f| f.name == command && matches!(f.role, Role::Command { .. }));
        if is_report && command != "tags" {
            let (dash, word) = word.strip_prefix('-').map_or(("", word), |w| ("-", w));
            return self
                .functions_containing(word)
                .into_iter()
                .map(|f| format!("{dash}{f}"))
                .collect();
        }
        Vec::new()
    }

    fn first_words(&self, word: &str) -> Vec<String> {
        let names = FLAGS
            .iter()
            .filter(|f| {
                matches!(
                    f.role,
                    Role::Command { .. } | Role::Option(_) | Role::Choice { .. } | Role::Group(_)
                )
            })
            .map(|f| f.name.to_string())
            .chain(["help", "options", "quit", "exit"].map(String::from))
            .chain(self.sample_types.iter().cloned());
        let mut out: Vec<String> = names.filter(|n| n.starts_with(word)).collect();
        out.sort();
        out.dedup();
        out
    }

    fn values(&self, option: &str, word: &str) -> Vec<String> {
        let pool: Vec<String> = match option {
            "sample_index" => self.sample_types.clone(),
            _ if NAME_FILTERS.contains(&option) => return self.functions_containing(word),
            _ => choices(option).into_iter().map(String::from).collect(),
        };
        pool.into_iter().filter(|v| v.starts_with(word)).collect()
    }

    fn functions_containing(&self, word: &str) -> Vec<String> {
        self.functions
            .iter()
            .filter(|f| f.contains(word))
            .cloned()
            .collect()
    }
}

fn table_name(word: &str) -> bool {
    FLAGS.iter().any(|f| f.name == word)
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let head = &line[..pos];
        let start = head
            .rfind(|c: char| c.is_whitespace() || c == '=')
            .map_or(0, |i| i + 1);
        let found = self.candidates(head, start, &head[start..]);
        Ok((
            start,
            found
                .into_iter()
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}
impl Highlighter for ShellHelper {}
impl Validator for ShellHelper {}
impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ShellHelper {
        ShellHelper {
            functions: vec![
                "main.hot".into(),
                "main.mapHeavy".into(),
                "runtime.mapassign".into(),
            ],
            sample_types: vec!["samples".into(), "cpu".into()],
        }
    }

    fn complete(line: &str) -> Vec<String> {
        let h = helper();
        let start = line
            .rfind(|c: char| c.is_whitespace() || c == '=')
            .map_or(0, |i| i + 1);
        h.candidates(line, start, &line[start..])
    }

    #[test]
    fn first_word_is_a_command_option_or_sample_type() {
        assert_eq!(complete("tr"), ["traces", "tree", "trim", "trim_path"]);
        assert_eq!(complete("nodec"), ["nodecount"]);
        assert_eq!(complete("cp"), ["cpu"]);
        assert_eq!(complete("help pe"), ["peek"]);
    }

    #[test]
    fn later_words_are_functions_or_values() {
        assert_eq!(complete("top map"), ["main.mapHeavy", "runtime.mapassign"]);
        assert_eq!(complete("top10 -hot"), ["-main.hot"]);
        assert_eq!(complete("peek Heavy"), ["main.mapHeavy"]);
        assert_eq!(complete("focus=assign"), ["runtime.mapassign"]);
        assert_eq!(complete("sample_index=s"), ["samples"]);
        assert_eq!(complete("granularity=fi"), ["filefunctions", "files"]);
        assert!(complete("tags map").is_empty());
    }
}
