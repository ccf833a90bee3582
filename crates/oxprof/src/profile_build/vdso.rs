//! Names for addresses in the vdso, read from the image the kernel maps into every process.
//!
//! The vdso has no file to symbolize from, yet programs that read clocks often are sampled
//! inside it (`clock_gettime`). Its image is a complete ELF object with a dynamic symbol table,
//! so the function names come straight from memory.

use std::collections::HashMap;

use object::{Object as _, ObjectSegment as _, ObjectSymbol as _, SymbolKind};
use oxprof_profile::{Function, Line, Mapping, Profile};

/// Names the locations of the `[vdso]` mapping that have no lines yet, and marks the mapping as
/// having functions when any was named.
pub(super) fn symbolize(profile: &mut Profile) {
    let Some(index) = profile.mapping.iter().position(is_this_vdso) else {
        return;
    };
    let mapping = &profile.mapping[index];
    // SAFETY: `is_this_vdso` checked that the mapping starts where the kernel says the vdso
    // image is; the kernel keeps it mapped and readable, unchanged, for the life of the process.
    let image = unsafe {
        std::slice::from_raw_parts(
            mapping.memory_start as usize as *const u8,
            (mapping.memory_limit - mapping.memory_start) as usize,
        )
    };
    let Some(symbols) = Symbols::parse(image) else {
        return;
    };
    let (id, start) = (mapping.id, mapping.memory_start);
    let mut functions = FunctionIds::new(&profile.function);
    let mut named = false;
    for location in &mut profile.location {
        if location.mapping_id != id || !location.line.is_empty() {
            continue;
        }
        let Some(name) = symbols.lookup(location.address - start) else {
            continue;
        };
        let function_id = functions.intern(name, &mut profile.function);
        location.line = vec![Line {
            function_id,
            ..Line::default()
        }];
        named = true;
    }
    profile.mapping[index].has_functions |= named;
}

/// Whether `mapping` is the vdso of this process: the kernel's `AT_SYSINFO_EHDR` says where it is.
fn is_this_vdso(mapping: &Mapping) -> bool {
    // SAFETY: getauxval only reads the auxiliary vector; 0 means the entry is absent.
    let base = unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) };
    base != 0
        && mapping.filename == "[vdso]"
        && mapping.memory_start == base
        && mapping.memory_limit > mapping.memory_start
}

/// The vdso's function symbols as `(offset in the image, size, name)`, sorted by offset.
struct Symbols(Vec<(u64, u64, String)>);

impl Symbols {
    fn parse(image: &[u8]) -> Option<Symbols> {
        let file = object::File::parse(image).ok()?;
        // Symbol values are addresses as linked; the segment at file offset 0 says which address
        // the first byte of the image has.
        let image_address = file
            .segments()
            .map(|s| s.address().wrapping_sub(s.file_range().0))
            .next()?;
        let mut entries: Vec<(u64, u64, String, bool)> = file
            .dynamic_symbols()
            .filter(|s| s.kind() == SymbolKind::Text && s.is_definition())
            .filter_map(|s| {
                let name = s.name().ok().filter(|n| !n.is_empty())?;
                let offset = s.address().wrapping_sub(image_address);
                Some((offset, s.size(), name.to_owned(), s.is_weak()))
            })
            .collect();
        // `clock_gettime` is a weak alias of `__vdso_clock_gettime`: prefer the strong name.
        entries.sort_by(|a, b| a.0.cmp(&b.0).then(a.3.cmp(&b.3)));
        entries.dedup_by_key(|e| e.0);
        Some(Symbols(
            entries.into_iter().map(|(o, s, n, _)| (o, s, n)).collect(),
        ))
    }

    fn lookup(&self, offset: u64) -> Option<&str> {
        let index = self.0.partition_point(|e| e.0 <= offset).checked_sub(1)?;
        let (start, size, name) = &self.0[index];
        (*size == 0 || offset - start < *size).then_some(name.as_str())
    }
}

/// Functions by name, reusing those the profile has and numbering new ones after them.
struct FunctionIds {
    by_name: HashMap<String, u64>,
    next_id: u64,
}

impl FunctionIds {
    fn new(functions: &[Function]) -> Self {
        FunctionIds {
            by_name: functions
                .iter()
                .map(|f| (f.system_name.clone(), f.id))
                .collect(),
            next_id: functions.iter().map(|f| f.id).max().unwrap_or(0) + 1,
        }
    }

    fn intern(&mut self, name: &str, functions: &mut Vec<Function>) -> u64 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.next_id;
        self.next_id += 1;
        functions.push(Function {
            id,
            name: name.to_owned(),
            system_name: name.to_owned(),
            ..Function::default()
        });
        self.by_name.insert(name.to_owned(), id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::super::mappings::ProcessMappings;
    use super::*;
    use oxprof_profile::Location;

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    /// The address of a vdso function as the loader resolves it, independently of this module.
    fn vdso_function(name: &std::ffi::CStr) -> u64 {
        // SAFETY: both calls take valid NUL-terminated strings; RTLD_NOLOAD only looks up the
        // already loaded vdso, and the handle is not closed because the vdso is never unloaded.
        let address = unsafe {
            let handle = libc::dlopen(
                c"linux-vdso.so.1".as_ptr(),
                libc::RTLD_LAZY | libc::RTLD_NOLOAD,
            );
            assert!(!handle.is_null(), "the loader knows the vdso");
            libc::dlsym(handle, name.as_ptr())
        };
        assert!(!address.is_null(), "the vdso defines {name:?}");
        address as usize as u64
    }

    #[cfg(target_arch = "x86_64")]
    const CLOCK_GETTIME: &std::ffi::CStr = c"__vdso_clock_gettime";
    #[cfg(target_arch = "aarch64")]
    const CLOCK_GETTIME: &std::ffi::CStr = c"__kernel_clock_gettime";

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn names_clock_gettime_in_the_vdso_mapping() {
        let address = vdso_function(CLOCK_GETTIME) + 4;
        let process = ProcessMappings::read();
        let mapping_id = process.id_for(address);
        let mut profile = Profile {
            mapping: process.into_mappings(),
            location: vec![Location {
                id: 1,
                mapping_id,
                address,
                ..Location::default()
            }],
            ..Profile::default()
        };
        assert_eq!(profile.mapping[mapping_id as usize - 1].filename, "[vdso]");
        symbolize(&mut profile);
        let function_id = profile.location[0].line[0].function_id;
        let function = &profile.function[function_id as usize - 1];
        assert_eq!(function.name, CLOCK_GETTIME.to_str().unwrap());
        assert!(profile.mapping[mapping_id as usize - 1].has_functions);
        profile.validate().unwrap();
    }

    #[test]
    fn existing_functions_keep_their_ids() {
        let existing = [Function {
            id: 4,
            name: "x".into(),
            system_name: "x".into(),
            ..Function::default()
        }];
        let mut functions = existing.to_vec();
        let mut ids = FunctionIds::new(&functions);
        assert_eq!(ids.intern("x", &mut functions), 4);
        assert_eq!(ids.intern("y", &mut functions), 5);
        assert_eq!(ids.intern("y", &mut functions), 5);
        assert_eq!(functions.len(), 2);
    }
}
