//! The integration tests, in one binary: each module drives the real `convscope` binary (the
//! CLI, or the explorer in a pseudo-terminal) or the library's public API on real files. One
//! binary links the crate once, which keeps a first `cargo test` close to a release build.

#![allow(dead_code)]

mod classmap;
mod cli_errors;
mod cli_export;
mod cli_summary;
mod cli_top;
mod common;
mod fuzz;
mod hostile;
mod hostile_battery;
mod kernels;
mod lazy_views;
mod onnx_architectures;
mod onnx_build;
mod onnx_conformance;
mod onnx_edit;
mod onnx_models;
mod real_models;
mod refcheck;
mod seed_literal;
mod seven_questions;
mod tui_classmap;
mod tui_e2e;
mod tui_edit_e2e;
mod tui_graphics;
mod tui_pty;
mod tui_signals;
