//! Edits are checked off the UI thread. `edit_params` and friends validate with the spec code and
//! also re-initialise every weight whose shape changed, which for AlexNet's fc6 after a conv1
//! stride edit means 151 M fresh random numbers (a third of a second). So the editor sends each
//! text to this thread and shows the answer when it comes; as with the worker, every request has
//! an id, only the newest queued one is run, and the app drops answers it no longer waits for.

use crate::model::edit::{self, Edited};
use crate::nn::Network;
use crate::nn::analysis::Analysis;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// One edit of the network, as the library's edit functions take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditOp {
    /// New parameters of layer `layer`, as editor text.
    Params {
        layer: usize,
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
    /// The library's message: the key and the reason, or the layer that no longer fits.
    pub fn run(&self, net: &Network, analysis: &Analysis) -> Result<Edited, String> {
        match self {
            EditOp::Params { layer, text } => edit::edit_params(net, *layer, text),
            EditOp::Insert { after, kind } => edit::insert_after(net, *after, kind, analysis),
            EditOp::Delete { layer } => edit::delete(net, *layer),
            EditOp::Kind { layer, kind } => edit::change_kind(net, *layer, kind, analysis),
        }
    }

    /// The layer the edit is about, in the edited network.
    pub fn target(&self) -> usize {
        match self {
            EditOp::Params { layer, .. } | EditOp::Kind { layer, .. } => *layer,
            EditOp::Insert { after, .. } => after + 1,
            EditOp::Delete { layer } => *layer,
        }
    }
}

/// A request: check `op` on `net`.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    pub id: u64,
    pub net: Arc<Network>,
    pub analysis: Arc<Analysis>,
    pub op: EditOp,
}

/// The answer to request `id`.
#[derive(Debug)]
pub struct Checked {
    pub id: u64,
    pub result: Result<Edited, String>,
}

impl CheckRequest {
    /// Check on the calling thread (tests, and the checker thread itself).
    pub fn run(&self) -> Checked {
        Checked { id: self.id, result: self.op.run(&self.net, &self.analysis) }
    }
}

/// The handle the UI keeps.
pub struct Checker {
    tx: Sender<CheckRequest>,
}

impl Checker {
    /// Start the checker thread; `send` forwards each answer to the UI loop.
    pub fn spawn(send: impl Fn(Checked) + Send + 'static) -> Checker {
        let (tx, rx) = channel::<CheckRequest>();
        std::thread::Builder::new()
            .name("convscope-checker".into())
            .spawn(move || run(rx, send))
            .expect("spawning a thread only fails when the OS is out of resources");
        Checker { tx }
    }

    pub fn submit(&self, req: CheckRequest) {
        // A send fails only when the thread has died; the editor then keeps saying "checking".
        let _ = self.tx.send(req);
    }
}

fn run(rx: Receiver<CheckRequest>, send: impl Fn(Checked)) {
    while let Ok(mut req) = rx.recv() {
        // Only the newest text matters.
        while let Ok(newer) = rx.try_recv() {
            req = newer;
        }
        send(req.run());
    }
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
        let c = Checker::spawn(move |r| {
            let _ = tx.send(r);
        });
        let text = "filters = 2\nsize = 5\nstride = 3\npad = 0\n".to_string();
        let op = EditOp::Params { layer: 0, text };
        c.submit(CheckRequest { id: 9, net: net.clone(), analysis: analysis.clone(), op });
        let r = rx.recv_timeout(Duration::from_secs(30)).expect("the checker answers");
        assert_eq!(r.id, 9);
        // (11 − 5)/3 + 1 = 3.
        assert_eq!(r.result.unwrap().analysis.layers[0].output.h, 3);
        let op = EditOp::Params { layer: 0, text: "filters = 2\nsize = 5\nstride = 0".into() };
        c.submit(CheckRequest { id: 10, net, analysis, op });
        let r = rx.recv_timeout(Duration::from_secs(30)).expect("the checker answers");
        assert_eq!(r.id, 10);
        let e = r.result.unwrap_err();
        assert_eq!(e, "stride 0 is not allowed (S ≥ 1)");
    }
}
