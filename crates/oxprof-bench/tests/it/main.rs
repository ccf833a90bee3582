//! oxprof-bench end to end: exact allocation counts, the output read back through
//! oxprof-benchfmt, -json, flag errors, -timeout, and the profile flags.
//!
//! One binary without libtest, running each check in turn: allocation counts and CPU profiles
//! cover the whole process, so no other test may run beside them.

#[global_allocator]
static ALLOC: oxprof::heap::Profiled = oxprof::heap::Profiled::system();

mod allocs;
mod cli;
mod output;
mod profiles;
mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};

type Check = (&'static str, fn());

const CHECKS: &[Check] = &[
    (
        "allocs::none_one_and_three_per_iteration",
        allocs::none_one_and_three_per_iteration,
    ),
    (
        "allocs::classic_loop_and_stopped_timer",
        allocs::classic_loop_and_stopped_timer,
    ),
    (
        "allocs::parallel_workers_count",
        allocs::parallel_workers_count,
    ),
    (
        "allocs::benchmem_columns_are_exact",
        allocs::benchmem_columns_are_exact,
    ),
    (
        "output::parses_back_through_benchfmt",
        output::parses_back_through_benchfmt,
    ),
    (
        "output::names_and_alignment_as_go",
        output::names_and_alignment_as_go,
    ),
    (
        "output::json_events_carry_the_text",
        output::json_events_carry_the_text,
    ),
    (
        "output::failures_are_reported_and_others_run",
        output::failures_are_reported_and_others_run,
    ),
    (
        "output::cargo_test_runs_each_once",
        output::cargo_test_runs_each_once,
    ),
    (
        "cli::flag_errors_exit_2_with_usage",
        cli::flag_errors_exit_2_with_usage,
    ),
    (
        "cli::timeout_exits_2_naming_the_benchmark",
        cli::timeout_exits_2_naming_the_benchmark,
    ),
    (
        "profiles::cpuprofile_is_dominated_by_the_benchmark",
        profiles::cpuprofile_is_dominated_by_the_benchmark,
    ),
    (
        "profiles::memprofile_names_the_allocations",
        profiles::memprofile_names_the_allocations,
    ),
    (
        "profiles::block_and_mutex_profiles_are_written",
        profiles::block_and_mutex_profiles_are_written,
    ),
    (
        "profiles::trace_covers_the_run",
        profiles::trace_covers_the_run,
    ),
];

fn main() {
    if let Some(scenario) = cli::child_scenario() {
        scenario();
        return;
    }
    // `cargo test -- FILTER`: run the checks whose name contains FILTER.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut failed = Vec::new();
    for (name, check) in CHECKS {
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let outcome = catch_unwind(AssertUnwindSafe(check));
        println!(
            "test {name} ... {}",
            if outcome.is_ok() { "ok" } else { "FAILED" }
        );
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    if !failed.is_empty() {
        println!("\nfailures: {failed:?}");
        std::process::exit(1);
    }
}
