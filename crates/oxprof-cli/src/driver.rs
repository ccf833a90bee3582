//! pprof's pipeline (`internal/driver/driver.go`): fetch and merge the sources, subtract the
//! base, then for each report apply the options (sample value, filters, granularity) to a fresh
//! copy of the profile and print the report.

use std::{
    fs::File,
    io::{self, IsTerminal, Write},
};

use anyhow::{anyhow, bail, Result};
use oxprof_profile::{Granularity, NumLabelUnits, Profile};
use oxprof_report::{Options, Report};
use oxprof_symbolize::{Demangle, Symbolizer};

use crate::{
    fetch,
    flags::{Command, Config, Sources},
    graphs,
};

/// Fetches every source and base, merges them and prepares the result as pprof does: base
/// subtraction, binary overrides, `drop_frames`, comments, a saved copy when anything came over
/// HTTP, and validation.
pub(crate) fn load(sources: &Sources) -> Result<Profile> {
    let fetch_all = |list: &[String]| -> Vec<Result<fetch::Fetched>> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = list
                .iter()
                .map(|src| scope.spawn(|| fetch::fetch(src, sources.seconds, sources.timeout)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("fetch failed"))))
                .collect()
        })
    };
    let mut remote = false;
    let wanted = sources.sources.len() + sources.base.len();
    let mut fetched = 0;
    let mut first_error = None;
    let mut group = |list: &[String]| -> Result<Option<Profile>> {
        let mut profiles = Vec::new();
        for result in fetch_all(list) {
            match result {
                Ok(f) => {
                    remote |= f.url.is_some();
                    let mut p = f.profile;
                    override_main_binary(&mut p, sources);
                    profiles.push(p);
                }
                Err(e) if first_error.is_none() => first_error = Some(e),
                Err(e) => eprintln!("oxprof: {e:#}"),
            }
        }
        fetched += profiles.len();
        if profiles.is_empty() {
            return Ok(None);
        }
        Ok(Some(Profile::combine(profiles)?))
    };
    let profile = group(&sources.sources)?;
    let base = if sources.base.is_empty() {
        None
    } else {
        group(&sources.base)?
    };
    let mut profile = match (profile, first_error) {
        (Some(p), None) => p,
        (Some(p), Some(e)) => {
            eprintln!("oxprof: {e:#}");
            eprintln!("fetched {fetched} profiles out of {wanted}");
            p
        }
        (None, Some(e)) => return Err(e),
        (None, None) => bail!("failed to fetch any profiles"),
    };
    if let Some(base) = base {
        profile = profile.with_base(base, sources.diff_base, sources.normalize)?;
    }
    if let Some(symbolizer) = symbolizer(sources)? {
        for warning in symbolizer.symbolize(&mut profile)?.warnings {
            eprintln!("{warning}");
        }
    }
    profile.remove_uninteresting_frames()?;
    if let Some(comment) = &sources.add_comment {
        profile.comments.push(comment.clone());
    }
    if remote {
        match fetch::save(&profile) {
            Ok(path) => eprintln!("Saved profile in {}", path.display()),
            Err(e) => eprintln!("Could not save profile: {e:#}"),
        }
    }
    profile.validate()?;
    Ok(profile)
}

/// The symbolizer `-symbolize` asks for (pprof's modes joined by `:`), or `None` for `none`.
/// Without a mode, mappings lacking symbols are symbolized from local files.
fn symbolizer(sources: &Sources) -> Result<Option<Symbolizer>> {
    let search = crate::objects::binary_search_path();
    let mut symbolizer = Symbolizer::new();
    if let Some(list) = search {
        symbolizer = symbolizer.with_search_path_list(&list);
    }
    if let Some(exe) = &sources.exec_name {
        symbolizer = symbolizer.with_binary(exe);
    }
    for mode in sources.symbolize.to_lowercase().split(':') {
        symbolizer = match mode {
            "" | "local" | "fastlocal" => symbolizer,
            "none" | "no" => return Ok(None),
            "force" => symbolizer.with_force(true),
            "remote" => bail!("-symbolize=remote is not available in oxprof yet"),
            _ => {
                let demangle = match mode.strip_prefix("demangle=") {
                    Some("default" | "templates") => Demangle::Simplified,
                    Some("full") => Demangle::Full,
                    Some("none") => Demangle::None,
                    _ => bail!("unrecognized -symbolize option {mode:?}"),
                };
                // A new demangling mode only shows if names are derived again.
                symbolizer.with_demangle(demangle).with_force(true)
            }
        };
    }
    Ok(Some(symbolizer))
}

/// The main binary named on the command line replaces the first mapping's file, as pprof's
/// `locateBinaries` does.
fn override_main_binary(profile: &mut Profile, sources: &Sources) {
    if let Some(m) = profile.mapping.first_mut() {
        if let Some(exe) = &sources.exec_name {
            m.filename = exe.clone();
        }
        if let Some(id) = &sources.build_id {
            m.build_id = id.clone();
        }
    }
}

