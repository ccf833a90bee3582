//! A library loaded with `dlopen` after the session started: the watcher must add it, the
//! unwinder must walk through its C frames (built without frame pointers) back into Rust, and
//! `dlclose` must not unmap it while the unwinder may still read its unwind data.

use std::ffi::{c_char, c_int, c_ulong, c_void, CStr};
use std::hint::black_box;
use std::time::{Duration, Instant};

use super::capture::{in_signal_handler, Captured};
use super::symbols::{describe, function_range, object_name};
use crate::unwind::snapshots::MODULES;
use crate::unwind::UnwindSession;

const LIBZ: &CStr = c"libz.so.1";

/// zlib's `z_stream` on LP64.
#[repr(C)]
struct ZStream {
    next_in: *const u8,
    avail_in: u32,
    total_in: c_ulong,
    next_out: *mut u8,
    avail_out: u32,
    total_out: c_ulong,
    msg: *const c_char,
    state: *mut c_void,
    zalloc: extern "C" fn(*mut c_void, u32, u32) -> *mut c_void,
    zfree: extern "C" fn(*mut c_void, *mut c_void),
    opaque: *mut c_void,
    data_type: c_int,
    adler: c_ulong,
    reserved: c_ulong,
}

type DeflateInit = unsafe extern "C" fn(*mut ZStream, c_int, *const c_char, c_int) -> c_int;
type DeflateEnd = unsafe extern "C" fn(*mut ZStream) -> c_int;
type ZlibVersion = unsafe extern "C" fn() -> *const c_char;

/// zlib's allocator callback, which it calls from inside `deflateInit2_`: the first call takes
/// a sample there and leaves it in the `Option<Captured>` behind `opaque`.
extern "C" fn sampling_zalloc(opaque: *mut c_void, items: u32, size: u32) -> *mut c_void {
    // SAFETY: `opaque` is the `Option<Captured>` that `deflate_init_through_libz` passed.
    let slot = unsafe { &mut *opaque.cast::<Option<Captured>>() };
    if slot.is_none() {
        *slot = Some(in_signal_handler(128));
    }
    // SAFETY: calloc has no preconditions; zlib frees the block with `plain_zfree`.
    unsafe { libc::calloc(items as usize, size as usize) }
}

extern "C" fn plain_zfree(_opaque: *mut c_void, address: *mut c_void) {
    // SAFETY: `address` came from `sampling_zalloc`'s calloc.
    unsafe { libc::free(address) }
}

/// Calls into zlib, which calls back into `sampling_zalloc`.
#[inline(never)]
fn deflate_init_through_libz(library: *mut c_void) -> Captured {
    let symbol = |name: &CStr| {
        // SAFETY: `library` is a live dlopen handle and `name` a C string.
        let address = unsafe { libc::dlsym(library, name.as_ptr()) };
        assert!(!address.is_null(), "{name:?} missing");
        address
    };
    let mut captured: Option<Captured> = None;
    // SAFETY: the symbols have these C signatures in every zlib 1.x; the stream is fully
    // initialised and outlives deflateEnd.
    unsafe {
        let deflate_init: DeflateInit = std::mem::transmute(symbol(c"deflateInit_"));
        let deflate_end: DeflateEnd = std::mem::transmute(symbol(c"deflateEnd"));
        let zlib_version: ZlibVersion = std::mem::transmute(symbol(c"zlibVersion"));
        let mut stream = ZStream {
            next_in: std::ptr::null(),
            avail_in: 0,
            total_in: 0,
            next_out: std::ptr::null_mut(),
            avail_out: 0,
            total_out: 0,
            msg: std::ptr::null(),
            state: std::ptr::null_mut(),
            zalloc: sampling_zalloc,
            zfree: plain_zfree,
            opaque: (&raw mut captured).cast(),
            data_type: 0,
            adler: 0,
            reserved: 0,
        };
        let size = std::mem::size_of::<ZStream>() as c_int;
        assert_eq!(
            black_box(deflate_init)(&mut stream, 6, zlib_version(), size),
            0
        );
        assert_eq!(deflate_end(&mut stream), 0);
    }
    captured.expect("zlib never called the allocator")
}

fn modules_contain(address: u64) -> bool {
    MODULES
        .read()
        .is_some_and(|modules| modules.contains(address))
}

#[test]
fn dlopened_library_is_added_unwound_through_and_stays_mapped() {
    let _session = UnwindSession::acquire().unwrap();
    // SAFETY: RTLD_NOLOAD only looks the library up.
    let already = unsafe { libc::dlopen(LIBZ.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    assert!(
        already.is_null(),
        "libz is already loaded; this test needs a library that is not"
    );
    let modules_before = MODULES.read().unwrap().len();

    // SAFETY: loading zlib runs no code beyond its (trivial) initialisers.
    let library = unsafe { libc::dlopen(LIBZ.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    assert!(!library.is_null(), "libz.so.1 not found");
    // SAFETY: live handle, C string.
    let deflate_init = unsafe { libc::dlsym(library, c"deflateInit_".as_ptr()) } as u64;

    // The watcher polls the loader every 5 ms.
    let start = Instant::now();
    while !modules_contain(deflate_init) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the watcher never added libz"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(MODULES.read().unwrap().len() > modules_before);

    let captured = deflate_init_through_libz(library);
    let frames = &captured.frames;
    let stack = describe(frames);
    let zalloc = function_range(
        sampling_zalloc as extern "C" fn(*mut c_void, u32, u32) -> *mut c_void as usize,
    );
    let caller = function_range(deflate_init_through_libz as fn(*mut c_void) -> Captured as usize);
    let at = frames
        .iter()
        .position(|a| zalloc.contains(a))
        .unwrap_or_else(|| panic!("{stack}"));
    let back = frames
        .iter()
        .position(|a| caller.contains(a))
        .unwrap_or_else(|| panic!("{stack}"));
    let in_libz = &frames[at + 1..back];
    assert!(
        !in_libz.is_empty(),
        "no zlib frame between the callback and its caller:\n{stack}"
    );
    for &address in in_libz {
        assert!(
            object_name(address).is_some_and(|name| name.contains("libz")),
            "{stack}"
        );
    }
    assert!(!captured.truncated);

    // Pinned: closing the only handle leaves it loaded, so its unwind data stays readable.
    // SAFETY: `library` is a live handle, closed once.
    assert_eq!(unsafe { libc::dlclose(library) }, 0);
    // SAFETY: RTLD_NOLOAD only looks the library up.
    let still = unsafe { libc::dlopen(LIBZ.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    assert!(
        !still.is_null(),
        "dlclose unloaded a library the unwinder uses"
    );
    // SAFETY: `still` is a live handle, closed once.
    unsafe { libc::dlclose(still) };
    assert!(modules_contain(deflate_init));
}
