//! The graph commands from the outside: `-dot` and `-callgrind` against the goldens and against
//! the real `go tool pprof` on every kind of bundled profile (and on a labelled one made here,
//! for tag boxes), SVG through Graphviz and through the built-in layout, PNG and PDF, `-web`
//! with a stand-in browser, and the same commands in the shell.
//!
//! Graphviz cases need `dot` (Debian's `graphviz`): outside CI a missing `dot` skips them with
//! a note; under `CI=true` it fails them, because CI must install it.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use oxprof_profile::{Function, Label, Line, Location, Mapping, Profile, Sample, ValueType};
use oxprof_testutil::{go_pprof, graphviz_dot};

use crate::{run, scratch, stderr, stdout, success, testdata};

fn golden(name: &str) -> String {
    std::fs::read_to_string(testdata(&format!("go/golden/{name}"))).expect("read golden")
}

#[test]
fn dot_and_callgrind_match_the_goldens() {
    let cpu = testdata("go/cpu.pprof");
    assert_eq!(success(&run(&["-dot", &cpu])), golden("cpu.dot.txt"));
    assert_eq!(
        success(&run(&["-callgrind", &cpu])),
        golden("cpu.callgrind.txt")
    );
}

/// A CPU-like profile whose samples carry string labels and many `bytes` sizes, so the drawing
/// has string tags with numeric tags under them, collapsed into ranges.
fn labelled_profile(dir: &Path) -> String {
    let f = |id, name: &str| Function {
        id,
        name: name.into(),
        filename: "main.go".into(),
        ..Default::default()
    };
    let loc = |id: u64| Location {
        id,
        mapping_id: 1,
        address: 0x1000 + 16 * id,
        line: vec![Line {
            function_id: id,
            line: 10 * id as i64,
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut sample = Vec::new();
    for (i, size) in [16, 32, 48, 512, 1024, 4096, 65536, 1 << 20]
        .into_iter()
        .enumerate()
    {
        for (stack, handler) in [(&[3u64, 2, 1][..], "/api"), (&[4, 2, 1][..], "/admin")] {
            sample.push(Sample {
                location_id: stack.to_vec(),
                value: vec![1 + i as i64, 1000 * (i as i64 + 1) * stack[0] as i64],
                label: vec![
                    Label::str("handler", handler),
                    Label::str("phase", if i % 2 == 0 { "read" } else { "write" }),
                    Label::num("bytes", size, "bytes"),
                ],
            });
        }
    }
    let p = Profile {
        sample_type: vec![
            ValueType::new("alloc_objects", "count"),
            ValueType::new("alloc_space", "bytes"),
        ],
        sample,
        mapping: vec![Mapping {
            id: 1,
            memory_start: 0x1000,
            memory_limit: 0x2000,
            filename: "/bin/app".into(),
            ..Default::default()
        }],
        location: (1..=4).map(loc).collect(),
        function: vec![
            f(1, "main.main"),
            f(2, "main.serve"),
            f(3, "main.api"),
            f(4, "main.admin"),
        ],
        ..Default::default()
    };
    let path = dir.join("labelled.pb.gz");
    p.write_to(std::fs::File::create(&path).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

fn go_report(args: &[&str]) -> String {
    let out = go_pprof()
        .expect("checked by the caller")
        .arg("-symbolize=none")
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("run go tool pprof");
    assert!(
        out.status.success(),
        "go tool pprof {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `-dot` and `-callgrind` print what `go tool pprof` prints, on every kind of profile and with
/// the options that change the drawing.
#[test]
fn graphs_match_go_tool_pprof() {
    if go_pprof().is_none() {
        return;
    }
    let dir = scratch("graphs-go");
    let labelled = labelled_profile(&dir);
    let cpu = testdata("go/cpu.pprof");
    let heap = testdata("go/heap.pprof");
    let block = testdata("go/block.pprof");
    let mutex = testdata("go/mutex.pprof");
    let goroutine = testdata("go/goroutine.pprof");
    let large = testdata("pprof-upstream/large.cpu");
    let cases: &[&[&str]] = &[
        &["-dot", "-nodecount=10", &cpu],
        &["-dot", "-focus=mapHeavy", "-hide=memhash", &cpu],
        &["-dot", "-lines", "-nodecount=25", &cpu],
        &["-dot", "-nodefraction=0", "-edgefraction=0", &cpu],
        &["-dot", &heap],
        &["-dot", "-sample_index=alloc_objects", &heap],
        &["-dot", &block],
        &["-dot", "-mean", &mutex],
        &["-dot", &goroutine],
        &["-dot", "-diff_base", &block, &mutex],
        &["-dot", &large],
        &["-dot", &labelled],
        &[
            "-dot",
            "-sample_index=alloc_objects",
            "-nodecount=3",
            &labelled,
        ],
        &["-callgrind", &heap],
        &["-callgrind", &labelled],
    ];
    for args in cases {
        let ours = success(&run(args));
        let theirs = go_report(args);
        assert!(
            ours == theirs,
            "oxprof {args:?} differs from go tool pprof:\n--- oxprof\n{ours}\n--- go tool pprof\n{theirs}"
        );
    }
}

/// Runs `oxprof args` with `PATH` holding only a directory without `dot`.
fn run_without_graphviz(args: &[&str]) -> Output {
    let empty = scratch("no-graphviz");
    Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args(args)
        .env("PATH", &empty)
        .env("OXPROF_TMPDIR", &empty)
        .env("TMPDIR", &empty)
        .stdin(Stdio::null())
        .output()
        .expect("run oxprof")
}

/// The titles of the drawing's node and edge groups.
fn drawn(svg: &str) -> (Vec<String>, Vec<String>) {
    // Graphviz's SVG starts with a document type declaration.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc =
        roxmltree::Document::parse_with_options(svg, options).expect("the SVG is well-formed XML");
    let titles = |class: &str| -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
            .filter_map(|n| n.children().find(|c| c.has_tag_name("title")))
            .filter_map(|t| t.text().map(|s| s.replace("&#45;", "-")))
            .collect()
    };
    (titles("node"), titles("edge"))
}

fn assert_whole_cpu_graph(svg: &str) {
    let (nodes, edges) = drawn(svg);
    for n in 1..=54 {
        assert!(nodes.contains(&format!("N{n}")), "node N{n} is drawn");
    }
    assert_eq!(edges.len(), 64, "every edge of the golden is drawn");
    assert!(edges.contains(&"N1->N6".to_string()));
    assert!(
        svg.contains("<g id=\"viewport\""),
        "the page pans and zooms"
    );
}

#[test]
fn svg_is_drawn_without_graphviz() {
    let out = run_without_graphviz(&["-svg", &testdata("go/cpu.pprof")]);
    let svg = success(&out);
    assert!(svg.contains("oxprof's built-in layout"));
    assert_whole_cpu_graph(&svg);
}

#[test]
fn images_need_graphviz_and_say_so() {
    for format in ["-png", "-pdf"] {
        let out = run_without_graphviz(&[format, &testdata("go/cpu.pprof")]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.starts_with("oxprof: ")
                && err.contains("needs Graphviz")
                && err.lines().count() == 1,
            "{err}"
        );
    }
}

#[test]
fn graphviz_draws_svg_png_and_pdf() {
    if graphviz_dot().is_none() {
        return;
    }
    let cpu = testdata("go/cpu.pprof");
    let svg = success(&run(&["-svg", &cpu]));
    assert!(svg.contains("Generated by graphviz"), "dot drew it");
    assert_whole_cpu_graph(&svg);
    let png = run(&["-png", &cpu]);
    assert!(png.status.success(), "{}", stderr(&png));
    assert!(png.stdout.starts_with(b"\x89PNG\r\n\x1a\n"));
    let dir = scratch("graphviz-pdf");
    let pdf = dir.join("cpu.pdf");
    success(&run(&["-pdf", "-output", pdf.to_str().unwrap(), &cpu]));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
}

/// A stand-in browser: a script that records the file it was asked to open.
fn fake_browser(dir: &Path) -> (PathBuf, PathBuf) {
    let script = dir.join("browser.sh");
    let record = dir.join("opened.txt");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1\" > '{}'\n", record.display()),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    (script, record)
}

fn web(dir: &Path, args: &[&str], browser: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oxprof"));
    cmd.args(args)
        .env("TMPDIR", dir)
        .env("OXPROF_TMPDIR", dir)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null());
    match browser {
        Some(b) => cmd.env("BROWSER", b),
        None => cmd.env_remove("BROWSER"),
    };
    cmd.output().expect("run oxprof")
}

#[test]
fn web_opens_the_page_in_browser_or_prints_where_it_is() {
    let dir = scratch("web");
    let (browser, record) = fake_browser(&dir);
    let cpu = testdata("go/cpu.pprof");

    let out = web(&dir, &["-web", &cpu], Some(&browser));
    assert!(out.status.success(), "{}", stderr(&out));
    let opened = std::fs::read_to_string(&record).expect("the browser was started");
    let page = std::fs::read_to_string(opened.trim()).expect("the page exists");
    assert!(opened.trim().ends_with(".svg"));
    assert_whole_cpu_graph(&page);

    // -no_browser, or no display and no $BROWSER: the path is printed instead.
    std::fs::remove_file(&record).unwrap();
    for (args, browser) in [
        (&["-web", "-no_browser", &cpu][..], Some(browser.as_path())),
        (&["-web", &cpu][..], None),
    ] {
        let out = web(&dir, args, browser);
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        let path = err
            .strip_prefix("Generating report in ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no path in {err:?}"));
        assert!(
            Path::new(path).starts_with(&dir) && Path::new(path).exists(),
            "{err}"
        );
        assert!(!record.exists(), "no browser was started");
    }

    // A browser that cannot start is a one-line error naming the page.
    let out = web(
        &dir,
        &["-web", &cpu],
        Some(Path::new("/nonexistent/browser")),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/browser"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn shell_draws_graphs() {
    let dir = scratch("shell-graphs");
    let (browser, record) = fake_browser(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .arg(testdata("go/cpu.pprof"))
        .current_dir(&dir)
        .env("TMPDIR", &dir)
        .env("OXPROF_TMPDIR", &dir)
        .env("BROWSER", &browser)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"nodecount=5\ndot\nsvg\ncallgrind\nweb\nhelp web\n")?;
            child.wait_with_output()
        })
        .expect("run the shell");
    let text = stdout(&out);
    assert!(text.contains("digraph \"cpuhot\""), "dot prints: {text}");
    assert!(text.contains("Showing top 5 nodes out of 54"));
    assert!(text.contains("Visualize graph through web browser"));
    // In the shell, SVG and callgrind go to numbered files, as pprof's do.
    let err = stderr(&out);
    assert!(err.contains("Generating report in profile001.svg"), "{err}");
    assert!(
        err.contains("Generating report in profile001.callgraph.out"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(dir.join("profile001.callgraph.out"))
            .unwrap()
            .starts_with("positions: instr line\n")
    );
    drawn(&std::fs::read_to_string(dir.join("profile001.svg")).unwrap());
    // web runs the browser in the background; give it time, even on a busy machine.
    for _ in 0..500 {
        if record.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(record.exists(), "web started the browser");
}
