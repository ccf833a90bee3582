//! The functions this library stands in front of, found with `dlsym(RTLD_NEXT)`: the C
//! library's allocator (or whichever allocator comes next in the search order, such as a
//! jemalloc linked into the program) and `pthread_mutex_lock`.
//!
//! Each is looked up once, all together, by [`resolve`]: from the library's initialiser, or
//! earlier if the loader or another library's initialiser calls `malloc` first. While the
//! lookup runs, allocations (`dlsym`'s own) are served by the bootstrap arena.

use std::ffi::{c_int, c_void, CStr};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// Lookup states.
const NOT_YET: u8 = 0;
const RESOLVING: u8 = 1;
const DONE: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(NOT_YET);

/// One function pointer, filled by [`resolve`].
struct Next(AtomicUsize);

macro_rules! next_functions {
    ($($name:ident: fn($($arg:ty),*) -> $ret:ty;)*) => {
        /// Where each function's address is kept, under its C name.
        mod slots {
            $(
                #[allow(non_upper_case_globals)]
                pub(super) static $name: super::Next = super::Next(super::AtomicUsize::new(0));
            )*
        }

        /// The symbols [`resolve`] looks up, and where each goes.
        const SYMBOLS: &[(&CStr, &Next)] = &[$((
            match CStr::from_bytes_with_nul(concat!(stringify!($name), "\0").as_bytes()) {
                Ok(name) => name,
                Err(_) => panic!("a symbol name"),
            },
            &slots::$name,
        )),*];

        $(
            /// The next definition of the function, or `None` while the lookup is running on
            /// this or another thread (the caller then serves the request itself).
            #[allow(non_snake_case)]
            #[inline(always)]
            pub(crate) fn $name() -> Option<unsafe extern "C" fn($($arg),*) -> $ret> {
                found::$name().or_else(|| {
                    resolved(&slots::$name);
                    found::$name()
                })
            }
        )*

        /// The next definitions as far as they are known, without looking them up: for the
        /// hottest paths, which leave the lookup to a function of their own.
        pub(crate) mod found {
            use super::*;
            $(
                /// The next definition of the function if it has been looked up.
                #[allow(non_snake_case, dead_code)]
                #[inline(always)]
                pub(crate) fn $name() -> Option<unsafe extern "C" fn($($arg),*) -> $ret> {
                    let address = slots::$name.0.load(Ordering::Acquire);
                    // SAFETY: a non-zero value is the address dlsym gave for this symbol,
                    // whose C signature is the one declared here.
                    (address != 0).then(|| unsafe {
                        std::mem::transmute::<usize, unsafe extern "C" fn($($arg),*) -> $ret>(
                            address,
                        )
                    })
                }
            )*
        }
    };
}

next_functions! {
    malloc: fn(usize) -> *mut c_void;
    calloc: fn(usize, usize) -> *mut c_void;
    realloc: fn(*mut c_void, usize) -> *mut c_void;
    free: fn(*mut c_void) -> ();
    posix_memalign: fn(*mut *mut c_void, usize, usize) -> c_int;
    aligned_alloc: fn(usize, usize) -> *mut c_void;
    memalign: fn(usize, usize) -> *mut c_void;
    valloc: fn(usize) -> *mut c_void;
    pvalloc: fn(usize) -> *mut c_void;
    pthread_mutex_lock: fn(*mut libc::pthread_mutex_t) -> c_int;
    pthread_mutex_trylock: fn(*mut libc::pthread_mutex_t) -> c_int;
}

/// Runs [`resolve`] unless `slot` is filled already: out of line, so that the callers' common
/// path (the address already known) makes no call.
#[cold]
#[inline(never)]
fn resolved(slot: &Next) {
    if slot.0.load(Ordering::Acquire) == 0 {
        resolve();
    }
}

/// Looks every function up, once. Returns at once while a lookup is running (on another
/// thread, or on this one: `dlsym` allocating), leaving the caller to use the arena.
pub(crate) fn resolve() {
    if STATE
        .compare_exchange(NOT_YET, RESOLVING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    for (name, slot) in SYMBOLS {
        // SAFETY: `name` is NUL-terminated; RTLD_NEXT searches the objects loaded after this
        // one, so it never finds this library's own definition.
        let address = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
        slot.0.store(address as usize, Ordering::Release);
    }
    if SYMBOLS
        .iter()
        .any(|(_, slot)| slot.0.load(Ordering::Acquire) == 0)
    {
        // Nothing can work without the real allocator, and nothing can be allocated to say
        // so at length.
        let message = b"oxprof: liboxprof_preload.so cannot find the C library's allocator\n";
        // SAFETY: writes the message's bytes to standard error; abort does not return.
        unsafe {
            libc::write(2, message.as_ptr().cast(), message.len());
            libc::abort();
        }
    }
    STATE.store(DONE, Ordering::Release);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_next_allocator_is_the_c_librarys() {
        super::resolve();
        let malloc = super::malloc().expect("found");
        let free = super::free().expect("found");
        // SAFETY: the C library's malloc and free, used as such.
        unsafe {
            let block = malloc(64);
            assert!(!block.is_null());
            free(block);
        }
    }
}
