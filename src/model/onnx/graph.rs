//! Mapping an ONNX graph onto the core's [`Network`] DAG.
//!
//! Every tensor name maps to a [`Value`]: a constant (initializers and everything folded from
//! them) or a runtime volume, which is the output of a layer or the network input. Nodes are
//! visited in file order (ONNX requires a topological order): a node whose inputs are all
//! constants is folded, any other node becomes a layer (or an alias for pass-through ops).

use super::attrs::Node;
use super::fold;
use super::tensor::Const;
use super::{dense, merge, ops, spatial};
use crate::nn::analysis::analyze;
use crate::nn::{Layer, LayerKind, Network, Origin, Shape3, Src, Weights};
use color_eyre::eyre::{Result, bail};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// How the values of an ONNX tensor sit in a convscope volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A 4-D `[1, C, H, W]` tensor: the volume `H × W × C`, stored `(C, H, W)` exactly as ONNX.
    Nchw,
    /// A 2-D `[1, N]` tensor: the volume `1 × 1 × N`. When it was flattened from a volume with
    /// rows and cols (`from`), ONNX orders its values `(C, H, W)` but convscope's `flatten` orders
    /// them `(H, W, D)`; a dense layer reading it gets its weight columns permuted to match.
    Flat { from: Option<Shape3> },
}

/// A runtime tensor: where its volume comes from and how its values are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub src: Src,
    pub layout: Layout,
}

#[derive(Clone, Debug)]
pub enum Value {
    Const(Rc<Const>),
    Run(Run),
}

/// The network being built and what each ONNX tensor name means.
pub struct Builder {
    pub net: Network,
    values: HashMap<String, Value>,
    /// How many node inputs and graph outputs read each tensor.
    uses: HashMap<String, usize>,
    graph_outputs: HashSet<String>,
    origin: Origin,
    pub opset: i64,
    /// Output shapes of the layers analysed so far.
    shapes: RefCell<Vec<Shape3>>,
}

impl Builder {
    pub fn new(net: Network, origin: Origin, opset: i64) -> Self {
        Builder {
            net,
            values: HashMap::new(),
            uses: HashMap::new(),
            graph_outputs: HashSet::new(),
            origin,
            opset,
            shapes: RefCell::new(Vec::new()),
        }
    }

    pub fn count_use(&mut self, tensor: &str) {
        *self.uses.entry(tensor.to_string()).or_default() += 1;
    }

    pub fn mark_graph_output(&mut self, tensor: &str) {
        self.graph_outputs.insert(tensor.to_string());
        self.count_use(tensor);
    }

    /// Whether only one reader uses `tensor` and it is not a graph output (so its producer may be
    /// changed, e.g. to absorb a bias).
    pub fn single_use(&self, tensor: &str) -> bool {
        self.uses.get(tensor).copied().unwrap_or(0) == 1 && !self.graph_outputs.contains(tensor)
    }

    pub fn define(&mut self, tensor: &str, v: Value) {
        self.values.insert(tensor.to_string(), v);
    }

    pub fn value(&self, tensor: &str) -> Option<&Value> {
        self.values.get(tensor)
    }

    /// Input `i` of a node, which must be defined (by an initializer or an earlier node).
    pub fn input(&self, n: &Node, i: usize) -> Result<Option<&Value>> {
        let Some(name) = n.input(i) else { return Ok(None) };
        match self.values.get(name) {
            Some(v) => Ok(Some(v)),
            None => bail!(n.err(format!(
                "input '{name}' is not produced by any earlier node or initializer \
                 (the graph is out of order, or the file is truncated)"
            ))),
        }
    }

    /// Input `i`, which must be a runtime tensor.
    pub fn run_input(&self, n: &Node, i: usize) -> Result<Run> {
        match self.input(n, i)? {
            Some(Value::Run(r)) => Ok(*r),
            Some(Value::Const(_)) => bail!(n.err(format!(
                "input '{}' is a constant where convscope needs the running volume",
                n.input(i).unwrap_or("")
            ))),
            None => bail!(n.err(format!("input {i} is missing"))),
        }
    }

