//! Running the `fupin` binary as a user would, for the CLI's integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The repository root (commands run there, so `examples/` and `rules/` resolve).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Starts `fupin args…` in the repository root with stdout and stderr piped.
fn spawn(args: &[&str], stdin: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_fupin"))
        .args(args)
        .current_dir(root())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fupin runs")
}

/// Runs `fupin args…` with `stdin` fed from a thread (large inputs cannot deadlock).
pub fn fupin_bytes(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn(args, Stdio::piped());
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

/// Runs `fupin args…` with text on stdin.
pub fn fupin(args: &[&str], stdin: &str) -> Output {
    fupin_bytes(args, stdin.as_bytes())
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `fupin args…`, reads the first line of its stdout and then closes stdout, as
/// `fupin … | head -1` does; returns that line and how the command ended.
pub fn fupin_first_line(args: &[&str]) -> (String, Output) {
    let mut child = spawn(args, Stdio::null());
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    (first, child.wait_with_output().unwrap())
}
