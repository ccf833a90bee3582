//! The `oxprof` binary from the outside: flag spellings, help, errors and exit codes, the shell
//! driven through standard input, and fetching over HTTP from a server started by the test.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    process::{Command, Output, Stdio},
};

use crate::{oxprof, run, scratch, stderr, success, testdata};

/// Asserts a failure: exit status 2 and exactly one `oxprof: ` line on stderr, returned.
fn failure(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(
        err.starts_with("oxprof: ") && err.ends_with('\n'),
        "{err:?}"
    );
    err.trim_end().to_string()
}

#[test]
fn single_and_double_dash_spellings_give_the_same_report() {
    let cpu = testdata("go/cpu.pprof");
    let want = success(&run(&["-top", "-cum", "-nodecount=5", &cpu]));
    assert!(want.contains("Showing top 5 nodes out of"), "{want}");
    for args in [
        &["--top", "--cum", "--nodecount", "5", &cpu][..],
        &["-top", "-cum=true", "-nodecount", "5", &cpu],
        &[&cpu, "--nodecount=5", "-cum", "-top"],
    ] {
        assert_eq!(success(&run(args)), want, "{args:?}");
    }
}

#[test]
fn sample_shortcuts_match_sample_index() {
    let heap = testdata("go/heap.pprof");
    for (flag, index) in [
        ("-alloc_space", "alloc_space"),
        ("--inuse_objects", "inuse_objects"),
    ] {
        let by_flag = success(&run(&["-top", flag, &heap]));
        let by_index = success(&run(&["-top", &format!("-sample_index={index}"), &heap]));
        assert_eq!(by_flag, by_index);
        assert!(by_flag.contains(&format!("Type: {index}")), "{by_flag}");
    }
}

#[test]
fn help_lists_the_flags_with_descriptions() {
    for flag in ["-h", "--help", "-help"] {
        let help = success(&run(&[flag]));
        for line in [
            "    -top             Outputs top entries in text form",
            "    -nodecount       Max number of nodes to show",
            "    -sample_index    Sample value to report (0-based index or name)",
            "    -focus           Restricts to samples going through a node matching regexp",
            "      -cum             Sort entries based on cumulative weight",
            "    -diff_base       Source of profile to use as baseline for comparison",
            "    -alloc_space     Display allocated memory size",
        ] {
            assert!(help.contains(line), "{flag}: missing {line:?} in\n{help}");
        }
        assert!(
            !help.contains("-tools"),
            "unavailable formats are not advertised"
        );
    }
}

