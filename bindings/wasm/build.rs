//! The WebAssembly module gets an 8 MiB stack: rule scripts recurse (rhai, up to the sandbox's
//! call-depth limit) and the default 1 MiB is tighter than a native thread's stack.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=-zstack-size=8388608");
    }
}
