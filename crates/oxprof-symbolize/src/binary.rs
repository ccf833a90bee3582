//! [`Binary`]: the object file of one profile mapping opened for reading its code, as the
//! assembly listings need it: function symbols, source frames at any address, and the
//! instructions themselves ([`Binary::disassemble`]).
//!
//! It is found as [`Symbolizer::symbolize`] finds objects (a given binary, the search
//! directories, the mapping's path), but a file of another build is never used: when nothing
//! with the mapping's build id is found, opening fails and says which files were passed over.

use std::path::{Path, PathBuf};

use oxprof_profile::Mapping;

use crate::address::to_svma;
use crate::demangle::Demangle;
use crate::elf::Object;
use crate::error::{Error, ErrorKind, Result};
use crate::loader::Loaded;
use crate::locate::{self, SearchPath};
use crate::resolve::Sources;
use crate::symbolizer::{given_for, Symbolizer};

/// A function symbol of a [`Binary`], with object addresses.
///
/// ```
/// let f = oxprof_symbolize::FunctionSymbol { name: "app::main".into(), linkage_name: "_ZN3app4main17h0123456789abcdefE".into(), start: 0x1000, end: 0x1040 };
/// assert_eq!(f.end - f.start, 0x40);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSymbol {
    /// The name profiles show (demangled as the symbolizer demangles).
    pub name: String,
    /// The name in the symbol table.
    pub linkage_name: String,
    /// First address.
    pub start: u64,
    /// Address just past the end: the symbol's size, or the next symbol when it has none.
    pub end: u64,
}

/// One source frame at an address of a [`Binary`].
///
/// ```
/// let f = oxprof_symbolize::SourceFrame { function: "app::main".into(), file: "src/main.rs".into(), line: 4 };
/// assert_eq!(f.line, 4);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceFrame {
    /// Function, named as profiles name it.
    pub function: String,
    /// Source file, empty when unknown.
    pub file: String,
    /// Line, 0 when unknown.
    pub line: u32,
}

/// The object file of a mapping, opened with [`Symbolizer::open_binary`].
pub struct Binary {
    path: PathBuf,
    /// The file's bytes, which hold the code.
    pub(crate) data: Vec<u8>,
    pub(crate) object: Loaded,
    debug_file: Option<Loaded>,
    mapping: Mapping,
    demangle: Demangle,
    symbols: Vec<FunctionSymbol>,
}

impl Symbolizer {
    /// Opens the object file of `mapping` (`main` for the profile's first mapping, which a
    /// binary given with [`with_binary`](Self::with_binary) stands for) for reading its code:
    /// a given binary, then the search directories, then the mapping's own path, as
    /// [`symbolize`](Self::symbolize) looks. Only a file with the mapping's build id is used.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BuildIdMismatch`] when a given binary is of another build,
    /// [`ErrorKind::NotFound`] (naming the files passed over and why) when nothing matches,
    /// and the errors of reading or parsing the file found.
    ///
    /// ```
    /// use oxprof_profile::Mapping;
    /// let exe = std::env::current_exe()?;
    /// let mapping = Mapping { id: 1, filename: exe.to_string_lossy().into(), ..Default::default() };
    /// let binary = oxprof_symbolize::Symbolizer::new().open_binary(&mapping, true)?;
    /// assert_eq!(binary.path(), exe);
    /// let missing = Mapping { id: 1, filename: "/nonexistent/app".into(), build_id: "abcd".into(), ..Default::default() };
    /// let err = oxprof_symbolize::Symbolizer::new().open_binary(&missing, true).err().unwrap();
    /// assert!(err.to_string().starts_with("no object file found for mapping /nonexistent/app (build id abcd)"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_binary(&self, mapping: &Mapping, main: bool) -> Result<Binary> {
        let given = self.load_given()?;
        let index = if main { 0 } else { usize::MAX };
        let mut passed_over = Vec::new();
        let search_path = SearchPath::new(&self.search_path);
        let chosen = given_for(&given, index, mapping)?.map(|f| f.path.clone());
        let found = match given.into_iter().find(|g| Some(&g.path) == chosen.as_ref()) {
            Some(found) => found,
            None => search_path
                .find(mapping, &mut passed_over)
                .or_else(|| locate::at_mapping_path(mapping, &mut passed_over))
                .ok_or_else(|| {
                    let mut name = if mapping.filename.is_empty() {
                        "<unnamed>".to_string()
                    } else {
                        mapping.filename.clone()
                    };
                    if let Some(id) = locate::mapping_build_id(mapping) {
                        name = format!("{name} (build id {id})");
                    }
                    Error::new(ErrorKind::NotFound {
                        mapping: name,
                        passed_over,
                    })
                })?,
        };
        let data = std::fs::read(&found.path).map_err(|e| Error::unreadable(&found.path, e))?;
        let debug_file = match (&found.object.debug_info, &found.object.build_id) {
            (None, Some(id)) => search_path.debug_file(id),
            _ => None,
        };
        let symbols = function_symbols(&found.object, self.demangle);
        Ok(Binary {
            path: found.path,
            data,
            object: found.object,
            debug_file,
            mapping: mapping.clone(),
            demangle: self.demangle,
            symbols,
        })
    }
}

