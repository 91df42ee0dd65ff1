//! Building the [`Network`] from the graph's nodes, in file order (ONNX requires a topological
//! order). Every node output becomes a layer, except what is known at load time: initializers,
//! `Constant` nodes, and nodes whose operands are all known (shape arithmetic, `Shape` of a
//! tensor whose dims analysis already knows), which are folded into constants.
//!
//! Each layer is analysed as it is appended, so a later node can fold `Shape` of it; an op
//! convscope does not compute becomes a not-computable layer, and analysis marks everything
//! that needs it.

use super::attrs::Node;
use super::nodes::{self, Mapped, Operand as NodeOperand};
use crate::nn::analysis::{Analyzer, LayerInfo};
use crate::nn::forward::run_layer;
use crate::nn::ops::{Op, OpLayer, Operand};
use crate::nn::{Layer, LayerKind, Network, Origin, Src, Tensor, Weights};
use color_eyre::eyre::{Result, bail, eyre};
use std::collections::{HashMap, HashSet};

/// Folded constants larger than this stay layers (computed at run time, budget-checked).
const MAX_FOLD_VALUES: usize = 1 << 22;

/// What a tensor name stands for.
#[derive(Clone, Debug)]
pub enum Value {
    Const(Tensor),
    Run(Src),
    /// A tensor convscope cannot provide (a second graph input), with why.
    Missing(String),
}

pub struct Builder {
    pub net: Network,
    analyzer: Analyzer,
    values: HashMap<String, Value>,
    origin: Origin,
    /// Tensor names some node or graph output reads (multi-output nodes get layers only for
    /// these).
    used: HashSet<String>,
    taken: HashSet<String>,
    /// Every node output's tensor name: a node name that is also another node's tensor name
    /// would make a lookup ambiguous, so such a layer takes its own tensor's name.
    tensors: HashSet<String>,
    /// The layer each node output tensor is, by its name in the file.
    pub made: Vec<(String, Src)>,
}

impl Builder {
    /// # Errors
    /// An input the analysis refuses (a zero or too large size).
    pub fn new(net: Network, origin: Origin) -> Result<Self> {
        let analyzer = Analyzer::new(&net.input).map_err(|e| eyre!("{e}"))?;
        Ok(Builder {
            net,
            analyzer,
            values: HashMap::new(),
            origin,
            used: HashSet::new(),
            taken: HashSet::new(),
            tensors: HashSet::new(),
            made: Vec::new(),
        })
    }

    pub fn define(&mut self, tensor: &str, v: Value) {
        self.values.insert(tensor.to_string(), v);
    }

    /// Record a node output's tensor name (before any node is mapped).
    pub fn mark_tensor(&mut self, tensor: &str) {
        self.tensors.insert(tensor.to_string());
    }

    pub fn mark_used(&mut self, tensor: &str) {
        self.used.insert(tensor.to_string());
    }

    pub fn value(&self, tensor: &str) -> Option<&Value> {
        self.values.get(tensor)
    }

    /// Input `i` of a node: `None` when omitted (`""`); an error when no earlier node or
    /// initializer makes it.
    pub fn input(&self, n: &Node, i: usize) -> Result<Option<&Value>> {
        let Some(name) = n.input(i) else { return Ok(None) };
        match self.values.get(name) {
            Some(v) => Ok(Some(v)),
            None => bail!(n.err(format!(
                "input '{}' is not produced by any earlier node or initializer \
                 (the graph is out of order, or the file is truncated)",
                crate::text::printable(name)
            ))),
        }
    }

    /// Input `i` as a constant, if it is one.
    pub fn const_input(&self, n: &Node, i: usize) -> Result<Option<&Tensor>> {
        Ok(match self.input(n, i)? {
            Some(Value::Const(t)) => Some(t),
            _ => None,
        })
    }

    /// The analysed info of a runtime source.
    pub fn info(&self, s: Src) -> Option<crate::nn::ops::Info> {
        self.analyzer.info(s).filter(|_| self.analyzer.computed(s))
    }

    /// The info of input `i` when it is computed at run time and analysis knows it.
    pub fn run_info(&self, n: &Node, i: usize) -> Result<Option<(Src, crate::nn::ops::Info)>> {
        Ok(match self.input(n, i)? {
            Some(Value::Run(s)) => self.info(*s).map(|info| (*s, info)),
            _ => None,
        })
    }

