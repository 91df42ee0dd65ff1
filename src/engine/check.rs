//! Edits checked off the UI thread. `edit_params` and friends validate with the spec code and
//! also re-initialise every weight whose shape changed, which for AlexNet's fc6 after a conv1
//! stride edit means 151 M fresh random numbers (a third of a second), so the editor sends each
//! text to the checker thread (a [`Runner`]) and shows the answer when it comes. The edit
//! functions check the memory budget before they generate anything.

use super::runner::{Job, Runner};
use crate::model::edit::{self, Edited};
use crate::model::{Kind, ModelError};
use crate::nn::Network;
use crate::nn::analysis::Analysis;
use std::sync::Arc;

/// One edit of the network, as the library's edit functions take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditOp {
    /// New parameters of layer `layer`, as editor text.
    Params {
        layer: usize,
        text: String,
    },
    /// A new input size (`size = [H, W]`) of a model whose H and W are open.
    InputSize {
        text: String,
    },
    /// A new layer of `kind` after layer `after`.
    Insert {
        after: usize,
        kind: &'static str,
    },
    Delete {
        layer: usize,
    },
    /// Layer `layer` becomes a `kind` with that kind's default parameters.
    Kind {
        layer: usize,
        kind: &'static str,
    },
}

impl EditOp {
    /// Run the edit on `net` (whose analysis is `analysis`).
    ///
    /// # Errors
    /// The library's error: the key and the reason, or the layer that no longer fits.
    pub fn run(&self, net: &Network, analysis: &Analysis) -> Result<Edited, ModelError> {
        match self {
            EditOp::Params { layer, text } => edit::edit_params(net, *layer, text),
            EditOp::Insert { after, kind } => edit::insert_after(net, *after, kind, analysis),
            EditOp::Delete { layer } => edit::delete(net, *layer),
            EditOp::InputSize { text } => crate::model::edit_input::resize_input(net, text),
            EditOp::Kind { layer, kind } => edit::change_kind(net, *layer, kind, analysis),
        }
    }

    /// The layer the edit is about, in the edited network.
    pub fn target(&self) -> usize {
        match self {
            EditOp::Params { layer, .. } | EditOp::Kind { layer, .. } => *layer,
            EditOp::Insert { after, .. } => after + 1,
            EditOp::Delete { layer } => *layer,
            EditOp::InputSize { .. } => 0,
        }
    }
}

/// A request: check `op` on `net`.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    pub net: Arc<Network>,
    pub analysis: Arc<Analysis>,
    pub op: EditOp,
}

/// The answer to request `id`.
#[derive(Debug)]
pub struct Checked {
    pub id: u64,
    pub result: Result<Edited, ModelError>,
}

impl CheckRequest {
    /// Check on the calling thread (tests, and the checker thread itself).
    pub fn run(&self, id: u64) -> Checked {
        Checked { id, result: self.op.run(&self.net, &self.analysis) }
    }
}

/// The checker thread: answers come back through `send`.
pub fn spawn(send: impl Fn(Checked) + Send + 'static) -> Runner<CheckRequest> {
    Runner::spawn(
        "convscope-checker",
        |job: Job, req: CheckRequest, send: &dyn Fn(Checked)| send(req.run(job.id)),
        |id, msg| Checked {
            id,
            result: Err(ModelError::new(Kind::Write(format!("the check failed inside: {msg}")))),
        },
        send,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WeightMode, load};
    use crate::nn::analysis::analyze;
    use std::time::Duration;

    #[test]
    fn the_checker_answers_with_the_request_id() {
        let net = load("cs231n-numpy", WeightMode::Full).unwrap();
        let analysis = Arc::new(analyze(&net).unwrap());
        let net = Arc::new(net);
        let (tx, rx) = std::sync::mpsc::channel();
        let mut c = spawn(move |r| {
            let _ = tx.send(r);
        });
        let text = "filters = 2\nsize = 5\nstride = 3\npad = 0\n".to_string();
        let op = EditOp::Params { layer: 0, text };
        let id = c.submit(CheckRequest { net: net.clone(), analysis: analysis.clone(), op });
        let r = rx.recv_timeout(Duration::from_secs(30)).expect("the checker answers");
        assert_eq!(r.id, id);
        // (11 − 5)/3 + 1 = 3.
        assert_eq!(r.result.unwrap().analysis.layers[0].output.h, 3);
        let op = EditOp::Params { layer: 0, text: "filters = 2\nsize = 5\nstride = 0".into() };
        let id = c.submit(CheckRequest { net, analysis, op });
        let r = rx.recv_timeout(Duration::from_secs(30)).expect("the checker answers");
        assert_eq!(r.id, id);
        let e = r.result.unwrap_err();
        assert_eq!(e.message_for("conv1"), "stride 0 is not allowed (S ≥ 1)");
        assert!(matches!(e.kind, Kind::Value { ref key, .. } if key == "stride"));
    }
}
