//! The live-editing session: the open popup, the undo history (with what each step was), the
//! pass before the latest edits (for before/after), the check request ids, and a popup-less edit
//! (delete) waiting for its check.

use super::popup::Popup;
use crate::engine::Results;
use crate::model::edit::History;
use crate::nn::Network;
use std::sync::Arc;

/// The pass before the edits since, for the before/after view.
#[derive(Clone, Debug)]
pub struct Before {
    pub results: Arc<Results>,
    /// What changed since, oldest first (`conv1: stride 4 → 2`).
    pub edits: Vec<String>,
}

impl Before {
    /// `compare: b.png` when this is the compared pass rather than an earlier one.
    pub fn compared(&self) -> Option<&str> {
        match self.edits.as_slice() {
            [one] => one.strip_prefix("compare: "),
            _ => None,
        }
    }

    /// `conv1: stride 4 → 2`, or `the last 3 edits`.
    pub fn label(&self) -> String {
        if let Some(c) = self.compared() {
            return c.to_string();
        }
        match self.edits.as_slice() {
            [one] => one.clone(),
            many => format!("the last {} edits", many.len()),
        }
    }

    /// `the edit (conv1: stride 4 → 2)`, or `the last 3 edits`, for sentences.
    pub fn phrase(&self) -> String {
        if let Some(c) = self.compared() {
            return format!("the compared pass ({c})");
        }
        match self.edits.as_slice() {
            [one] => format!("the edit ({one})"),
            many => format!("the last {} edits", many.len()),
        }
    }
}

/// A popup-less edit (delete) waiting for its check.
#[derive(Clone, Debug)]
pub struct Quick {
    pub id: u64,
    pub what: String,
    pub select: usize,
    /// The network it was checked on; if another edit came first, it is dropped.
    pub base: Arc<Network>,
}

#[derive(Debug, Default)]
pub(super) struct EditSession {
    /// The open editing popup; it takes every key.
    pub popup: Option<Popup>,
    /// Undo / redo of whole networks, with what each edit was.
    pub history: History,
    /// The last pass before the latest edits (the before/after view compares with it).
    pub before: Option<Before>,
    /// The slice panel shows after − before.
    pub diff: bool,
    /// The last edit-check request id.
    checks: u64,
    /// A delete waiting for its check.
    pub quick: Option<Quick>,
}

impl EditSession {
    /// A new check request id.
    pub fn next_check(&mut self) -> u64 {
        self.checks += 1;
        self.checks
    }
}
