//! A finished forward pass and what the worker computed from it.

use super::stats::VolStats;
use crate::nn::Network;
use crate::nn::forward::Activations;
use std::sync::Arc;
use std::time::Duration;

/// Every volume of one pass, their statistics, and the network that made them.
#[derive(Clone, Debug)]
pub struct Results {
    /// The network the pass ran (after an edit, until the next pass ends, an older one).
    pub net: Arc<Network>,
    pub acts: Activations,
    /// `stats[0]` is the input, `stats[i + 1]` layer i.
    pub stats: Vec<VolStats>,
    pub elapsed: Duration,
}

impl Results {
    /// The first layer whose output holds a NaN or an infinity, with its counts.
    pub fn first_non_finite(&self) -> Option<(usize, &VolStats)> {
        self.stats
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, s)| !s.bad.is_empty())
            .map(|(i, s)| (i - 1, s))
    }
}
