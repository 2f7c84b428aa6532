//! Links with the crate's own `link.x` (memory map and entry point) when
//! building for a bare-metal target; no cortex-m-rt needed.

use std::{env, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=link.x");
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-search={}", dir.display());
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
    }
}
