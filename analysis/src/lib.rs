//! pywebbench analysis: the raw-sample schema shared with the runner, and (later)
//! the statistics, paper claims and figures. No file or network I/O lives here:
//! every function takes bytes, slices or structs, so the same code builds for wasm32.

pub mod schema;