#[test]
fn errors_are_one_line_with_status_2() {
    let cpu = testdata("go/cpu.pprof");
    let not_a_profile = testdata("README.md");
    let cases: &[(&[&str], &str)] = &[
        (
            &["-top", "/nonexistent/cpu.pprof"],
            "oxprof: /nonexistent/cpu.pprof: no such file or directory",
        ),
        (
            &["-top", "-nosuch", &cpu],
            "oxprof: unknown flag -nosuch (oxprof -h lists the flags)",
        ),
        (
            &["-tools=objdump", &cpu],
            "oxprof: -tools is not available in oxprof yet",
        ),
        (
            &["-top", "-traces", &cpu],
            "oxprof: must set at most one output format",
        ),
        (&["-top"], "oxprof: no profile source specified"),
        (
            &["-top", "-nodecount=many", &cpu],
            "oxprof: invalid integer value \"many\" for nodecount",
        ),
        (
            &["-top", "-focus=(", &cpu],
            "oxprof: parsing focus regexp \"(\": unclosed group",
        ),
        (
            &["-peek=(", &cpu],
            "oxprof: parsing argument regexp (: unclosed group",
        ),
        (
            &["-top", "-divide_by=0", &cpu],
            "oxprof: zero divisor specified",
        ),
        (
            &["-top", "-symbolize=remote", &cpu],
            "oxprof: -symbolize=remote is not available in oxprof yet",
        ),
        (
            &["-top", "-symbolize=local:bogus", &cpu],
            "oxprof: unrecognized -symbolize option \"bogus\"",
        ),
        (
            &["-top", "-normalize", &cpu],
            "oxprof: must have base profile to normalize by",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(failure(&run(args)), *want, "{args:?}");
    }
    let err = failure(&run(&["-top", "-sample_index=nosuch", &cpu]));
    assert!(err.contains("nosuch"), "{err}");
    let err = failure(&run(&["-top", &not_a_profile]));
    assert!(
        err.starts_with(&format!("oxprof: {not_a_profile}: ")),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_is_a_normal_end() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxprof"))
        .args(["-raw", &testdata("pprof-upstream/large.cpu")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    // The reader is gone now; the rest of the report hits a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "status {:?}, stderr {}",
        out.status,
        stderr(&out)
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn several_sources_merge_and_bases_subtract() {
    let cpu = testdata("go/cpu.pprof");
    let one = success(&run(&["-top", &cpu]));
    let two = success(&run(&["-top", &cpu, &cpu]));
    assert!(
        one.contains("     2.28s 39.72% 39.72%      2.30s 40.07%  main.hot"),
        "{one}"
    );
    assert!(
        two.contains("     4.56s 39.72% 39.72%      4.60s 40.07%  main.hot"),
        "{two}"
    );
    let zero = success(&run(&["-top", "-base", &cpu, &cpu]));
    assert!(
        zero.contains("Showing nodes accounting for 0, 0% of 0 total"),
        "{zero}"
    );
    // go tool pprof prints the same, percentages relative to the base.
    let diff = success(&run(&["-top", "-diff_base", &cpu, &cpu, &cpu]));
    assert!(
        diff.contains("     2.28s 39.72% 39.72%      2.30s 40.07%  main.hot"),
        "{diff}"
    );
}

#[test]
fn add_comment_reaches_the_comments_report() {
    let cpu = testdata("go/cpu.pprof");
    let out = success(&run(&[
        "-comments",
        "-add_comment",
        "run 42 on host a",
        &cpu,
    ]));
    assert!(out.lines().any(|l| l == "run 42 on host a"), "{out}");
    let none = success(&run(&["-comments", "-symbolize=none", &cpu]));
    assert!(!none.contains("run 42"), "{none}");
}

#[test]
fn proto_output_round_trips() {
    let tmp = scratch("proto");
    let cpu = testdata("go/cpu.pprof");
    let saved = tmp.join("out.pb.gz");
    let out = oxprof(
        &tmp,
        &[
            "-proto",
            "-focus=main",
            "-output",
            saved.to_str().unwrap(),
            &cpu,
        ],
        "",
    );
    success(&out);
    assert_eq!(
        stderr(&out),
        format!("Generating report in {}\n", saved.display())
    );
    let again = success(&run(&["-top", saved.to_str().unwrap()]));
    // The saved profile holds only the focused samples: compare with percentages of those.
    let direct = success(&run(&[
        "-top",
        "-focus=main",
        "-relative_percentages",
        &cpu,
    ]));
    let tail = |s: &str| {
        s.lines()
            .skip_while(|l| !l.starts_with("      flat"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(tail(&again), tail(&direct));
}

#[test]
fn the_shell_reads_commands_from_stdin() {
    let tmp = scratch("shell");
    let heap = testdata("go/heap.pprof");
    let script = "top\nsample_index=alloc_space\ntop1 -cum\nfocus=mapHeavy\ntop\n:\ntop\nnodecount 3\nfrobnicate\noptions\nquit\ntop\n";
    let out = oxprof(&tmp, &[&heap], script);
    let text = success(&out);
    let reports: Vec<&str> = text.split("Showing nodes accounting for").collect();
    assert_eq!(
        reports.len(),
        5,
        "four reports, then quit stops the rest:\n{text}"
    );
    assert!(
        reports[0].starts_with("File: cpuhot\nType: inuse_space\n"),
        "{text}"
    );
    assert!(
        reports[0].ends_with(
            "Entering interactive mode (type \"help\" for commands, \"o\" for options)\n"
        ),
        "{text}"
    );
    // Interactive reports have no File/Type header.
    assert!(
        reports[1].starts_with(" 13782.12kB, 100% of 13782.12kB total\n"),
        "{}",
        reports[1]
    );
    assert!(!reports[1].contains("Type:"), "{}", reports[1]);
    // top1 -cum: one entry, the one with the largest cumulative value.
    assert!(
        reports[2].contains("Showing top 1 nodes out of 2\n"),
        "{}",
        reports[2]
    );
    assert!(
        reports[2].contains("  main.main.func1\n") && !reports[2].contains("main.mapHeavy"),
        "{}",
        reports[2]
    );
    assert!(
        reports[2].ends_with("Active filters:\n   focus=mapHeavy\n"),
        "{}",
        reports[2]
    );
    assert!(
        reports[3].contains("83.73%  main.mapHeavy\n") && !reports[3].contains("Active filters"),
        "{}",
        reports[3]
    );
    // `:` cleared the focus: the last report is unfiltered again.
    assert!(
        reports[4].contains("  main.main.func1\n") && reports[4].contains("  main.mapHeavy\n"),
        "{}",
        reports[4]
    );
    assert!(text.contains(
        "  sample_index              = alloc_space          //: [alloc_objects | alloc_space | inuse_objects | inuse_space]\n"
    ));
    assert_eq!(
        stderr(&out),
        "did you mean: nodecount=3\nunrecognized command: \"frobnicate\"\n"
    );
    let history = std::fs::read_to_string(tmp.join(".oxprof_history")).expect("history saved");
    assert!(history.contains("sample_index=alloc_space"), "{history}");
}

#[test]
fn the_shell_ends_at_end_of_input() {
    let out = oxprof(
        &scratch("eof"),
        &[&testdata("go/cpu.pprof")],
        "peek main\\.hot$\n",
    );
    let text = success(&out);
    assert!(text.contains("main.hot"), "{text}");
    assert_eq!(stderr(&out), "");
}

/// A tiny HTTP server on 127.0.0.1 answering each request by its path; returns `host:port`.
fn serve(routes: fn(&str) -> (u16, &'static str, Vec<u8>)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer(stream, routes);
        }
    });
    addr
}

fn answer(mut stream: TcpStream, routes: fn(&str) -> (u16, &'static str, Vec<u8>)) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let (status, content_type, body) = routes(&path);
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nX-Go-Pprof: 1\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&body));
}

fn profile_server(path: &str) -> (u16, &'static str, Vec<u8>) {
    match path {
        "/debug/pprof/profile?seconds=1" => {
            let mut data = Vec::new();
            std::fs::File::open(testdata("go/cpu.pprof"))
                .unwrap()
                .read_to_end(&mut data)
                .unwrap();
            (200, "application/octet-stream", data)
        }
        "/debug/pprof/heap" => (
            404,
            "text/plain; charset=utf-8",
            b"Unknown profile\n".to_vec(),
        ),
        _ => (
            500,
            "text/plain",
            format!("unexpected path {path}\nsecond line").into_bytes(),
        ),
    }
}

#[test]
fn profiles_fetched_over_http_are_reported_and_saved() {
    let addr = serve(profile_server);
    let tmp = scratch("http");
    let out = oxprof(&tmp, &["-top", "-seconds=1", &addr], "");
    let text = success(&out);
    let local = success(&run(&["-top", &testdata("go/cpu.pprof")]));
    assert_eq!(text, local);
    let saved = tmp.join("pprof.cpuhot.samples.cpu.001.pb.gz");
    assert_eq!(
        stderr(&out),
        format!(
            "Fetching profile over HTTP from http://{addr}/debug/pprof/profile?seconds=1\nPlease wait... (1s)\nSaved profile in {}\n",
            saved.display()
        )
    );
    assert_eq!(success(&run(&["-top", saved.to_str().unwrap()])), local);
    // A second fetch takes the next number.
    success(&oxprof(
        &tmp,
        &[
            "-top",
            &format!("http://{addr}/debug/pprof/profile?seconds=1"),
        ],
        "",
    ));
    assert!(tmp.join("pprof.cpuhot.samples.cpu.002.pb.gz").is_file());
}

/// Asserts a failed fetch: the fetch notice, then one `oxprof: ` error line, returned.
fn fetch_failure(out: &Output, url: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    let rest = err
        .strip_prefix(&format!("Fetching profile over HTTP from {url}\n"))
        .unwrap_or_else(|| panic!("no fetch notice for {url}: {err:?}"));
    assert_eq!(rest.lines().count(), 1, "one error line expected: {err:?}");
    assert!(
        rest.starts_with("oxprof: ") && rest.ends_with('\n'),
        "{err:?}"
    );
    rest.trim_end().to_string()
}

#[test]
fn server_errors_show_the_servers_text() {
    let addr = serve(profile_server);
    let heap = format!("http://{addr}/debug/pprof/heap");
    let err = fetch_failure(&run(&["-top", &heap]), &heap);
    assert_eq!(
        err,
        format!("oxprof: {heap}: server response: 404 Not Found - Unknown profile")
    );
    let other = format!("http://{addr}/other");
    let err = fetch_failure(&run(&["-top", &format!("{addr}/other")]), &other);
    assert_eq!(
        err,
        format!("oxprof: {other}: server response: 500 Internal Server Error - unexpected path /other second line")
    );
    // Nothing listens on port 1.
    let closed = "http://127.0.0.1:1/debug/pprof/profile";
    let err = fetch_failure(&run(&["-top", "-timeout=2", closed]), closed);
    assert!(
        err.starts_with(&format!("oxprof: http fetch {closed}: ")),
        "{err}"
    );
}