/// Where a report goes: standard output or a file.
pub(crate) fn open_output(
    config: &Config,
    command: &Command,
    interactive: bool,
) -> Result<Box<dyn Write>> {
    if !config.output.is_empty() {
        eprintln!("Generating report in {}", config.output);
        let file = File::create(&config.output)
            .map_err(|e| anyhow!("{}: {}", config.output, fetch::io_error_text(&e)))?;
        return Ok(Box::new(io::BufWriter::new(file)));
    }
    // pprof keeps binary formats away from terminals: they go to ./profileNNN.pb.gz instead.
    let away = match command.name.as_str() {
        "proto" => Some(".pb.gz"),
        name => graphs::lookup(name).map(|g| g.suffix),
    };
    if let Some(suffix) = away.filter(|_| interactive || io::stdout().is_terminal()) {
        let (path, file) = fetch::new_numbered_file(std::path::Path::new(""), "profile", suffix)?;
        eprintln!("Generating report in {}", path.display());
        return Ok(Box::new(io::BufWriter::new(file)));
    }
    Ok(Box::new(io::BufWriter::new(io::stdout().lock())))
}

/// Generates one report from `profile` (which it consumes: reports filter and aggregate it).
pub(crate) fn generate(
    mut profile: Profile,
    command: &Command,
    config: &Config,
    interactive: bool,
) -> Result<()> {
    let config = command_overrides(command, config, interactive);
    // Label units are inferred before filtering, as pprof does, so filters cannot change them.
    let units = profile.num_label_units();
    for (key, others) in &units.ignored {
        eprintln!(
            "For tag {key} used unit {}, also encountered unit(s) {}",
            units.units[key],
            others.join(", ")
        );
    }
    let mut options = report_options(&profile, &config)?;
    if let Some(re) = command.param.as_ref().filter(|_| command.name != "flame") {
        compile_argument(re)?;
    }
    if config.relative_percentages {
        apply_focus(&mut profile, &config, &units)?;
    } else {
        // Percentages refer to the whole profile, so the total is taken before focusing.
        options.total = Some(Report::new(&profile, &options, &command.name)?.total);
        apply_focus(&mut profile, &config, &units)?;
    }
    let granularity: Granularity = config.granularity.parse()?;
    profile.aggregate_to(granularity, !config.noinlines, false)?;

    if let Some(graph) = graphs::lookup(&command.name) {
        if graph.opens_viewer() && config.output.is_empty() {
            return graphs::view(&profile, &options, graph, &config, interactive);
        }
    }
    if command.name == "weblist" && config.output.is_empty() {
        return show_in_browser(
            &mut profile,
            command,
            &config,
            &options,
            &units,
            interactive,
        );
    }
    let mut out = open_output(&config, command, interactive)?;
    write_report(&mut *out, &mut profile, command, &config, &options, &units)?;
    out.flush()?;
    Ok(())
}

/// pprof's `weblist` without `-output`: the page goes to a file in the temp directory, shown in
/// a browser as `-web` shows graphs (`-no_browser`, or no display and no `$BROWSER`, prints the
/// path instead).
fn show_in_browser(
    profile: &mut Profile,
    command: &Command,
    config: &Config,
    options: &Options,
    units: &NumLabelUnits,
    interactive: bool,
) -> Result<()> {
    let mut page = Vec::new();
    write_report(&mut page, profile, command, config, options, units)?;
    let (path, mut file) = fetch::new_numbered_file(&std::env::temp_dir(), "oxprof", ".html")?;
    file.write_all(&page)
        .and_then(|()| file.flush())
        .map_err(|e| anyhow!("{}: {}", path.display(), fetch::io_error_text(&e)))?;
    drop(file);
    let browsers = crate::browser::browsers();
    if config.no_browser || browsers.is_empty() {
        eprintln!("Generating report in {}", path.display());
        return Ok(());
    }
    crate::browser::open(&path, &browsers, interactive)
}

/// pprof's per-command adjustments that live outside the report options: the granularity raw,
/// proto and callgrind output need, the shell's default of ten entries for `top`, and the
/// output file `-flame` names.
pub(crate) fn command_overrides(command: &Command, config: &Config, interactive: bool) -> Config {
    let mut config = config.clone();
    if matches!(
        command.name.as_str(),
        "raw" | "proto" | "callgrind" | "kcachegrind"
    ) {
        config.granularity = "addresses".into();
        config.noinlines = false;
    }
    match command.name.as_str() {
        "list" => config.granularity = "lines".into(),
        // One location per address, so inlined frames do not count an instruction twice.
        "disasm" => {
            config.granularity = "addresses".into();
            config.noinlines = true;
        }
        // The inline chains show which inlined call each instruction belongs to.
        "weblist" => {
            config.granularity = "addresses".into();
            config.noinlines = false;
        }
        _ => {}
    }
    // The argument of -flame is where the SVG goes.
    if let Some(file) = command.param.as_ref().filter(|_| command.name == "flame") {
        if file != "-" {
            config.output = file.clone();
        }
    }
    if interactive && config.nodecount == -1 && matches!(command.name.as_str(), "top" | "text") {
        config.nodecount = 10;
    }
    config
}

