//! The engine: the work behind the explorer that knows no `App` and no terminal.
//!
//! - [`runner`]: one generic latest-wins job runner (gitui's `AsyncSingleJob`): a thread, job
//!   ids, stale jobs skipped and stale replies marked, and every job inside `catch_unwind`, so a
//!   panic becomes an error reply and never a dead thread;
//! - [`pass`]: the forward-pass jobs (load, recompute from a layer) and their replies;
//! - [`check`]: edit checks ([`check::EditOp`]), run off the UI thread;
//! - [`results`]: a finished pass and its [`stats`];
//! - [`resume`]: the one rule for where a recompute starts after an edit.

pub mod check;
pub mod classmap;
pub mod compare;
pub mod mapjob;
pub mod pass;
pub mod results;
pub mod resume;
pub mod runner;
pub mod scan;
pub mod scanjob;
pub mod stats;

pub use results::Results;
pub use stats::VolStats;
