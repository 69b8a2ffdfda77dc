//! Workspace root: cross-crate tests and benches live in tests/ and benches/.
