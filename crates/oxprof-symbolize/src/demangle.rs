//! Mangled linkage names to readable ones: Rust (legacy and v0) and C++ (Itanium ABI).
//!
//! Rust is tried first because legacy Rust symbols are also valid-looking Itanium names
//! (`_ZN...E`), and the C++ demangler would keep the `h0123...` hash segment as a name part.

use cpp_demangle::{DemangleOptions, Symbol};

/// How much of a mangled name to keep, mirroring pprof's `-symbolize=demangle=` modes.
///
/// ```
/// use oxprof_symbolize::Demangle;
/// let rust = "_ZN5alloc3vec16Vec$LT$T$C$A$GT$4push17h0123456789abcdefE";
/// assert_eq!(Demangle::Simplified.apply(rust), "alloc::vec::Vec<T,A>::push");
/// assert_eq!(Demangle::Full.apply(rust), "alloc::vec::Vec<T,A>::push::h0123456789abcdef");
/// assert_eq!(Demangle::None.apply(rust), rust);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Demangle {
    /// Readable names without noise: Rust without the hash suffix, C++ without parameter lists
    /// and return types (template arguments are kept).
    #[default]
    Simplified,
    /// Everything the mangled name encodes: Rust with its hash, C++ with parameters.
    Full,
    /// The name as the object file has it.
    None,
}

impl Demangle {
    /// Demangles `name` in this mode; names that are not mangled come back unchanged.
    ///
    /// ```
    /// use oxprof_symbolize::Demangle;
    /// assert_eq!(Demangle::Full.apply("_ZN3foo3barEi"), "foo::bar(int)");
    /// assert_eq!(Demangle::Simplified.apply("_ZN3foo3barEi"), "foo::bar");
    /// assert_eq!(Demangle::Simplified.apply("main"), "main");
    /// ```
    pub fn apply(self, name: &str) -> String {
        if self == Demangle::None {
            return name.to_owned();
        }
        if let Ok(rust) = rustc_demangle::try_demangle(name) {
            return match self {
                Demangle::Full => rust.to_string(),
                _ => format!("{rust:#}"),
            };
        }
        self.cpp(name).unwrap_or_else(|| name.to_owned())
    }

    fn cpp(self, name: &str) -> Option<String> {
        // Only Itanium-mangled names; anything else (C names, `main`) would be misread as a
        // nested type name by the permissive parser.
        if !name.starts_with("_Z") {
            return None;
        }
        let symbol = Symbol::new(name).ok()?;
        let options = match self {
            Demangle::Full => DemangleOptions::new(),
            _ => DemangleOptions::new().no_params().no_return_type(),
        };
        symbol.demangle_with_options(&options).ok()
    }
}

/// Demangles a Rust or C++ symbol name the way profiles show it ([`Demangle::Simplified`]):
/// Rust paths without the hash, C++ names without parameters. Other names are returned as they are.
///
/// ```
/// use oxprof_symbolize::demangle;
/// assert_eq!(
///     demangle("_ZN5alloc3vec16Vec$LT$T$C$A$GT$4push17h0123456789abcdefE"),
///     "alloc::vec::Vec<T,A>::push"
/// );
/// assert_eq!(demangle("_RNvCs1234_7mycrate3foo"), "mycrate::foo");
/// assert_eq!(demangle("_ZNSt6vectorIiSaIiEE9push_backERKi"), "std::vector<int, std::allocator<int> >::push_back");
/// assert_eq!(demangle("memcpy"), "memcpy");
/// ```
pub fn demangle(name: &str) -> String {
    Demangle::Simplified.apply(name)
}
