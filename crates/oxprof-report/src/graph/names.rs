//! Short function names for places with little room (graph nodes, flame graph frames): package
//! paths, Java packages and C++ namespaces dropped as pprof's `ShortenFunctionName` drops them.

use std::sync::LazyLock;

use regex::Regex;

/// Go regular expressions spell `\w` and `\d` as ASCII classes; these are written out so that
/// Unicode letters do not match where Go's would not.
const WORD: &str = "[0-9A-Za-z_]";

static CPP_ANONYMOUS_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\(anonymous namespace\)::").expect("valid regex"));
static GO_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$").expect("valid regex"));
static SHORTENERS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    let w = WORD;
    [
        // Go: the package path.
        r"^(?:[0-9A-Za-z_\-.]+/)+(.+)".to_string(),
        // Java: the package and the method arguments.
        format!(
            r"^(?:[a-z]{w}*\.)*([A-Z][0-9A-Za-z_$]*\.(?:<init>|[a-z][0-9A-Za-z_$]*(?:\$[0-9]+)?))(?:\(|$)"
        ),
        // C++: the namespaces, keeping template parameters.
        format!(r"^(?:[_a-zA-Z]{w}*::)+(_*[A-Z]{w}*::~?[_a-zA-Z]{w}*(?:<.*>)?)"),
    ]
    .map(|re| Regex::new(&re).expect("valid regex"))
});

/// `name` without what a reader can do without: Go package paths and module versions, Java
/// packages and arguments, C++ namespaces and the anonymous namespace (pprof's
/// `ShortenFunctionName`).
///
/// ```
/// use oxprof_report::graph::shorten_function_name;
/// assert_eq!(shorten_function_name("github.com/user/pkg/v2/sub.Func"), "sub.Func");
/// assert_eq!(shorten_function_name("com.example.Foo.bar(int)"), "Foo.bar");
/// assert_eq!(shorten_function_name("ns::inner::Class::method"), "Class::method");
/// assert_eq!(shorten_function_name("main.main"), "main.main");
/// ```
pub fn shorten_function_name(name: &str) -> String {
    let name = CPP_ANONYMOUS_PREFIX.replace(name, "");
    let name = GO_VERSION.replace(&name, "${1}${2}");
    for re in SHORTENERS.iter() {
        if let Some(caps) = re.captures(&name) {
            return caps
                .iter()
                .skip(1)
                .map(|m| m.map_or("", |m| m.as_str()))
                .collect();
        }
    }
    name.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expectations checked against pprof's regular expressions run by Go.
    #[test]
    fn shortens_as_pprof_does() {
        for (input, want) in [
            ("', ", "', "),
            ("main", "main"),
            ("main.main", "main.main"),
            ("pkg.Func", "pkg.Func"),
            ("github.com/blah/blah/vendor/pkg.Func", "pkg.Func"),
            (
                "github.com/blah/blah/vendor/pkg.Func.func1",
                "pkg.Func.func1",
            ),
            ("github.com/blah/blah/pkg/v3.Func", "pkg.Func"),
            ("github.com/blah/blah/v2/pkg.Func", "pkg.Func"),
            (
                "java.util.concurrent.ThreadPoolExecutor$Worker.run",
                "ThreadPoolExecutor$Worker.run",
            ),
            ("java.bar.foo.FooBar.run(java.lang.Runnable)", "FooBar.run"),
            ("(anonymous namespace)::Bar::Foo", "Bar::Foo"),
            ("(anonymous namespace)::foo", "foo"),
            ("foo_bar::Foo::bar", "Foo::bar"),
            (
                "cpp::namespace::Class::method()::$_100::operator()",
                "Class::method",
            ),
            ("foo", "foo"),
            (
                "com.google.perftools.gwp.benchmark.FloatBench.lambda$run$0",
                "FloatBench.lambda$run$0",
            ),
            ("java.bar.foo.FooBar.run$0", "FooBar.run$0"),
            ("alloc::vec::Vec<T>::push", "alloc::vec::Vec<T>::push"),
            ("\u{fb01}/x.y", "\u{fb01}/x.y"),
        ] {
            assert_eq!(shorten_function_name(input), want, "{input}");
        }
    }
}