    /// Input `i`, which must be a constant (an initializer or something folded from one).
    pub fn const_input(&self, n: &Node, i: usize) -> Result<Option<Rc<Const>>> {
        match self.input(n, i)? {
            Some(Value::Const(c)) => Ok(Some(c.clone())),
            Some(Value::Run(_)) => bail!(n.err(format!(
                "input '{}' must be a constant (an initializer), but it is computed at run time",
                n.input(i).unwrap_or("")
            ))),
            None => Ok(None),
        }
    }

    pub fn required_const(&self, n: &Node, i: usize, what: &str) -> Result<Rc<Const>> {
        self.const_input(n, i)?.ok_or_else(|| n.err(format!("{what} (input {i}) is missing")))
    }

    /// The `H × W × D` shape of a runtime volume, from the core's shape analysis. Layers are
    /// only ever appended (a fused bias changes no shape), so earlier answers stay valid.
    pub fn shape(&self, src: Src) -> Result<Shape3> {
        match src {
            Src::Input => Ok(self.net.input.shape),
            Src::Layer(i) => {
                let mut known = self.shapes.borrow_mut();
                if i >= known.len() {
                    let a = analyze(&self.net).map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
                    *known = a.layers.iter().map(|l| l.output).collect();
                }
                known
                    .get(i)
                    .copied()
                    .ok_or_else(|| color_eyre::eyre::eyre!("layer {i} does not exist"))
            }
        }
    }

