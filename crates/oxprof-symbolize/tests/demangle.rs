//! Demangling of Rust (legacy and v0) and C++ names as rustc and g++ emit them.

use oxprof_symbolize::{demangle, Demangle};

#[test]
fn rust_legacy_drops_the_hash() {
    assert_eq!(
        demangle("_ZN5alloc3vec12Vec$LT$T$GT$4push17h7e8c6dd1f1d7a5f2E"),
        "alloc::vec::Vec<T>::push"
    );
    assert_eq!(
        demangle("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h0aa1c3e8b1d5a6b7E"),
        "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>"
    );
    // LLVM's local-symbol suffix is not part of the name.
    assert_eq!(
        demangle("_ZN3app4main17h0123456789abcdefE.llvm.123"),
        "app::main"
    );
}

#[test]
fn rust_v0_drops_the_crate_disambiguators() {
    assert_eq!(
        demangle("_RNvMCsfq2Zq5gqAK1_2v0INtB2_1WhE3getB2_"),
        "<v0::W<u8>>::get"
    );
    assert_eq!(
        Demangle::Full.apply("_RNvMCsfq2Zq5gqAK1_2v0INtB2_1WhE3getB2_"),
        "<v0[b39b9a665996db47]::W<u8>>::get"
    );
    assert_eq!(demangle("_RNvCs1234_7mycrate3foo"), "mycrate::foo");
}

#[test]
fn cpp_simplified_and_full() {
    let push_back = "_ZNSt6vectorIiSaIiEE9push_backERKi";
    assert_eq!(
        demangle(push_back),
        "std::vector<int, std::allocator<int> >::push_back"
    );
    assert_eq!(
        Demangle::Full.apply(push_back),
        "std::vector<int, std::allocator<int> >::push_back(int const&)"
    );
    // Return types of template functions are dropped in the simplified form.
    assert_eq!(demangle("_Z3maxIiET_S0_S0_"), "max<int>");
    // GCC clone suffixes.
    assert_eq!(
        Demangle::Full.apply("_ZN2ns5scaleEi.cold"),
        "ns::scale(int) [clone .cold]"
    );
}

#[test]
fn unmangled_and_malformed_names_pass_through() {
    for name in [
        "main",
        "memcpy",
        "_start",
        "_Z",
        "_ZN3foo",
        "_RNvC",
        "leaf_marker",
        "",
    ] {
        assert_eq!(demangle(name), name, "{name}");
    }
    assert_eq!(Demangle::None.apply("_ZN2ns5scaleEi"), "_ZN2ns5scaleEi");
}
