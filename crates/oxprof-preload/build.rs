//! Links the library with `-z defs`: a symbol left undefined (one the assembly of an
//! initial-exec thread-local names, say) fails the build instead of the profiled program's
//! start.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,defs");
    }
}
