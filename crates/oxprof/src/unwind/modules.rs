//! The code the unwinder knows: every object the dynamic loader has mapped (the executable,
//! shared libraries, the vdso), with unwind data read straight from memory.
//!
//! `dl_iterate_phdr` gives each object's program headers. The executable `PT_LOAD` segments are
//! its code; `PT_GNU_EH_FRAME` is `.eh_frame_hdr`, which points at `.eh_frame`. Both sections stay
//! where the loader mapped them and the unwinder borrows them for `'static`, which is sound
//! because every library is pinned (`RTLD_NODELETE`) before it is added: a later `dlclose` never
//! unmaps it. No file is opened, so the vdso (which has no file) is covered like any library.
//!
//! framehop's instruction analysis for prologues and epilogues only applies to Mach-O; on ELF the
//! CFI describes every instruction, so no text bytes are needed.

use std::ffi::{c_int, c_void, CStr, CString};
use std::ops::Range;

use framehop::{ExplicitModuleSectionInfo, Module, MustNotAllocateDuringUnwind, Unwinder as _};

use super::eh_frame_hdr::eh_frame_address;

/// The unwinder type, borrowing unwind sections from loaded objects.
pub(super) type Unwinder = framehop::UnwinderNative<&'static [u8], MustNotAllocateDuringUnwind>;

/// The loader's counts of objects ever loaded and unloaded: a change means the set changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct LoaderCounts {
    adds: u64,
    subs: u64,
}

/// The loader's current counts. Cheap (no object is visited beyond the first), but takes the
/// loader's lock: never call it from a signal handler.
pub(super) fn loader_counts() -> LoaderCounts {
    unsafe extern "C" fn first_only(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid `info`; `data` is the `LoaderCounts` below.
        unsafe {
            let info = &*info;
            *data.cast::<LoaderCounts>() = LoaderCounts {
                adds: info.dlpi_adds,
                subs: info.dlpi_subs,
            };
        }
        1
    }
    let mut counts = LoaderCounts::default();
    // SAFETY: the callback only writes through `data`, which points at `counts`.
    unsafe { libc::dl_iterate_phdr(Some(first_only), (&raw mut counts).cast()) };
    counts
}

/// One loaded object, as far as unwinding is concerned. Two equal values describe the same
/// mapping of the same object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoadedObject {
    name: CString,
    /// Load address minus link-time address.
    bias: u64,
    /// Where its executable segments are mapped.
    code: Range<u64>,
    /// Where `.eh_frame_hdr` and `.eh_frame` are mapped, when the object has them.
    unwind_sections: Option<UnwindSections>,
    /// Needs no pinning: the executable and the vdso are never unmapped.
    permanent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct UnwindSections {
    eh_frame_hdr: Range<u64>,
    /// `.eh_frame` records no length; it is taken to run to the end of its segment, which is
    /// harmless because lookups go through the header's table.
    eh_frame: Range<u64>,
}

/// Every object the loader has mapped, and the loader's counts at that moment.
fn loaded_objects() -> (LoaderCounts, Vec<LoadedObject>) {
    struct Walk {
        counts: LoaderCounts,
        objects: Vec<LoadedObject>,
        vdso: u64,
    }
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid `info` whose program headers and mapped
        // segments stay valid during the callback (the loader lock is held); `data` is the
        // `Walk` below.
        unsafe {
            let walk = &mut *data.cast::<Walk>();
            let info = &*info;
            walk.counts = LoaderCounts {
                adds: info.dlpi_adds,
                subs: info.dlpi_subs,
            };
            let headers = if info.dlpi_phdr.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum))
            };
            let name = if info.dlpi_name.is_null() {
                CString::default()
            } else {
                CStr::from_ptr(info.dlpi_name).to_owned()
            };
            if let Some(object) = describe(
                name,
                info.dlpi_addr,
                headers,
                walk.vdso,
                walk.objects.is_empty(),
            ) {
                walk.objects.push(object);
            }
        }
        0
    }
    let mut walk = Walk {
        counts: LoaderCounts::default(),
        objects: Vec::new(),
        // SAFETY: getauxval has no preconditions.
        vdso: unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) },
    };
    // SAFETY: the callback only touches `walk` through `data`.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&raw mut walk).cast()) };
    (walk.counts, walk.objects)
}

