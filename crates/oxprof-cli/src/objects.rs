//! The binaries behind `disasm` and `weblist`: oxprof-report's [`ObjectTool`] over
//! oxprof-symbolize's [`Binary`], found as symbolization finds objects (`$OXPROF_BINARY_PATH`,
//! `~/oxprof/binaries`, the mapping's path, which a `[binary]` argument has replaced), and only
//! ever of the mapping's build.

use std::ffi::OsString;
use std::io;
use std::path::Path;

use oxprof_profile::Mapping;
use oxprof_report::objects::{Frame, Instruction, ObjectFile, ObjectTool, Symbol, Syntax};
use oxprof_symbolize::{AsmSyntax, Binary, Symbolizer};

/// Directories searched for binaries: `$OXPROF_BINARY_PATH`, else `~/oxprof/binaries`.
pub(crate) fn binary_search_path() -> Option<OsString> {
    std::env::var_os("OXPROF_BINARY_PATH")
        .filter(|p| !p.is_empty())
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join("oxprof/binaries").into()))
}

/// Opens mappings' binaries with a symbolizer's search rules.
pub(crate) struct Binaries {
    symbolizer: Symbolizer,
}

impl Binaries {
    pub(crate) fn new() -> Binaries {
        let mut symbolizer = Symbolizer::new();
        if let Some(list) = binary_search_path() {
            symbolizer = symbolizer.with_search_path_list(&list);
        }
        Binaries { symbolizer }
    }
}

impl ObjectTool for Binaries {
    fn open(&mut self, mapping: &Mapping) -> io::Result<Box<dyn ObjectFile>> {
        let binary = self
            .symbolizer
            .open_binary(mapping, false)
            .map_err(io::Error::other)?;
        let symbols = binary
            .symbols()
            .iter()
            .map(|s| Symbol {
                name: s.name.clone(),
                linkage_name: s.linkage_name.clone(),
                start: s.start,
                end: s.end,
            })
            .collect();
        Ok(Box::new(OpenBinary { binary, symbols }))
    }
}

struct OpenBinary {
    binary: Binary,
    symbols: Vec<Symbol>,
}

impl ObjectFile for OpenBinary {
    fn object_address(&self, address: u64) -> Option<u64> {
        self.binary.object_address(address)
    }

    fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    fn disassemble(&self, start: u64, end: u64, syntax: Syntax) -> io::Result<Vec<Instruction>> {
        let syntax = match syntax {
            Syntax::Att => AsmSyntax::Att,
            Syntax::Intel => AsmSyntax::Intel,
        };
        let code = self
            .binary
            .disassemble(start, end, syntax)
            .map_err(io::Error::other)?;
        Ok(code
            .into_iter()
            .map(|i| Instruction {
                address: i.address,
                length: i.length,
                text: i.text,
                frames: i
                    .frames
                    .into_iter()
                    .map(|f| Frame {
                        function: f.function,
                        file: f.file,
                        line: i64::from(f.line),
                    })
                    .collect(),
            })
            .collect())
    }
}
