//! Which function an address is in, for checking unwound stacks: this executable's own
//! functions from its ELF symbol table, anything else by the object that contains it.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::ops::Range;
use std::sync::OnceLock;

use object::{Object, ObjectSegment, ObjectSymbol};

/// Function symbols of this executable, by link-time start address, with their sizes.
fn executable_functions() -> &'static (u64, BTreeMap<u64, u64>) {
    static FUNCTIONS: OnceLock<(u64, BTreeMap<u64, u64>)> = OnceLock::new();
    FUNCTIONS.get_or_init(|| {
        let data = std::fs::read("/proc/self/exe").unwrap();
        let file = object::File::parse(&*data).unwrap();
        let first_segment = file.segments().map(|s| s.address()).min().unwrap_or(0);
        let functions = file
            .symbols()
            .filter(|s| s.kind() == object::SymbolKind::Text && s.size() > 0)
            .map(|s| (s.address(), s.size()))
            .collect();
        (first_segment & !0xfff, functions)
    })
}

/// The address range of a function of this executable, given a pointer to it.
pub(super) fn function_range(function: usize) -> Range<u64> {
    let (first_segment, functions) = executable_functions();
    let bias = object_base(function as u64).wrapping_sub(*first_segment);
    let start = (function as u64).wrapping_sub(bias);
    let size = functions
        .get(&start)
        .unwrap_or_else(|| panic!("no symbol at {start:#x}"));
    function as u64..function as u64 + size
}

/// Where the object containing `address` is mapped, per `dladdr`.
fn object_base(address: u64) -> u64 {
    // SAFETY: an all-zero Dl_info is valid; dladdr only writes into it.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr accepts any address.
    let found = unsafe { libc::dladdr(address as *const libc::c_void, &mut info) };
    assert_ne!(found, 0, "{address:#x} is in no loaded object");
    info.dli_fbase as u64
}

/// The file name of the object containing `address`, if any.
pub(super) fn object_name(address: u64) -> Option<String> {
    // SAFETY: an all-zero Dl_info is valid; dladdr only writes into it.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr accepts any address; on success dli_fname is a C string owned by the loader.
    unsafe {
        if libc::dladdr(address as *const libc::c_void, &mut info) == 0 || info.dli_fname.is_null()
        {
            return None;
        }
        Some(
            CStr::from_ptr(info.dli_fname)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// Whether `address` is in libc.
pub(super) fn in_libc(address: u64) -> bool {
    object_name(address).is_some_and(|name| name.contains("libc.so"))
}

/// Renders a stack for assertion messages.
pub(super) fn describe(frames: &[u64]) -> String {
    frames
        .iter()
        .map(|&address| format!("{address:#x} {}", object_name(address).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}
