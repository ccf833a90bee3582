//! Addresses to functions, files, lines and inline chains for ELF objects, and demangling.
#![deny(missing_docs)]
