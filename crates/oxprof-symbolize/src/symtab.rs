//! Function symbols of an object, sorted by address: the fallback that names an address when the
//! object has no DWARF for it (stripped of debug info, hand-written assembly, system libraries).

use object::{ObjectSymbol, SymbolKind};

/// Function symbols sorted by address.
pub(crate) struct SymbolTable {
    /// `(address, size, name)`, sorted by address, one entry per address.
    entries: Vec<(u64, u64, String)>,
}

impl SymbolTable {
    /// Collects the defined code symbols among `symbols`.
    pub(crate) fn new<'data, S: ObjectSymbol<'data>>(symbols: impl Iterator<Item = S>) -> Self {
        let mut entries: Vec<(u64, u64, String, bool)> = symbols
            .filter(|s| s.kind() == SymbolKind::Text && s.is_definition() && s.address() != 0)
            .filter_map(|s| {
                let name = s.name().ok().filter(|n| !n.is_empty())?;
                Some((s.address(), s.size(), name.to_owned(), s.is_global()))
            })
            .collect();
        // Several names at one address (aliases, the same symbol in .symtab and .dynsym): keep
        // a global one, the name callers use, and among those the one with a size.
        entries.sort_by(|a, b| a.0.cmp(&b.0).then(b.3.cmp(&a.3)).then(b.1.cmp(&a.1)));
        entries.dedup_by_key(|e| e.0);
        SymbolTable {
            entries: entries.into_iter().map(|(a, s, n, _)| (a, s, n)).collect(),
        }
    }

    /// Every `(address, size, name)`, by address.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u64, u64, &str)> {
        self.entries.iter().map(|(a, s, n)| (*a, *s, n.as_str()))
    }

    /// The name of the function containing `address`: the closest symbol at or below it, unless
    /// that symbol has a size and `address` lies past its end.
    pub(crate) fn lookup(&self, address: u64) -> Option<&str> {
        let index = self
            .entries
            .partition_point(|e| e.0 <= address)
            .checked_sub(1)?;
        let (start, size, name) = &self.entries[index];
        let inside = *size == 0 || address - start < *size;
        inside.then_some(name.as_str())
    }
}
