//! The `oxprof` command.
#![forbid(unsafe_code)]

fn main() {}
