//! The `dot` report against `go tool pprof -dot`: the bundled golden compared as a graph (nodes,
//! edges, their labels and attributes, so a failure names what differs) and byte for byte.

mod goldens;

use std::collections::BTreeMap;

use goldens::{assert_golden, load, TESTDATA};
use oxprof_profile::Granularity;
use oxprof_report::dot::write_dot;
use oxprof_report::Options;

fn dot(profile: &str, options: &Options) -> String {
    let p = load(profile, Granularity::Functions);
    let options = Options {
        sample_index: p.sample_index("").expect("default sample index"),
        ..options.clone()
    };
    let mut out = Vec::new();
    write_dot(&mut out, &p, &options).expect("dot succeeds");
    String::from_utf8(out).expect("utf-8")
}

type Attrs = BTreeMap<String, String>;

/// A DOT graph as pprof writes it: named nodes and edges with their attributes.
#[derive(Debug, Default)]
struct Parsed {
    name: String,
    nodes: BTreeMap<String, Attrs>,
    edges: BTreeMap<(String, String), Attrs>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Punct(&'static str),
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            s.push('\\');
                            s.extend(chars.next());
                        }
                        '"' => break,
                        c => s.push(c),
                    }
                }
                out.push(Token::Quoted(s));
            }
            '[' | ']' | '{' | '}' | '=' => {
                chars.next();
                out.push(Token::Punct(match c {
                    '[' => "[",
                    ']' => "]",
                    '{' => "{",
                    '}' => "}",
                    _ => "=",
                }));
            }
            '-' => {
                chars.next();
                assert_eq!(chars.next(), Some('>'), "only directed edges");
                out.push(Token::Punct("->"));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "[]{}=\"".contains(c) {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push(Token::Word(s));
            }
        }
    }
    out
}

fn text_of(t: &Token) -> String {
    match t {
        Token::Word(s) | Token::Quoted(s) => s.clone(),
        Token::Punct(p) => panic!("expected an identifier, found {p}"),
    }
}

/// Parses the statements pprof writes: `digraph "name" {`, `node [...]` defaults, the legend
/// subgraph, `id [attrs]` and `id -> id [attrs]`.
fn parse(text: &str) -> Parsed {
    let t = tokens(text);
    let mut g = Parsed::default();
    assert_eq!(t[0], Token::Word("digraph".into()));
    g.name = text_of(&t[1]);
    let mut i = 3;
    let attrs = |i: &mut usize| -> Attrs {
        let mut a = Attrs::new();
        if t.get(*i) != Some(&Token::Punct("[")) {
            return a;
        }
        *i += 1;
        while t[*i] != Token::Punct("]") {
            let key = text_of(&t[*i]);
            assert_eq!(t[*i + 1], Token::Punct("="), "attribute {key} has a value");
            a.insert(key, text_of(&t[*i + 2]));
            *i += 3;
        }
        *i += 1;
        a
    };
    while i < t.len() {
        match &t[i] {
            Token::Punct("}") => i += 1,
            Token::Word(w) if w == "node" => {
                // Defaults for every node.
                i += 1;
                attrs(&mut i);
            }
            Token::Word(w) if w == "subgraph" => {
                // subgraph cluster_L { "legend" [attrs] }
                let id = text_of(&t[i + 3]);
                i += 4;
                let a = attrs(&mut i);
                g.nodes.insert(id, a);
            }
            _ => {
                let src = text_of(&t[i]);
                i += 1;
                if t.get(i) == Some(&Token::Punct("->")) {
                    let dest = text_of(&t[i + 1]);
                    i += 2;
                    let a = attrs(&mut i);
                    g.edges.insert((src, dest), a);
                } else {
                    let a = attrs(&mut i);
                    g.nodes.insert(src, a);
                }
            }
        }
    }
    g
}

/// Asserts the same nodes and edges with the same attributes, naming the first difference.
fn assert_same_graph(got: &Parsed, want: &Parsed) {
    assert_eq!(got.name, want.name, "graph name");
    let names = |m: &BTreeMap<String, Attrs>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&got.nodes), names(&want.nodes), "node set");
    for (name, attrs) in &want.nodes {
        assert_eq!(&got.nodes[name], attrs, "attributes of node {name}");
    }
    let edges = |m: &BTreeMap<(String, String), Attrs>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(edges(&got.edges), edges(&want.edges), "edge set");
    for (edge, attrs) in &want.edges {
        assert_eq!(&got.edges[edge], attrs, "attributes of edge {edge:?}");
    }
}

#[test]
fn cpu_dot_has_the_goldens_nodes_edges_weights_and_labels() {
    let want = std::fs::read_to_string(format!("{TESTDATA}/go/golden/cpu.dot.txt")).unwrap();
    let want = parse(&want);
    let got = parse(&dot("go/cpu.pprof", &Options::default()));
    assert_eq!(want.nodes.len(), 55, "the golden's 54 nodes and its legend");
    assert_eq!(want.edges.len(), 64);
    assert_eq!(
        want.nodes["N2"]["label"],
        "runtime\\nmapassign_fast64\\n1.29s (22.47%)\\nof 2.94s (51.22%)"
    );
    assert_same_graph(&got, &want);
}

#[test]
fn cpu_dot_matches_the_golden_byte_for_byte() {
    assert_golden(
        "go/golden/cpu.dot.txt",
        dot("go/cpu.pprof", &Options::default()).as_bytes(),
    );
}

#[test]
fn node_count_limits_the_drawing() {
    let options = Options {
        node_count: Some(5),
        ..Options::default()
    };
    let g = parse(&dot("go/cpu.pprof", &options));
    let functions = g.nodes.keys().filter(|n| n.starts_with('N')).count();
    assert_eq!(functions, 5);
    let legend = g.nodes.keys().find(|n| n.starts_with("File")).unwrap();
    assert!(g.nodes[legend]["label"].contains("Showing top 5 nodes out of 54"));
    for (src, dest) in g.edges.keys() {
        assert!(g.nodes.contains_key(src) && g.nodes.contains_key(dest));
    }
}
