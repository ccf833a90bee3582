//! Unwinding real signal contexts: through Rust without frame pointers, through a `dlopen`ed C
//! library, from garbage registers, and across session restarts.

pub(crate) mod alloc_counter;
mod capture;
mod fuzz;
mod sessions;
mod symbols;
mod through_dlopen;
mod through_rust;
