//! Build script of every function crate (`build = "../lambda-link.rs"`).
//!
//! On the Lambda target (arm64 Linux, `make package` and `sam build`) the
//! bootstraps are linked without the DWARF call-frame tables: `.eh_frame`
//! dropped by `no-eh-frame.ld`, and no `.eh_frame_hdr` index. LLVM writes a
//! frame description for every function even with `-C
//! force-unwind-tables=no`, about 1 MB of each bootstrap, and the Lambda
//! builds abort on panic, so nothing ever unwinds: they would only serve a
//! backtrace, which the stripped binary cannot name anyway
//! (docs/performance.md, "Every bootstrap under 7.75 MB").
//!
//! Only binaries get the flags (`rustc-link-arg-bins`): a dependency that
//! links a shared library of its own (crc-fast) is built from another
//! directory, where a relative script path would not resolve. Host builds
//! (tests, salesctl) unwind as usual and are untouched.

use std::env;
use std::path::Path;

/// The one target the Lambda functions are built for (`.cargo/config.toml`).
const LAMBDA_TARGET: &str = "aarch64-unknown-linux-gnu";

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = Path::new(&manifest).join("../no-eh-frame.ld");
    println!("cargo::rerun-if-changed={}", script.display());
    println!("cargo::rerun-if-changed=../lambda-link.rs");
    if env::var("TARGET").as_deref() == Ok(LAMBDA_TARGET) {
        println!("cargo::rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
        println!("cargo::rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
}