/// Describes one object from its program headers, or `None` if it has no executable segment.
///
/// # Safety
/// `headers` are the program headers of an object loaded at `bias`, whose segments stay mapped
/// during the call.
unsafe fn describe(
    name: CString,
    bias: u64,
    headers: &[libc::Elf64_Phdr],
    vdso: u64,
    first: bool,
) -> Option<LoadedObject> {
    let mapped = |header: &libc::Elf64_Phdr| {
        let start = bias.wrapping_add(header.p_vaddr);
        start..start.saturating_add(header.p_memsz)
    };
    let loads = || headers.iter().filter(|h| h.p_type == libc::PT_LOAD);
    let code = loads()
        .filter(|h| h.p_flags & libc::PF_X != 0)
        .map(mapped)
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))?;
    let unwind_sections = headers
        .iter()
        .find(|h| h.p_type == libc::PT_GNU_EH_FRAME)
        .and_then(|h| {
            let eh_frame_hdr = mapped(h);
            // SAFETY: the segment is mapped and readable (the caller's contract).
            let hdr_bytes = unsafe { slice_at(&eh_frame_hdr) };
            let eh_frame_start = eh_frame_address(hdr_bytes, eh_frame_hdr.start, bias)?;
            let segment = loads().map(mapped).find(|s| s.contains(&eh_frame_start))?;
            Some(UnwindSections {
                eh_frame_hdr,
                eh_frame: eh_frame_start..segment.end,
            })
        });
    let is_vdso = vdso != 0 && loads().map(mapped).any(|s| s.contains(&vdso));
    Some(LoadedObject {
        // dl_iterate_phdr reports the executable first, under an empty name.
        permanent: is_vdso || (first && name.is_empty()),
        name,
        bias,
        code,
        unwind_sections,
    })
}

/// # Safety
/// `range` is mapped and readable for as long as the slice is used.
unsafe fn slice_at(range: &Range<u64>) -> &'static [u8] {
    let len = usize::try_from(range.end - range.start).unwrap_or(0);
    // SAFETY: forwarded from the caller.
    unsafe { std::slice::from_raw_parts(range.start as *const u8, len) }
}

/// Makes sure `object` stays mapped for the life of the process. False if it was unloaded (or
/// replaced) since it was enumerated, in which case it must not be added.
fn pin(object: &LoadedObject) -> bool {
    if object.permanent {
        return true;
    }
    // SAFETY: `name` is a valid C string. RTLD_NOLOAD never loads anything: it returns the
    // already-loaded object (taking a reference) or null.
    let handle = unsafe {
        libc::dlopen(
            object.name.as_ptr(),
            libc::RTLD_LAZY | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
        )
    };
    if handle.is_null() {
        return false;
    }
    let same_object = loaded_bias(handle) == Some(object.bias);
    // RTLD_NODELETE sticks to the object; the reference dlopen took is not needed.
    // SAFETY: `handle` came from dlopen and is closed once.
    unsafe { libc::dlclose(handle) };
    same_object
}

/// The load bias (`l_addr`) of the object behind a dlopen handle.
fn loaded_bias(handle: *mut c_void) -> Option<u64> {
    /// The documented prefix of glibc's `struct link_map`.
    #[repr(C)]
    struct LinkMapPrefix {
        l_addr: usize,
    }
    let mut map: *const LinkMapPrefix = std::ptr::null();
    // SAFETY: RTLD_DI_LINKMAP stores a `struct link_map *` through the pointer it is given.
    let status = unsafe { libc::dlinfo(handle, libc::RTLD_DI_LINKMAP, (&raw mut map).cast()) };
    // SAFETY: on success `map` points at the object's live link map, whose first field is
    // `l_addr`.
    (status == 0 && !map.is_null()).then(|| unsafe { (*map).l_addr as u64 })
}

/// The framehop module for a pinned object.
fn module(object: &LoadedObject) -> Module<&'static [u8]> {
    let svma = |range: &Range<u64>| {
        range.start.wrapping_sub(object.bias)..range.end.wrapping_sub(object.bias)
    };
    let mut info = ExplicitModuleSectionInfo {
        base_svma: 0,
        text_svma: Some(svma(&object.code)),
        ..Default::default()
    };
    if let Some(sections) = &object.unwind_sections {
        info.eh_frame_hdr_svma = Some(svma(&sections.eh_frame_hdr));
        info.eh_frame_svma = Some(svma(&sections.eh_frame));
        // SAFETY: the object is pinned (or permanent), so its segments stay mapped for good.
        unsafe {
            info.eh_frame_hdr = Some(slice_at(&sections.eh_frame_hdr));
            info.eh_frame = Some(slice_at(&sections.eh_frame));
        }
    }
    Module::new(
        object.name.to_string_lossy().into_owned(),
        object.code.clone(),
        object.bias,
        info,
    )
}

/// A snapshot of the loaded code, ready for the signal handler.
pub(super) struct ModuleSet {
    unwinder: Unwinder,
    /// The objects in `unwinder`, sorted by code address.
    objects: Vec<LoadedObject>,
    counts: LoaderCounts,
}