impl Binary {
    /// Where the object was found.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The object address of profile address `address`, `None` when it lies outside the
    /// mapping's range.
    ///
    /// ```
    /// # use oxprof_profile::Mapping;
    /// # let exe = std::env::current_exe()?;
    /// # let binary = oxprof_symbolize::Symbolizer::new().open_binary(&Mapping { id: 1, filename: exe.to_string_lossy().into(), ..Default::default() }, true)?;
    /// // A mapping without a range stands for addresses as the file states them.
    /// assert_eq!(binary.object_address(0x1234), Some(0x1234));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn object_address(&self, address: u64) -> Option<u64> {
        let m = &self.mapping;
        let ranged = m.memory_start != 0 || m.memory_limit != 0;
        if ranged && !(m.memory_start..m.memory_limit).contains(&address) {
            return None;
        }
        Some(to_svma(
            address,
            m,
            &self.object.segments,
            self.object.is_fixed_address,
        ))
    }

    /// The object's function symbols, by address.
    pub fn symbols(&self) -> &[FunctionSymbol] {
        &self.symbols
    }

    /// The source frames at object address `address`, innermost inlined callee first; empty
    /// when neither DWARF nor the symbol tables describe it.
    pub fn frames(&self, address: u64) -> Vec<SourceFrame> {
        let sources = Sources {
            object: &self.object,
            debug_file: self.debug_file.as_deref(),
        };
        sources
            .frames(address, &mut 0)
            .iter()
            .map(|f| SourceFrame {
                function: f.display_name(self.demangle),
                file: f.file.clone(),
                line: f.line,
            })
            .collect()
    }

    /// The function symbol containing object address `address`.
    pub fn symbol_at(&self, address: u64) -> Option<&FunctionSymbol> {
        let index = self
            .symbols
            .partition_point(|s| s.start <= address)
            .checked_sub(1)?;
        let symbol = &self.symbols[index];
        (address < symbol.end).then_some(symbol)
    }
}

/// The object's code symbols with ends: a symbol without a size ends where the next begins.
fn function_symbols(object: &Object, demangle: Demangle) -> Vec<FunctionSymbol> {
    let entries: Vec<(u64, u64, &str)> = object.symbols.entries().collect();
    entries
        .iter()
        .enumerate()
        .map(|(i, &(start, size, name))| {
            let next = entries.get(i + 1).map_or(u64::MAX, |e| e.0);
            let end = if size > 0 {
                start.saturating_add(size)
            } else {
                next
            };
            FunctionSymbol {
                name: demangle.apply(name),
                linkage_name: name.to_string(),
                start,
                end,
            }
        })
        .collect()
}
