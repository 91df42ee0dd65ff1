//! `convscope bench`: median forward time per layer and in total, with GFLOP/s.
//!
//! A timing sample repeats the pass until it has taken at least [`MIN_SAMPLE`] (a tiny network
//! runs in microseconds, below the clock's useful resolution and dominated by its jitter), and
//! reports the time per pass: the sample's time divided by its passes.
//!
//! Relu and clip layers are lazy views (see `nn::forward`): a pass computes only those that
//! something other than a conv reads. The report says how many there are and what computing all
//! the others once costs (what the explorer pays after a pass, for its statistics), apart from
//! the pass's total.

use super::InputArgs;
use crate::model::{self, WeightMode, image_input};
use crate::nn::analysis::analyze;
use crate::nn::forward::forward_from;
use clap::Args;
use color_eyre::eyre::{Result, eyre};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Each timing sample runs passes until it has lasted at least this long.
const MIN_SAMPLE: Duration = Duration::from_millis(1);
/// …but never more than this many passes.
const MAX_PASSES: usize = 100_000;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// A preset name, a `.toml` spec or an `.onnx` model.
    #[arg(short, long)]
    pub model: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// Worker threads, 1 to 256 (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Timed samples after one warm-up pass, 1 to 10000; a sample of a tiny network repeats the
    /// pass until it lasts 1 ms and counts the time per pass.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=10000))]
    pub runs: u16,
    /// Emit JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct LayerTime {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    median_ms: f64,
    gflops: f64,
}

#[derive(Serialize)]
struct Report {
    model: String,
    threads: usize,
    runs: usize,
    /// Forward passes per timing sample; every time is per pass.
    passes_per_sample: usize,
    layers: Vec<LayerTime>,
    total_median_ms: f64,
    total_gflops: f64,
    /// Layers kept as lazy views, and how many of them a pass left uncomputed…
    views: usize,
    views_pending: usize,
    /// …and the time to compute those once after a pass (not in `total_median_ms`).
    views_ms: f64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn run(a: &BenchArgs, size: Option<(usize, usize)>) -> Result<()> {
    let threads = a.threads.map_or_else(rayon::current_num_threads, usize::from).max(1);
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| eyre!("{e}"))?;
    let net = super::load(
        &a.model,
        WeightMode::Full,
        size,
        a.input.image.as_deref(),
        a.input.input.as_deref(),
    )?;
    let analysis = analyze(&net).map_err(model::ModelError::from)?;
    let pass_bytes = analysis.pass_bytes();
    crate::nn::budget::check(|| format!("one pass of {}", net.name), pass_bytes)?;
    let (x, _) = image_input::load_input(&net, a.input.image.as_deref(), a.input.input.as_deref())?;
    let n = net.layers.len();
    let runs = usize::from(a.runs).max(1);
    // One pass, the i-th layer's time added to `per_layer[i]`; returns the whole pass's time.
    // Runs on the pool's thread (see `install` below): handing every pass to the pool would
    // add a thread wake-up to each one.
    let pass = |per_layer: &mut [f64]| -> Result<Duration> {
        let mut stamps = Vec::with_capacity(n + 1);
        let t0 = Instant::now();
        forward_from(&net, &analysis, x.clone(), &[], 0, &mut |_| {
            stamps.push(Instant::now());
            true
        })?;
        let end = Instant::now();
        stamps.push(end);
        for (i, t) in per_layer.iter_mut().enumerate() {
            *t += (stamps[i + 1] - stamps[i]).as_secs_f64() * 1e3;
        }
        Ok(end - t0)
    };
    let sample = |passes: usize| -> Result<(f64, Vec<f64>)> {
        let mut sums = vec![0.0; n];
        let mut total = Duration::ZERO;
        for _ in 0..passes {
            total += pass(&mut sums)?;
        }
        sums.iter_mut().for_each(|s| *s /= passes as f64);
        Ok((total.as_secs_f64() * 1e3 / passes as f64, sums))
    };
    let mut per_layer: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); n];
    let mut totals = Vec::with_capacity(runs);
    let passes = pool.install(|| -> Result<usize> {
        // Warm-up: the first pass faults in fresh memory, the second reuses the first's
        // buffers; the second's time sets the passes per sample.
        sample(1)?;
        let (warm, _) = sample(1)?;
        let passes = ((MIN_SAMPLE.as_secs_f64() * 1e3 / warm.max(1e-6)).ceil() as usize)
            .clamp(1, MAX_PASSES);
        for _ in 0..runs {
            let (total, layers) = sample(passes)?;
            totals.push(total);
            per_layer.iter_mut().zip(layers).for_each(|(t, l)| t.push(l));
        }
        Ok(passes)
    })?;
    let gflops = |macs: u64, ms: f64| if ms > 0.0 { 2.0 * macs as f64 / (ms * 1e6) } else { 0.0 };
    let layers: Vec<LayerTime> = net
        .layers
        .iter()
        .zip(&analysis.layers)
        .zip(per_layer.iter_mut())
        .map(|((l, info), t)| {
            let ms = median(t);
            LayerTime {
                name: l.name.clone(),
                kind: l.kind.type_name(),
                median_ms: ms,
                gflops: gflops(info.macs, ms),
            }
        })
        .collect();
    let total = median(&mut totals);
    // Computing the views, in the steady state: the second time, on buffers the first gave back.
    let (views, views_pending, views_ms) = pool.install(|| -> Result<_> {
        let mut last = (0, 0, 0.0);
        for _ in 0..2 {
            let acts = forward_from(&net, &analysis, x.clone(), &[], 0, &mut |_| true)?
                .ok_or_else(|| eyre!("the pass was cancelled"))?;
            let (views, pending) = acts.views();
            let t0 = Instant::now();
            acts.outputs().for_each(drop);
            last = (views, pending, t0.elapsed().as_secs_f64() * 1e3);
        }
        Ok(last)
    })?;
    let report = Report {
        model: net.name.clone(),
        threads,
        runs,
        passes_per_sample: passes,
        total_gflops: gflops(analysis.total_macs, total),
        layers,
        total_median_ms: total,
        views,
        views_pending,
        views_ms,
    };
    let mut out = super::out::Report::default();
    if a.json {
        out.line(serde_json::to_string_pretty(&report)?);
        return out.print();
    }
    out.line(format!(
        "{} · {} thread(s) · median of {} samples of {} pass(es)",
        report.model, threads, runs, passes
    ));
    out.line(format!("{:<24} {:<14} {:>10} {:>9}", "layer", "kind", "ms", "GFLOP/s"));
    for l in &report.layers {
        let g = if l.gflops > 0.0 { format!("{:.1}", l.gflops) } else { String::new() };
        out.line(format!("{:<24} {:<14} {:>10.3} {:>9}", l.name, l.kind, l.median_ms, g));
    }
    out.line(format!(
        "{:<24} {:<14} {:>10.3} {:>9.1}",
        "total", "", report.total_median_ms, report.total_gflops
    ));
    if views > 0 {
        out.line(format!(
            "{views} relu/clip layers are lazy views: computed when something reads them, not by \
             the pass; the {views_pending} no layer read take {views_ms:.3} ms more to compute, \
             once (the explorer does, for their statistics)"
        ));
    }
    out.print()
}