    /// A unique layer name from the node (its name, else its output's).
    fn layer_name(&mut self, n: &Node, output: usize) -> String {
        let out = n.proto.output.get(output).map(|o| crate::text::printable(o).into_owned());
        let own = n.proto.output.get(output).map(String::as_str).unwrap_or("");
        let clashes =
            n.proto.name.as_deref().is_some_and(|nm| nm != own && self.tensors.contains(nm));
        let base = if output == 0 && !clashes {
            n.layer_name()
        } else if output == 0 {
            out.clone().unwrap_or_else(|| n.layer_name())
        } else {
            out.clone().unwrap_or_else(|| format!("{}:{output}", n.layer_name()))
        };
        let mut name = base.clone();
        let mut k = 2;
        while self.taken.contains(&name) || name == "input" {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.taken.insert(name.clone());
        name
    }

    /// Append a layer, analyse it, and return its source. When the input's H and W are open, a
    /// layer whose shapes do not fit the chosen size (a reshape to fixed dims, a window larger
    /// than its input) is not computed, with why, rather than refusing the model: another size
    /// may fit it.
    fn push(&mut self, mut layer: Layer) -> Result<Src> {
        if let Err(e) = self.analyzer.push(&layer) {
            if !self.net.input.open_size {
                bail!("{e}");
            }
            let size = self.net.input.shape;
            let reason = format!(
                "{} {} {}×{} (try another with --size HxW)",
                crate::text::one_line(&e.kind.to_string()),
                super::size_search::MISFIT,
                size.h,
                size.w
            );
            let operands = (0..layer.inputs.len()).map(Operand::Input).collect();
            let op = OpLayer { op: Op::Unsupported { reason }, operands, output: 0 };
            layer.kind = LayerKind::Op(Box::new(op));
            layer.weights = Weights::None;
            self.analyzer.push(&layer).map_err(|e| eyre!("{e}"))?;
        }
        self.net.layers.push(layer);
        Ok(Src::Layer(self.net.layers.len() - 1))
    }

    /// The analysed info of the last layer.
    fn last(&self) -> &LayerInfo {
        self.analyzer.layers().last().expect("a layer was pushed")
    }

    /// A layer showing a constant (a graph output folded at load time).
    ///
    /// # Errors
    /// As [`Builder::node`].
    pub fn constant_layer(&mut self, tensor: &str, t: Tensor) -> Result<Src> {
        let mut name = tensor.to_string();
        let mut k = 2;
        while self.taken.contains(&name) || name == "input" {
            name = format!("{tensor}_{k}");
            k += 1;
        }
        self.taken.insert(name.clone());
        let op = OpLayer { op: Op::Identity, operands: vec![Operand::Const(t)], output: 0 };
        let layer = Layer {
            name,
            kind: LayerKind::Op(Box::new(op)),
            inputs: Vec::new(),
            weights: Weights::None,
            origin: Origin::None,
            strict: false,
        };
        self.push(layer)
    }

    /// Map one node: fold it, or append its layers.
    ///
    /// # Errors
    /// A malformed node (bad attribute, undefined input), or a layer the analysis refuses.
    pub fn node(&mut self, n: &Node) -> Result<()> {
        let outputs: Vec<String> = n.proto.output.clone();
        let mapped = nodes::map(self, n)?;
        let (op, operands) = match mapped {
            Mapped::Const(t) => {
                let out = outputs.first().ok_or_else(|| n.err("has no output"))?;
                self.define(out, Value::Const(t));
                self.net.folded_nodes += 1;
                return Ok(());
            }
            Mapped::Volume { kind, weights, x } => {
                let name = self.layer_name(n, 0);
                let origin = if matches!(weights, Weights::None) {
                    Origin::None
                } else {
                    self.origin.clone()
                };
                let layer = Layer { name, kind, inputs: vec![x], weights, origin, strict: false };
                let src = self.push(layer)?;
                self.name_outputs(n, &outputs, &[(0, src)]);
                return Ok(());
            }
            Mapped::Op(op, operands) => (op, operands),
        };
        // A missing operand (a second graph input) makes the node not computable.
        let missing = operands.iter().find_map(|o| match o {
            NodeOperand::Input(i) => match self.input(n, *i) {
                Ok(Some(Value::Missing(why))) => Some(why.clone()),
                _ => None,
            },
            _ => None,
        });
        let (op, operands) = match missing {
            Some(why) => (Op::Unsupported { reason: why }, operands),
            None => (op, operands),
        };
        let mut inputs: Vec<Src> = Vec::new();
        let mut resolved = Vec::with_capacity(operands.len());
        for o in operands {
            resolved.push(match o {
                NodeOperand::Input(i) => match self.input(n, i)? {
                    None => Operand::Absent,
                    Some(Value::Const(t)) => Operand::Const(t.clone()),
                    Some(Value::Run(s)) => {
                        let s = *s;
                        let k = inputs.iter().position(|&x| x == s).unwrap_or_else(|| {
                            inputs.push(s);
                            inputs.len() - 1
                        });
                        Operand::Input(k)
                    }
                    Some(Value::Missing(_)) => Operand::Absent,
                },
                NodeOperand::Const(t) => Operand::Const(t),
                NodeOperand::Absent => Operand::Absent,
            });
        }
        // Which outputs to make: every used one (output 0 always, so a dead node still shows).
        let wanted: Vec<usize> = (0..outputs.len().max(1))
            .filter(|&k| {
                k == 0 || outputs.get(k).is_some_and(|o| !o.is_empty() && self.used.contains(o))
            })
            .collect();
        let mut made = Vec::with_capacity(wanted.len());
        for k in wanted {
            let layer_op = match (&op, k) {
                (Op::Unsupported { .. }, _) => op.clone(),
                (_, k) if k > 0 && !nodes::has_output(&op, k) => {
                    Op::Unsupported { reason: format!("{} output {k} ('{}')", n.label, outputs[k]) }
                }
                _ => op.clone(),
            };
            let oplayer = OpLayer { op: layer_op, operands: resolved.clone(), output: k };
            let name = self.layer_name(n, k);
            let weights_from_file = oplayer.has_weights();
            let layer = Layer {
                name,
                kind: LayerKind::Op(Box::new(oplayer)),
                inputs: inputs.clone(),
                weights: Weights::None,
                origin: if weights_from_file { self.origin.clone() } else { Origin::None },
                strict: false,
            };
            let src = self.push(layer)?;
            // Known at load time: fold it into a constant and drop the layer.
            if inputs.is_empty() && self.last().computed() {
                let info = self.last().clone();
                let count = info.dims.iter().product::<usize>();
                if count <= MAX_FOLD_VALUES {
                    let layer = self.net.layers.pop().expect("just pushed");
                    self.analyzer.pop();
                    self.taken.remove(&layer.name);
                    let t = run_layer(&layer, &info, &[]).map_err(|e| n.err(e))?;
                    if let Some(o) = outputs.get(k) {
                        self.define(o, Value::Const(t));
                    }
                    if k == 0 {
                        self.net.folded_nodes += 1;
                    }
                    continue;
                }
            }
            made.push((k, src));
        }
        self.name_outputs(n, &outputs, &made);
        Ok(())
    }

    /// Define each made output's tensor name, and record it as an alias when it is not the
    /// layer's own name.
    fn name_outputs(&mut self, n: &Node, outputs: &[String], made: &[(usize, Src)]) {
        for &(k, src) in made {
            let Some(o) = outputs.get(k).filter(|o| !o.is_empty()) else { continue };
            self.define(o, Value::Run(src));
            self.made.push((o.clone(), src));
            let shown = crate::text::printable(o).into_owned();
            let Src::Layer(i) = src else { continue };
            if self.net.layers[i].name != shown {
                self.net.aliases.push((shown, src));
            }
        }
        // A node's name finds its first layer too when that layer took its output's name.
        if let Some(&(_, Src::Layer(i))) = made.first()
            && let Some(nm) = n.proto.name.as_deref().filter(|s| !s.is_empty())
        {
            let clash = self.tensors.contains(nm);
            let nm = crate::text::printable(nm).into_owned();
            if !clash
                && self.net.layers[i].name != nm
                && !self.net.aliases.iter().any(|(a, _)| *a == nm)
            {
                self.net.aliases.push((nm, Src::Layer(i)));
            }
        }
    }
}
