//! Compiles the `frte` adapter's C++ shims (frte/shim.cpp, frte/shim1n.cpp) against
//! verity's own declarations of the FRTE 1:1 and 1:N APIs (frte/frte_api.h,
//! frte/frte1n_api.h). The vendor's library is not
//! linked: the worker process opens it with dlopen at run time.

fn main() {
    println!("cargo:rerun-if-changed=frte/shim.cpp");
    println!("cargo:rerun-if-changed=frte/frte_api.h");
    println!("cargo:rerun-if-changed=frte/shim1n.cpp");
    println!("cargo:rerun-if-changed=frte/frte1n_api.h");
    println!("cargo:rerun-if-changed=frte/shim_common.h");
    cc::Build::new()
        .cpp(true)
        .std("c++11")
        .file("frte/shim.cpp")
        .file("frte/shim1n.cpp")
        .include("frte")
        .warnings(true)
        .compile("verity_frte_shim");
    // dlopen and dlsym (in libc itself since glibc 2.34; libdl before that).
    println!("cargo:rustc-link-lib=dylib=dl");
}