/// The report options `config` asks for on `profile`.
pub(crate) fn report_options(profile: &Profile, config: &Config) -> Result<Options> {
    if profile.sample_type.is_empty() {
        bail!("profile has no samples");
    }
    let sample_index = profile.sample_index(&config.sample_index)?;
    if config.divide_by == 0.0 {
        bail!("zero divisor specified");
    }
    let filters = [
        ("focus", &config.filters.focus),
        ("ignore", &config.filters.ignore),
        ("hide", &config.filters.hide),
        ("show", &config.filters.show),
        ("show_from", &config.filters.show_from),
        ("tagfocus", &config.filters.tagfocus),
        ("tagignore", &config.filters.tagignore),
        ("tagshow", &config.filters.tagshow),
        ("taghide", &config.filters.taghide),
    ];
    Ok(Options {
        sample_index,
        mean: config.mean,
        cum_sort: config.sort == "cum",
        drop_negative: config.drop_negative,
        compact_labels: config.compact_labels,
        ratio: 1.0 / config.divide_by,
        node_count: usize::try_from(config.nodecount).ok(),
        node_fraction: config.nodefraction,
        edge_fraction: config.edgefraction,
        trim: config.trim,
        output_unit: config.unit.clone(),
        trim_path: config.trim_path.clone(),
        source_path: config.source_path.clone(),
        active_filters: filters
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        ..Options::default()
    })
}

/// pprof's `applyFocus`: name filters, tag filters, tag key filters, then `prune_from`, printing
/// pprof's notes (a filter that matched nothing, a tag filter read as a range) on stderr.
fn apply_focus(profile: &mut Profile, config: &Config, units: &NumLabelUnits) -> Result<()> {
    for note in profile.apply_filters(&config.filters, units)? {
        eprintln!("{note}");
    }
    Ok(())
}

/// The regex argument of a command such as `peek`, with pprof's error text.
pub(crate) fn compile_argument(re: &str) -> Result<regex::Regex> {
    regex::Regex::new(re).map_err(|e| {
        let text = e.to_string();
        let reason = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or(&text)
            .trim()
            .to_string();
        anyhow!("parsing argument regexp {re}: {reason}")
    })
}

/// Writes the report `command` names.
fn write_report(
    out: &mut dyn Write,
    profile: &mut Profile,
    command: &Command,
    config: &Config,
    options: &Options,
    units: &NumLabelUnits,
) -> Result<()> {
    use oxprof_report::{comments, disasm, list, raw, tags, top, traces, tree, weblist};
    let sources = || {
        oxprof_report::source_files::SourceReader::new(Box::new(
            oxprof_report::source_files::FileSystem::new(&config.source_path, &config.trim_path),
        ))
    };
    let syntax = if config.intel_syntax {
        oxprof_report::objects::Syntax::Intel
    } else {
        oxprof_report::objects::Syntax::Att
    };
    match (command.name.as_str(), &command.param) {
        ("top" | "text", _) => top::write_top(out, profile, options)?,
        ("tree", _) => tree::write_tree(out, profile, options)?,
        ("peek", Some(re)) => tree::write_peek(out, profile, options, &compile_argument(re)?)?,
        ("traces", _) => traces::write_traces(
            out,
            profile,
            &Report::new(profile, options, "traces")?,
            units,
        )?,
        ("tags", _) => {
            tags::write_tags(out, profile, &Report::new(profile, options, "tags")?, units)?
        }
        ("list", Some(re)) => list::write_list(
            out,
            profile,
            options,
            &compile_argument(re)?,
            &mut sources(),
        )?,
        ("disasm", Some(re)) => {
            let re = compile_argument(re)?;
            let mut binaries = crate::objects::Binaries::new();
            let listing = disasm::write_disasm(out, profile, options, &re, &mut binaries, syntax)?;
            for warning in listing.warnings {
                eprintln!("{warning}");
            }
        }
        ("weblist", Some(re)) => weblist::write_weblist(
            out,
            profile,
            options,
            &compile_argument(re)?,
            &mut crate::objects::Binaries::new(),
            syntax,
            &mut sources(),
        )?,
        ("comments", _) => comments::write_comments(out, profile)?,
        ("flame" | "folded", _) => crate::flame::write(out, profile, options, &command.name)?,
        ("raw", _) => raw::write_raw(out, profile)?,
        ("proto", _) => {
            // pprof applies -divide_by to the values it saves.
            if options.ratio != 1.0 {
                for s in &mut profile.sample {
                    for v in &mut s.value {
                        *v = (*v as f64 * options.ratio) as i64;
                    }
                }
            }
            profile.write_to(&mut *out)?;
        }
        ("dot", _) => oxprof_report::dot::write_dot(out, profile, options)?,
        (other, _) => match graphs::lookup(other) {
            Some(graph) => out.write_all(&graphs::produce(profile, options, graph)?)?,
            None => bail!("the {other} report is not available in oxprof yet"),
        },
    }
    Ok(())
}
