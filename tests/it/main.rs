//! End-to-end tests of the `oxprof` binary, compiled as one test binary.
