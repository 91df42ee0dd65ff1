//! Comparing the pass with another input (`--compare B.png`) or another model of the same graph
//! shape (`--compare-model M`): after every finished pass the other one runs on its own worker;
//! the layer list gets a column of cosine distances and `b` shows the Δ slice.

use super::app::{App, Effect};
use super::edit_session::Before;
use crate::engine::compare::{CompareReply, CompareRequest, LayerDiff, Other};
use crate::nn::Src;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Compare {
    pub other: Option<Other>,
    /// The other pass, as a "before" for the Δ view (its edits line names what it is).
    pub before: Option<Before>,
    /// Per list row: the diff, when both volumes have one shape.
    pub diffs: Vec<Option<LayerDiff>>,
    pub error: Option<String>,
    job: u64,
    /// The pass the newest request compares.
    for_pass: u64,
}

impl App {
    pub fn set_compare(&mut self, other: Option<Other>) {
        self.compare_mut().other = other;
    }

    /// The diff of a row's volume with the other pass's, when one is known.
    pub fn layer_diff(&self, s: Src) -> Option<&LayerDiff> {
        self.compare().diffs.get(App::row_of(s))?.as_ref()
    }

    /// The name of what the pass is compared with.
    pub fn compare_label(&self) -> Option<String> {
        self.compare().other.as_ref().map(Other::label)
    }

    pub(super) fn refresh_compare(&mut self) {
        let Some(other) = self.compare().other.clone() else { return };
        if !self.pass_is_current() || self.compare().for_pass == self.done_job() {
            return;
        }
        let Some(a) = self.results().cloned() else { return };
        let id = self.compare().job + 1;
        let pass = self.done_job();
        let c = self.compare_mut();
        c.job = id;
        c.for_pass = pass;
        c.error = None;
        let req = CompareRequest { a, analysis: self.analysis().clone(), other };
        self.push_effect(Effect::Compare { id, req: Box::new(req) });
    }

    pub(super) fn compare_reply(&mut self, r: CompareReply) {
        if r.job() != self.compare().job {
            return;
        }
        let label = self.compare_label().unwrap_or_default();
        let c = self.compare_mut();
        match r {
            CompareReply::Done { results, diffs, .. } => {
                c.before = Some(Before {
                    results: Arc::clone(&results),
                    edits: vec![format!("compare: {label}")],
                });
                c.diffs = diffs;
            }
            CompareReply::Failed { error, .. } => {
                c.error = Some(error.clone());
                self.warn(format!("compare with {label}: {error}"));
            }
        }
    }
}