impl ModuleSet {
    /// Enumerates the loaded objects. Starts from `previous` so that unchanged modules keep their
    /// place in the unwinders' rule caches (framehop tags cached rules with a generation that
    /// every added or removed module bumps).
    pub(super) fn build(previous: Option<&ModuleSet>) -> ModuleSet {
        let (counts, mut current) = loaded_objects();
        current.sort_by_key(|object| object.code.start);
        let (mut unwinder, kept) = match previous {
            Some(previous) => (previous.unwinder.clone(), previous.objects.as_slice()),
            None => (Unwinder::new(), &[][..]),
        };
        for gone in kept.iter().filter(|object| !current.contains(object)) {
            unwinder.remove_module(gone.code.start);
        }
        current.retain(|object| kept.contains(object) || pin(object));
        for new in current.iter().filter(|object| !kept.contains(object)) {
            unwinder.add_module(module(new));
        }
        ModuleSet {
            unwinder,
            objects: current,
            counts,
        }
    }

    pub(super) fn unwinder(&self) -> &Unwinder {
        &self.unwinder
    }

    /// The loader counts this set was built at.
    pub(super) fn counts(&self) -> LoaderCounts {
        self.counts
    }

    /// Whether `address` is in the code of a known object. Async-signal-safe.
    pub(super) fn contains(&self, address: u64) -> bool {
        let after = self
            .objects
            .partition_point(|object| object.code.start <= address);
        after
            .checked_sub(1)
            .is_some_and(|i| self.objects[i].code.contains(&address))
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.objects.len()
    }

    #[cfg(test)]
    pub(super) fn code_ranges(&self) -> Vec<Range<u64>> {
        self.objects
            .iter()
            .map(|object| object.code.clone())
            .collect()
    }

    #[cfg(test)]
    pub(super) fn has_unwind_sections(&self, address: u64) -> bool {
        self.objects
            .iter()
            .any(|object| object.code.contains(&address) && object.unwind_sections.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vdso_code_address() -> Option<u64> {
        // SAFETY: getauxval has no preconditions.
        let base = unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) };
        let (_, objects) = loaded_objects();
        objects
            .into_iter()
            .find(|object| object.permanent && !object.name.is_empty())
            .filter(|_| base != 0)
            .map(|object| object.code.start)
    }

    #[test]
    fn knows_the_executable_libc_and_the_vdso_with_unwind_sections() {
        let set = ModuleSet::build(None);
        let here =
            knows_the_executable_libc_and_the_vdso_with_unwind_sections as fn() as usize as u64;
        let in_libc = libc::getpid as unsafe extern "C" fn() -> libc::pid_t as usize as u64;
        assert!(set.contains(here));
        assert!(set.has_unwind_sections(here));
        assert!(set.contains(in_libc));
        assert!(set.has_unwind_sections(in_libc));
        let vdso = vdso_code_address().expect("no vdso among the loaded objects");
        assert!(set.contains(vdso));
        assert!(set.has_unwind_sections(vdso));
        assert!(!set.contains(0));
        assert!(!set.contains(&set as *const ModuleSet as u64));
    }

    #[test]
    fn eh_frame_starts_with_a_cie() {
        let (_, objects) = loaded_objects();
        let with_sections: Vec<_> = objects
            .iter()
            .filter_map(|o| o.unwind_sections.as_ref())
            .collect();
        assert!(with_sections.len() >= 3, "{objects:?}");
        for sections in with_sections {
            // SAFETY: these objects are loaded and the test does not unload any.
            let eh_frame = unsafe { slice_at(&sections.eh_frame) };
            // The first record of .eh_frame is a CIE: a 4-byte length, then a zero CIE id.
            let length = u32::from_le_bytes(eh_frame[..4].try_into().unwrap());
            assert!(
                length > 0 && u64::from(length) < sections.eh_frame.end - sections.eh_frame.start
            );
            assert_eq!(eh_frame[4..8], [0, 0, 0, 0], "{sections:?}");
        }
    }

    #[test]
    fn every_startup_object_can_be_pinned() {
        let (_, objects) = loaded_objects();
        for object in &objects {
            assert!(pin(object), "{object:?}");
        }
    }

    #[test]
    fn rebuilding_an_unchanged_set_keeps_every_object() {
        let first = ModuleSet::build(None);
        let second = ModuleSet::build(Some(&first));
        // Another test may load a library in between; only an unchanged loader says "same set".
        if first.counts() == second.counts() {
            assert_eq!(first.objects, second.objects);
        }
        assert!(second.len() >= first.len());
    }
}
