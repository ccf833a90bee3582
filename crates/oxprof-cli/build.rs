//! Builds `liboxprof_preload.so` (crates/oxprof-preload) and embeds it in the binaries, so that
//! `oxprof record` and `cargo oxprof` work after a plain `cargo install`, which installs
//! binaries only. The library is built by a cargo of its own, in release mode, into a target
//! directory beside this build's (`<target>/<profile>/oxprof-preload`), where later builds
//! find it up to date; `src/record/library.rs` writes it out to a cache directory on first use.
//!
//! Debug information is left out of the library (its symbols stay): the preload's own frames
//! are cut from the profiles by name, and the binaries carry its bytes. It is built with fat
//! LTO: every `malloc` and `free` of the profiled program runs through it.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let embedded = out_dir.join("liboxprof_preload.so");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        // `record` is Linux-only; elsewhere the binaries carry nothing.
        std::fs::write(&embedded, b"").expect("write an empty placeholder");
        println!("cargo:rustc-env=OXPROF_PRELOAD_HASH=none");
        return;
    }
    let crates = Path::new(&env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .parent()
        .expect("crates/")
        .to_path_buf();
    for watched in [
        "oxprof-preload/src",
        "oxprof-preload/build.rs",
        "oxprof-preload/Cargo.toml",
        "oxprof/src",
        "oxprof/Cargo.toml",
        "oxprof-profile/src",
        "oxprof-profile/Cargo.toml",
        "oxprof-symbolize/src",
        "oxprof-symbolize/Cargo.toml",
        "../Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", crates.join(watched).display());
    }
    let target = env::var("TARGET").expect("cargo sets TARGET");
    // OUT_DIR is <target>/<profile>/build/oxprof-cli-<hash>/out (with a triple after
    // <target> when cross-compiling).
    let target_dir = out_dir
        .ancestors()
        .nth(3)
        .expect("OUT_DIR is inside a target directory")
        .join("oxprof-preload");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--lib",
            "--target",
            &target,
            "--manifest-path",
        ])
        .arg(crates.join("oxprof-preload/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .args([
            "--config",
            "profile.release.debug=false",
            "--config",
            "profile.release.strip=\"debuginfo\"",
            // One module: the oxprof crate's statics the allocation path reads become direct
            // loads instead of loads through the GOT, and its out-of-line paths tail calls.
            "--config",
            "profile.release.lto=\"fat\"",
            "--config",
            "profile.release.codegen-units=1",
        ])
        // A `cargo clippy` of this crate sets a wrapper for the workspace's crates; the
        // library is built, not linted, here.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("run cargo to build liboxprof_preload.so");
    assert!(
        status.success(),
        "building liboxprof_preload.so failed ({status}); see the cargo output above"
    );
    let built = target_dir
        .join(&target)
        .join("release/liboxprof_preload.so");
    let bytes =
        std::fs::read(&built).unwrap_or_else(|e| panic!("reading {}: {e}", built.display()));
    std::fs::write(&embedded, &bytes).expect("copy the library into OUT_DIR");
    println!("cargo:rustc-env=OXPROF_PRELOAD_HASH={:016x}", fnv1a(&bytes));
}

/// A 64-bit FNV-1a hash of the library: it names the cached copy, so two different builds
/// never share one.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