    /// Append a layer named after the node and return its output.
    pub fn push(&mut self, n: &Node, kind: LayerKind, inputs: Vec<Src>, weights: Weights) -> Src {
        let base = n.layer_name();
        let taken = |name: &str| self.net.layers.iter().any(|l| l.name == name);
        let mut name = base.clone();
        let mut k = 2;
        while taken(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        let origin =
            if matches!(weights, Weights::None) { Origin::None } else { self.origin.clone() };
        self.net.layers.push(Layer { name, kind, inputs, weights, origin, strict: false });
        Src::Layer(self.net.layers.len() - 1)
    }

    /// Give a node's first output the value `v`; its other outputs must be unused.
    pub fn set_output(&mut self, n: &Node, v: Value) -> Result<()> {
        for extra in n.proto.output.iter().skip(1).filter(|o| !o.is_empty()) {
            if self.uses.get(extra).copied().unwrap_or(0) > 0 {
                bail!(n.err(format!(
                    "output '{extra}' is used, but convscope computes only the first output"
                )));
            }
        }
        let out = n.proto.output.first().ok_or_else(|| n.err("has no output"))?;
        self.define(out, v);
        Ok(())
    }

    /// Fold or map one node.
    pub fn node(&mut self, n: &Node) -> Result<()> {
        let ins: Vec<Option<&Value>> =
            (0..n.proto.input.len()).map(|i| self.input(n, i)).collect::<Result<_>>()?;
        let all_const = ins.iter().all(|v| !matches!(v, Some(Value::Run(_))));
        if all_const && fold::can_fold(n.op) {
            let consts: Vec<Option<&Const>> = ins
                .iter()
                .map(|v| match v {
                    Some(Value::Const(c)) => Some(c.as_ref()),
                    _ => None,
                })
                .collect();
            let outs = fold::fold(n, &consts)?;
            for (name, c) in n.proto.output.iter().zip(outs) {
                self.define(name, Value::Const(Rc::new(c)));
            }
            return Ok(());
        }
        self.map(n)
    }

    fn map(&mut self, n: &Node) -> Result<()> {
        match n.op {
            "Conv" => spatial::conv(self, n),
            "MaxPool" | "AveragePool" => spatial::pool(self, n),
            "GlobalAveragePool" => {
                let x = self.nchw_input(n)?;
                self.layer(n, LayerKind::GlobalAvgPool, vec![x.src], Weights::None, Layout::Nchw)
            }
            "Relu" => self.same_layout(n, LayerKind::Relu, Weights::None),
            "Sigmoid" => self.same_layout(n, LayerKind::Sigmoid, Weights::None),
            "LeakyRelu" => {
                let alpha = n.float("alpha", 0.01)?;
                self.same_layout(n, LayerKind::LeakyRelu { alpha }, Weights::None)
            }
            "Clip" => {
                let (lo, hi) = (self.const_input(n, 1)?, self.const_input(n, 2)?);
                let (min, max) = fold::clip_bounds(n, lo.as_deref(), hi.as_deref())?;
                self.same_layout(n, LayerKind::Clip { min, max }, Weights::None)
            }
            "PRelu" => spatial::prelu(self, n),
            "BatchNormalization" => spatial::batch_norm(self, n),
            "LRN" => {
                let x = self.nchw_input(n)?;
                let size = n.int("size", 0)?;
                if size < 1 {
                    bail!(n.err(format!("size {size} is not allowed (≥ 1)")));
                }
                let kind = LayerKind::Lrn {
                    size: size as usize,
                    alpha: n.float("alpha", 1e-4)?,
                    beta: n.float("beta", 0.75)?,
                    bias: n.float("bias", 1.0)?,
                };
                self.layer(n, kind, vec![x.src], Weights::None, Layout::Nchw)
            }
            "Softmax" => dense::softmax(self, n),
            "Gemm" | "MatMul" => dense::dense(self, n),
            "Flatten" | "Reshape" => dense::flatten(self, n),
            "Add" | "Sub" | "Mul" | "Div" | "Sum" => merge::arithmetic(self, n),
            "Concat" => merge::concat(self, n),
            "Dropout" => {
                if n.opset >= 12
                    && self
                        .const_input(n, 2)
                        .ok()
                        .flatten()
                        .is_some_and(|t| t.to_f32().iter().any(|&v| v != 0.0))
                {
                    bail!(n.err("training_mode is on; convscope runs inference only"));
                }
                self.same_layout(n, LayerKind::Dropout, Weights::None)
            }
            "Identity" => {
                let x = self.run_input(n, 0)?;
                self.alias(n, x)
            }
            "Shape" => {
                let x = self.run_input(n, 0)?;
                let out = fold::shape_of(n, &self.onnx_dims(x)?)?;
                self.set_output(n, Value::Const(Rc::new(out)))
            }
            op if fold::FOLD_ONLY.contains(&op) => bail!(n.err(format!(
                "{op} is supported only on constants, but input '{}' is computed at run time",
                n.proto.input.first().map(String::as_str).unwrap_or("")
            ))),
            op => bail!(
                n.err(format!("{op} is not supported (supported: {})", ops::supported_list()))
            ),
        }
    }

    /// The ONNX dims of a runtime tensor: `[1, C, H, W]` or `[1, N]`.
    pub fn onnx_dims(&self, r: Run) -> Result<Vec<usize>> {
        let s = self.shape(r.src)?;
        Ok(match r.layout {
            Layout::Nchw => vec![1, s.d, s.h, s.w],
            Layout::Flat { .. } => vec![1, s.len()],
        })
    }

    /// A pass-through: the node's output is `x` itself. A graph output that would then be the
    /// network input gets an identity (`dropout`) layer, so that it has a layer to show.
    pub fn alias(&mut self, n: &Node, x: Run) -> Result<()> {
        let out = n.proto.output.first().map(String::as_str).unwrap_or("");
        if x.src == Src::Input && self.graph_outputs.contains(out) {
            return self.layer(n, LayerKind::Dropout, vec![x.src], Weights::None, x.layout);
        }
        self.set_output(n, Value::Run(x))
    }

    /// Input 0 as a 4-D NCHW volume.
    pub fn nchw_input(&self, n: &Node) -> Result<Run> {
        let x = self.run_input(n, 0)?;
        if x.layout != Layout::Nchw {
            bail!(n.err("needs a 4-D [1, C, H, W] input, got a flattened 2-D tensor"));
        }
        Ok(x)
    }

    /// Push a layer reading `inputs` and define the node's output as it, with `layout`.
    pub fn layer(
        &mut self,
        n: &Node,
        kind: LayerKind,
        inputs: Vec<Src>,
        w: Weights,
        layout: Layout,
    ) -> Result<()> {
        let src = self.push(n, kind, inputs, w);
        self.set_output(n, Value::Run(Run { src, layout }))
    }

    /// A one-input layer that keeps its input's layout (activations).
    fn same_layout(&mut self, n: &Node, kind: LayerKind, w: Weights) -> Result<()> {
        let x = self.run_input(n, 0)?;
        self.layer(n, kind, vec![x.src], w, x.layout)
    }
}
