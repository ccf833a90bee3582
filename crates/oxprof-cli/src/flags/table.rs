//! Every flag, command and option oxprof knows, in one table: the command-line parser, `-h`,
//! the shell's `help`, `options` and tab completion all read it, so a name exists everywhere or
//! nowhere.
//!
//! Names, kinds and one-line descriptions are pprof's (`internal/driver/cli.go`,
//! `commands.go`, `config.go`). Flags pprof has for features oxprof does not have yet are listed
//! as [`Role::Unavailable`] so they are refused with a clear message instead of "unknown flag".

use super::config::{Config, Field};

/// What a table entry does.
#[derive(Clone, Copy)]
pub(crate) enum Role {
    /// An output format, also a shell command; `param` ones take a regex (`-peek=re`).
    Command { param: bool },
    /// A report option (`-nodecount=5` on the command line, `nodecount=5` in the shell).
    Option(fn(&mut Config) -> Field<'_>),
    /// One value of a multiple-choice option (`-cum` sets `sort=cum`).
    Choice { group: &'static str },
    /// A multiple-choice option itself (`sort`, `granularity`): shell only, as in pprof.
    Group(fn(&mut Config) -> &mut String),
    /// Where and how profiles are fetched (`-seconds`, `-base`...): command line only.
    Source(SourceKind),
    /// A legacy shorthand for `-sample_index=<index>` (and `-mean` when `mean`).
    SampleAlias { index: &'static str, mean: bool },
    /// A pprof flag for a feature oxprof does not have yet.
    Unavailable,
}

/// The value a [`Role::Source`] flag takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SourceKind {
    /// A whole number (`-seconds`, `-timeout`).
    Int,
    /// A string (`-symbolize`, `-buildid`, `-add_comment`).
    Str,
    /// A source that may be given several times (`-base`, `-diff_base`).
    List,
}

/// One named flag.
pub(crate) struct Flag {
    /// The name without dashes.
    pub name: &'static str,
    /// What it does.
    pub role: Role,
    /// One line saying so.
    pub help: &'static str,
}

impl Flag {
    /// Whether the flag is given without a value (`-top`, `-cum`, `-lines`, `-trim`).
    pub(crate) fn is_bool(&self) -> bool {
        match self.role {
            Role::Command { param } => !param,
            Role::Option(field) => matches!(field(&mut Config::default()), Field::Bool(_)),
            Role::Choice { .. } | Role::SampleAlias { .. } => true,
            Role::Group(_) | Role::Source(_) | Role::Unavailable => false,
        }
    }

    /// Whether this flag works on the command line (groups are shell-only, as in pprof).
    pub(crate) fn on_command_line(&self) -> bool {
        !matches!(self.role, Role::Group(_))
    }
}

const fn command(name: &'static str, help: &'static str) -> Flag {
    Flag {
        name,
        role: Role::Command { param: false },
        help,
    }
}

const fn param_command(name: &'static str, help: &'static str) -> Flag {
    Flag {
        name,
        role: Role::Command { param: true },
        help,
    }
}

const fn option(
    name: &'static str,
    field: fn(&mut Config) -> Field<'_>,
    help: &'static str,
) -> Flag {
    Flag {
        name,
        role: Role::Option(field),
        help,
    }
}

const fn choice(group: &'static str, name: &'static str, help: &'static str) -> Flag {
    Flag {
        name,
        role: Role::Choice { group },
        help,
    }
}

const fn source(name: &'static str, kind: SourceKind, help: &'static str) -> Flag {
    Flag {
        name,
        role: Role::Source(kind),
        help,
    }
}

const fn alias(name: &'static str, index: &'static str, mean: bool, help: &'static str) -> Flag {
    Flag {
        name,
        role: Role::SampleAlias { index, mean },
        help,
    }
}

const fn unavailable(name: &'static str) -> Flag {
    Flag {
        name,
        role: Role::Unavailable,
        help: "",
    }
}

/// The table. Listings sort by name, as pprof's do; only the sample shortcuts' order matters.
pub(crate) static FLAGS: &[Flag] = &[
    // Output formats.
    command("callgrind", "Outputs a graph in callgrind format"),
    command("comments", "Output all profile comments"),
    param_command("disasm", "Output assembly listings annotated with samples"),
    param_command(
        "list",
        "Output annotated source for functions matching regexp",
    ),
    param_command(
        "flame",
        "Outputs an interactive flame graph (SVG) to the named file (- for standard output)",
    ),
    command(
        "folded",
        "Outputs folded stacks, one \"a;b;c value\" line per stack",
    ),
    command("dot", "Outputs a graph in DOT format"),
    command("eog", "Visualize graph through eog"),
    command("evince", "Visualize graph through evince"),
    command("gif", "Outputs a graph image in GIF format"),
    command("gv", "Visualize graph through gv"),
    command("kcachegrind", "Visualize report in KCachegrind"),
    command("pdf", "Outputs a graph in PDF format"),
    command("png", "Outputs a graph image in PNG format"),
    command("ps", "Outputs a graph in PS format"),
    command("svg", "Outputs a graph in SVG format"),
    command("web", "Visualize graph through web browser"),
    param_command(
        "peek",
        "Output callers/callees of functions matching regexp",
    ),
    command("proto", "Outputs the profile in compressed protobuf format"),
    command("raw", "Outputs a text representation of the raw profile"),
    command("tags", "Outputs all tags in the profile"),
    command("text", "Outputs top entries in text form"),
    command("top", "Outputs top entries in text form"),
    command("traces", "Outputs all profile samples in text form"),
    command("tree", "Outputs a text rendering of call graph"),
    param_command("weblist", "Display annotated source in a web browser"),
    // Report options.
    option(
        "output",
        |c| Field::Str(&mut c.output),
        "Output filename for file-based outputs",
    ),
    option(
        "drop_negative",
        |c| Field::Bool(&mut c.drop_negative),
        "Ignore negative differences",
    ),
    option(
        "call_tree",
        |c| Field::Bool(&mut c.call_tree),
        "Create a context-sensitive call tree",
    ),
    option(
        "relative_percentages",
        |c| Field::Bool(&mut c.relative_percentages),
        "Show percentages relative to focused subgraph",
    ),
    option(
        "unit",
        |c| Field::Str(&mut c.unit),
        "Measurement units to display",
    ),
    option(
        "compact_labels",
        |c| Field::Bool(&mut c.compact_labels),
        "Show minimal headers",
    ),
    option(
        "mean",
        |c| Field::Bool(&mut c.mean),
        "Average sample value over first value (count)",
    ),
    option(
        "sample_index",
        |c| Field::Str(&mut c.sample_index),
        "Sample value to report (0-based index or name)",
    ),
    option(
        "divide_by",
        |c| Field::Float(&mut c.divide_by),
        "Ratio to divide all samples before visualization",
    ),
    option(
        "normalize",
        |c| Field::Bool(&mut c.normalize),
        "Scales profile based on the base profile.",
    ),
    option(
        "nodecount",
        |c| Field::Int(&mut c.nodecount),
        "Max number of nodes to show",
    ),
    option(
        "nodefraction",
        |c| Field::Float(&mut c.nodefraction),
        "Hide nodes below <f>*total",
    ),
    option(
        "edgefraction",
        |c| Field::Float(&mut c.edgefraction),
        "Hide edges below <f>*total",
    ),
    option(
        "trim",
        |c| Field::Bool(&mut c.trim),
        "Honor nodefraction/edgefraction/nodecount defaults",
    ),
    option(
        "focus",
        |c| Field::Str(&mut c.filters.focus),
        "Restricts to samples going through a node matching regexp",
    ),
    option(
        "ignore",
        |c| Field::Str(&mut c.filters.ignore),
        "Skips paths going through any nodes matching regexp",
    ),
    option(
        "prune_from",
        |c| Field::Str(&mut c.filters.prune_from),
        "Drops any functions below the matched frame.",
    ),
    option(
        "hide",
        |c| Field::Str(&mut c.filters.hide),
        "Skips nodes matching regexp",
    ),
    option(
        "show",
        |c| Field::Str(&mut c.filters.show),
        "Only show nodes matching regexp",
    ),
    option(
        "show_from",
        |c| Field::Str(&mut c.filters.show_from),
        "Drops functions above the highest matched frame.",
    ),
    option(
        "tagfocus",
        |c| Field::Str(&mut c.filters.tagfocus),
        "Restricts to samples with tags in range or matched by regexp",
    ),
    option(
        "tagignore",
        |c| Field::Str(&mut c.filters.tagignore),
        "Discard samples with tags in range or matched by regexp",
    ),
    option(
        "tagshow",
        |c| Field::Str(&mut c.filters.tagshow),
        "Only consider tags matching this regexp",
    ),
    option(
        "taghide",
        |c| Field::Str(&mut c.filters.taghide),
        "Skip tags matching this regexp",
    ),
    option(
        "no_browser",
        |c| Field::Bool(&mut c.no_browser),
        "Skip opening a browser: print where the page is",
    ),
    option(
        "source_path",
        |c| Field::Str(&mut c.source_path),
        "Search path for source files",
    ),
    option(
        "trim_path",
        |c| Field::Str(&mut c.trim_path),
        "Path to trim from source paths before search",
    ),
    option(
        "intel_syntax",
        |c| Field::Bool(&mut c.intel_syntax),
        "Show assembly in Intel syntax",
    ),
    option(
        "noinlines",
        |c| Field::Bool(&mut c.noinlines),
        "Ignore inlines.",
    ),
    // Multiple-choice options and their values.
    Flag {
        name: "sort",
        role: Role::Group(|c| &mut c.sort),
        help: "Sort order of the entries",
    },
    choice("sort", "cum", "Sort entries based on cumulative weight"),
    choice("sort", "flat", "Sort entries based on own weight"),
    Flag {
        name: "granularity",
        role: Role::Group(|c| &mut c.granularity),
        help: "Level at which samples are aggregated",
    },
    choice(
        "granularity",
        "addresses",
        "Aggregate at the address level.",
    ),
    choice(
        "granularity",
        "filefunctions",
        "Aggregate at the function level.",
    ),
    choice("granularity", "files", "Aggregate at the file level."),
    choice(
        "granularity",
        "functions",
        "Aggregate at the function level.",
    ),
    choice(
        "granularity",
        "lines",
        "Aggregate at the source code line level.",
    ),
    // Sources.
    source(
        "seconds",
        SourceKind::Int,
        "Duration for time-based profile collection",
    ),
    source(
        "timeout",
        SourceKind::Int,
        "Timeout in seconds for profile collection",
    ),
    source(
        "buildid",
        SourceKind::Str,
        "Override build id for main binary",
    ),
    source(
        "add_comment",
        SourceKind::Str,
        "Annotation string to record in the profile",
    ),
    source(
        "base",
        SourceKind::List,
        "Source of profile to use as baseline",
    ),
    source(
        "diff_base",
        SourceKind::List,
        "Source of profile to use as baseline for comparison",
    ),
    source(
        "http",
        SourceKind::Str,
        "Present interactive web UI at the specified http host:port",
    ),
    source(
        "symbolize",
        SourceKind::Str,
        "Controls source of symbol information",
    ),
    // Legacy sample selections, in the order pprof gives them precedence.
    alias(
        "total_delay",
        "delay",
        false,
        "Display total delay at each region",
    ),
    alias(
        "mean_delay",
        "delay",
        true,
        "Display mean delay at each region",
    ),
    alias(
        "contentions",
        "contentions",
        false,
        "Display number of delays at each region",
    ),
    alias(
        "inuse_space",
        "inuse_space",
        false,
        "Display in-use memory size",
    ),
    alias(
        "inuse_objects",
        "inuse_objects",
        false,
        "Display in-use object counts",
    ),
    alias(
        "alloc_space",
        "alloc_space",
        false,
        "Display allocated memory size",
    ),
    alias(
        "alloc_objects",
        "alloc_objects",
        false,
        "Display allocated object counts",
    ),
    // pprof flags for features oxprof does not have yet.
    unavailable("topproto"),
    unavailable("tools"),
    unavailable("tls_cert"),
    unavailable("tls_key"),
    unavailable("tls_ca"),
    unavailable("tagroot"),
    unavailable("tagleaf"),
];

/// The entry named `name`, if any.
pub(crate) fn lookup(name: &str) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = FLAGS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        let len = names.len();
        names.dedup();
        assert_eq!(names.len(), len);
    }

    #[test]
    fn every_choice_belongs_to_a_group() {
        for flag in FLAGS {
            if let Role::Choice { group } = flag.role {
                assert!(
                    matches!(lookup(group).map(|g| g.role), Some(Role::Group(_))),
                    "{}",
                    flag.name
                );
            }
        }
    }

    #[test]
    fn bool_flags_are_the_ones_taking_no_value() {
        assert!(lookup("top").unwrap().is_bool());
        assert!(lookup("cum").unwrap().is_bool());
        assert!(lookup("trim").unwrap().is_bool());
        assert!(!lookup("peek").unwrap().is_bool());
        assert!(!lookup("nodecount").unwrap().is_bool());
        assert!(!lookup("base").unwrap().is_bool());
    }
}
