//! Explain the selected neuron with the real numbers. For a conv layer this is the seed's
//! formula rebuilt on the data, `V[r, c, d] = np.sum(X[window] * W[d]) + b[d]`, recomputed from
//! the window by the library's `conv_neuron` and checked against the stored activation, with
//! each input channel's contribution as a bar. Pools show their window, activations `max(0, x)`
//! and friends, fc its dot product.

use super::{centered_note, panel, theme, waiting};
use crate::nn::geometry::{AxisWindow, ConvGeometry, PoolGeometry};
use crate::nn::kernels::{NeuronTerms, conv_neuron};
use crate::nn::{LayerKind, Src, Weights};
use crate::tui::app::App;
use crate::tui::bars::{bar, fmt_val};
use crate::tui::state::Focus;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The seed's formula for conv neuron `(r, c, d)`.
pub fn conv_formula(rows: AxisWindow, cols: AxisWindow, ch: &str, d: usize, bias: bool) -> String {
    let b = if bias { format!(" + b[{d}]") } else { String::new() };
    if rows.is_empty() || cols.is_empty() {
        // No tap reads real input: the sum is over padding only.
        return format!("np.sum(0 · W[{d}]){b}  (the window lies wholly in the zero padding)");
    }
    let w = if rows.is_full() && cols.is_full() {
        format!("W[{d}]")
    } else {
        format!("W[{d}][{}, {}, :]", rows.tap_slice(), cols.tap_slice())
    };
    format!("np.sum(X[{}, {}, {ch}] * {w}){b}", rows.x_slice(), cols.x_slice())
}

/// Equal within 1e-4 relative; a NaN equals a NaN, and an infinity the same infinity.
fn close(a: f32, b: f32) -> bool {
    if !a.is_finite() || !b.is_finite() {
        return (a.is_nan() && b.is_nan()) || a == b;
    }
    (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0)
}

fn check(t: &Theme, value: f32, stored: f32) -> Line<'static> {
    let ok = close(value, stored);
    Line::from(vec![
        Span::styled("  = ", t.dim()),
        Span::styled(fmt_val(value), t.accent()),
        Span::styled(
            format!(
                "   stored activation {} {}",
                fmt_val(stored),
                if ok { "✓ equal" } else { "✗ differs" }
            ),
            if ok { t.good() } else { t.error() },
        ),
    ])
}

/// The panel's lines; `width` sizes the contribution bars, `room` the number of rows.
pub fn lines(app: &App, width: u16, room: u16) -> Option<Vec<Line<'static>>> {
    let t = theme(app);
    if app.is_stale(app.sel()) {
        // The weights are the new ones and the numbers the old ones: nothing to check yet.
        return None;
    }
    let (r, c) = app.cursor();
    let d = app.d();
    let out = app.volume(app.sel())?;
    let stored = *out.get([d, r, c])?;
    let v = format!("V[{r}, {c}, {d}]");
    let i = match app.sel() {
        Src::Input => {
            let mut l = vec![Line::from(vec![
                Span::styled(format!("X[{r}, {c}, {d}]"), t.accent()),
                Span::raw(format!(" = {}", fmt_val(stored))),
            ])];
            if let Some(p) = &app.photo()
                && let Some(px) = p.get_pixel_checked(c as u32, r as u32)
            {
                let [pr, pg, pb] = px.0;
                l.push(Line::from(format!("pixel RGB ({pr}, {pg}, {pb}) at row {r}, col {c}")));
                l.push(Line::from(format!("normalised: {}", app.net().input.normalize.describe())));
            }
            l.push(Line::from(Span::styled("the input volume: no weights yet", t.dim())));
            return Some(l);
        }
        Src::Layer(i) => i,
    };
    let layer = &app.net().layers[i];
    let info = &app.analysis().layers[i];
    if let Some(why) = app.not_computed(app.sel()) {
        return Some(not_computed_lines(&t, why));
    }
    if let LayerKind::Op(op) = &layer.kind {
        return op_lines(app, &t, op, i, d, r, c);
    }
    let src = *layer.inputs.first()?;
    let x = app.volume(src)?;
    let xs = app.shape(src);
    // The seed's names: V is this layer's output (the volume the slice and column panels
    // draw), X is what it reads.
    let vname = format!("V = {}'s output (the slice panel), ", layer.name);
    let xname = match src {
        Src::Input => format!("{vname}X = its input: the input volume"),
        s => format!("{vname}X = its input: {}'s output ({xs})", app.name_of(s)),
    };
    let x_at = x.get([d, r, c]).copied();
    let head =
        |text: String| Line::from(vec![Span::styled(v.clone(), t.accent()), Span::raw(text)]);
    let mut l: Vec<Line<'static>> = Vec::new();
    match (&layer.kind, &layer.weights) {
        (LayerKind::Conv(_), Weights::Conv { w, b }) => {
            let g = info.conv()?;
            let terms = conv_neuron(
                &x.view(),
                &w.view(),
                b.as_ref().map(|b| b.view()).as_ref(),
                g,
                d,
                r,
                c,
            );
            let neuron = Neuron { r, c, d, name: &v, stored };
            conv_lines(&t, &mut l, g, &neuron, &terms, b.is_some());
            l.push(Line::from(Span::styled(xname, t.dim())));
            // Rows as they will wrap: the heading of the bars and the sum line keep theirs.
            let rows = |l: &[Line<'static>]| crate::tui::wrap::lines(l.to_vec(), width).len();
            let sum = sum_line(&t, &v, &terms);
            let heading = Line::raw("contribution of each input channel (top 99 of 999, by size):");
            let fixed = rows(&l) + rows(std::slice::from_ref(&sum)) + rows(&[heading]);
            contributions(&t, &mut l, &terms, width, (room as usize).saturating_sub(fixed));
            l.push(sum);
            // The numbers themselves, when the window is small and there is room for them.
            let used = crate::tui::wrap::lines(l.clone(), width).len();
            let left = (room as usize).saturating_sub(used);
            window_grid(&t, &mut l, &x.view(), &w.view(), g, (d, r, c), &terms, (width, left));
        }
        (LayerKind::MaxPool(_) | LayerKind::AvgPool(_), _) => {
            let max = matches!(layer.kind, LayerKind::MaxPool(_));
            let neuron = Neuron { r, c, d, name: &v, stored };
            pool_lines(&t, &mut l, x, info.pool()?, &neuron, max);
            l.push(Line::from(Span::styled(xname, t.dim())));
        }
        (LayerKind::Fc { .. }, _) => {
            let n = xs.len();
            l.push(head(format!(" = W[{d}] · x + b[{d}] = {}", fmt_val(stored))));
            l.push(Line::from(format!(
                "a dot product of {n} terms: x is {xs} flattened in (H, W, D) order"
            )));
            l.push(Line::from(Span::styled(xname, t.dim())));
        }
        (LayerKind::Relu, _) => {
            l.push(head(format!(
                " = max(0, X[{r}, {c}, {d}]) = max(0, {}) = {}",
                val(x_at),
                fmt_val(stored)
            )));
            l.push(Line::from(Span::styled(xname, t.dim())));
        }
        (kind, _) => {
            let what = match kind {
                LayerKind::Clip { min, max } => format!("min(max(x, {min}), {max})"),
                LayerKind::LeakyRelu { alpha } => format!("x if x > 0 else {alpha}·x"),
                LayerKind::Prelu => format!("x if x > 0 else slope[{d}]·x"),
                LayerKind::Sigmoid => "1 / (1 + e^−x)".into(),
                LayerKind::BatchNorm { eps } => {
                    format!("(x − mean[{d}]) / sqrt(var[{d}] + {eps}) · γ[{d}] + β[{d}]")
                }
                LayerKind::Lrn { size, alpha, beta, bias } => {
                    format!(
                        "x / ({bias} + {alpha}/{size} · Σ x² over {size} neighbouring channels)^{beta}"
                    )
                }
                LayerKind::Softmax => format!("e^x / Σ_d e^X[{r}, {c}, d]"),
                LayerKind::Dropout => "x (dropout is the identity at inference)".into(),
                LayerKind::Flatten => "X[r', c', d'] with k = (r'·W + c')·D + d'".into(),
                LayerKind::GlobalAvgPool => format!("mean of the slice X[:, :, {d}]"),
                LayerKind::Add => "the sum of the inputs".into(),
                LayerKind::Mul => "the product of the inputs".into(),
                LayerKind::Concat => "the inputs stacked along depth".into(),
                _ => kind.type_name().into(),
            };
            l.push(head(format!(" = {what}")));
            let xin = match kind {
                LayerKind::Flatten | LayerKind::GlobalAvgPool | LayerKind::Concat => None,
                _ => x_at,
            };
            match xin {
                Some(xv) => l.push(Line::from(format!(
                    "x = X[{r}, {c}, {d}] = {}  →  {}",
                    fmt_val(xv),
                    fmt_val(stored)
                ))),
                None => l.push(Line::from(format!("= {}", fmt_val(stored)))),
            }
            l.push(Line::from(Span::styled(xname, t.dim())));
        }
    }
    Some(l)
}

/// A layer convscope does not compute: the reason, and that nothing is drawn for it.
pub fn not_computed_lines(t: &Theme, why: &str) -> Vec<Line<'static>> {
    vec![
        Line::from(Span::styled("not computed", t.warn())),
        Line::from(why.to_string()),
        Line::from(Span::styled("this layer has no values to show", t.dim())),
    ]
}

/// A general op: where the cursor's element comes from (see [`crate::nn::ops::explain`]).
fn op_lines(
    app: &App,
    t: &Theme,
    op: &crate::nn::ops::OpLayer,
    i: usize,
    d: usize,
    r: usize,
    c: usize,
) -> Option<Vec<Line<'static>>> {
    let layer = &app.net().layers[i];
    let info = &app.analysis().layers[i];
    let out = app.tensor(Src::Layer(i))?;
    let xs: Vec<&crate::nn::Tensor> =
        layer.inputs.iter().map(|&s| app.tensor(s)).collect::<Option<_>>()?;
    let names: Vec<String> = layer.inputs.iter().map(|&s| app.name_of(s).to_string()).collect();
    let idx = info.view.tensor_index(d, r, c);
    let text = crate::nn::ops::explain::explain(op, &xs, &names, out, &idx);
    let mut l: Vec<Line<'static>> = Vec::with_capacity(text.len() + 1);
    for (k, s) in text.into_iter().enumerate() {
        l.push(if k == 0 { Line::from(Span::styled(s, t.accent())) } else { Line::from(s) });
    }
    if !info.view.is_volume() {
        l.push(Line::from(Span::styled(
            format!(
                "{} {} drawn as {}",
                info.elem,
                crate::nn::tensor::dims_text(&info.dims),
                info.view.describe()
            ),
            t.dim(),
        )));
    }
    Some(l)
}

fn val(v: Option<f32>) -> String {
    v.map_or("?".into(), fmt_val)
}

/// The neuron being explained: its index, its name (`V[r, c, d]`) and its stored value.
struct Neuron<'a> {
    r: usize,
    c: usize,
    d: usize,
    name: &'a str,
    stored: f32,
}

fn conv_lines(
    t: &Theme,
    l: &mut Vec<Line<'static>>,
    g: &ConvGeometry,
    n: &Neuron,
    terms: &NeuronTerms,
    bias: bool,
) {
    let (rows, cols) = g.window.neuron(n.r, n.c);
    let ch = if g.groups <= 1 {
        ":".to_string()
    } else {
        let r = g.channels_of(n.d);
        format!("{}:{}", r.start, r.end)
    };
    l.push(Line::from(vec![
        Span::styled(n.name.to_string(), t.accent()),
        Span::raw(format!(" = {}", conv_formula(rows, cols, &ch, n.d, bias))),
    ]));
    l.push(check(t, terms.value, n.stored));
    overhang_line(t, l, rows, cols, "those taps read zero padding");
    if bias {
        l.push(Line::from(Span::styled(format!("b[{}] = {}", n.d, fmt_val(terms.bias)), t.dim())));
    }
}

/// `window hangs over the edge (1 over the top, 2 over the left): …`, when it does.
fn overhang_line(
    t: &Theme,
    l: &mut Vec<Line<'static>>,
    rows: AxisWindow,
    cols: AxisWindow,
    what: &str,
) {
    let (top, bottom) = rows.overhang();
    let (left, right) = cols.overhang();
    if top + bottom + left + right == 0 {
        return;
    }
    let mut parts = Vec::new();
    for (n, side) in [(top, "top"), (bottom, "bottom"), (left, "left"), (right, "right")] {
        if n > 0 {
            parts.push(format!("{n} over the {side}"));
        }
    }
    l.push(Line::from(Span::styled(
        format!("window hangs over the edge ({}): {what}", parts.join(", ")),
        t.warn(),
    )));
}

fn pool_lines(
    t: &Theme,
    l: &mut Vec<Line<'static>>,
    x: &crate::nn::View3,
    g: &PoolGeometry,
    n: &Neuron,
    max: bool,
) {
    let (rows, cols) = g.window.neuron(n.r, n.c);
    let op = if max { "max" } else { "mean" };
    l.push(Line::from(vec![
        Span::styled(n.name.to_string(), t.accent()),
        Span::raw(format!(
            " = {op}(X[{}, {}, {}]) = {}",
            rows.x_slice(),
            cols.x_slice(),
            n.d,
            fmt_val(n.stored)
        )),
    ]));
    let (rr, cr) = (rows.input_range(), cols.input_range());
    // The window's input ranges lie inside the input, and d is one of its channels.
    let win = x.slice(ndarray::s![n.d, rr, cr]);
    if win.nrows() <= 6 && win.ncols() <= 6 {
        for row in win.rows() {
            let spans: Vec<Span> = row
                .iter()
                .map(|&xv| {
                    let s = format!("{:>9}", fmt_val(xv));
                    let hit = max && (xv == n.stored || (xv.is_nan() && n.stored.is_nan()));
                    if hit { Span::styled(s, t.accent()) } else { Span::raw(s) }
                })
                .collect();
            l.push(Line::from(spans));
        }
    }
    let what = if max {
        "padding is ignored by max"
    } else if g.count_include_pad {
        "padded zeros count in the mean"
    } else {
        "the mean is over the real values only"
    };
    overhang_line(t, l, rows, cols, what);
}

/// One bar per input channel (top-N by size when there are many).
fn contributions(
    t: &Theme,
    l: &mut Vec<Line<'static>>,
    terms: &NeuronTerms,
    width: u16,
    room: usize,
) {
    if room == 0 || terms.contrib.is_empty() {
        return;
    }
    let n = terms.contrib.len();
    let mut order: Vec<(usize, f32)> = terms.contrib.clone();
    order.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let shown = order.len().min(room);
    let what = if shown < n { format!("top {shown} of {n}") } else { format!("all {n}") };
    l.push(Line::from(Span::styled(
        format!("contribution of each input channel ({what}, by size):"),
        t.label(),
    )));
    let max_abs = order.iter().map(|(_, v)| v.abs()).fold(0.0f32, f32::max);
    let cw = n.to_string().len().max(2);
    let num_w = order.iter().take(shown).map(|(_, v)| fmt_val(*v).len()).max().unwrap_or(1);
    let bar_w = (width as usize).saturating_sub(cw + num_w + 6).min(30);
    for &(ci, cv) in order.iter().take(shown) {
        l.push(Line::from(vec![
            Span::styled(format!("ch {ci:>cw$} "), t.dim()),
            Span::styled(bar(cv, max_abs, bar_w, true), t.bar(false)),
            Span::raw(format!(" {:>num_w$}", fmt_val(cv))),
        ]));
    }
}

/// `V = 1.008 + (−0.4373) + 0.05587 + (−0.04895) + 0 (b) = 0.5773`: the channel contributions
/// in channel order plus the bias, which is the neuron's value.
fn sum_line(t: &Theme, v: &str, terms: &NeuronTerms) -> Line<'static> {
    let signed = |x: f32| if x < 0.0 { format!("({})", fmt_val(x)) } else { fmt_val(x) };
    let body = if terms.contrib.len() <= 8 {
        let parts: Vec<String> = terms.contrib.iter().map(|&(_, x)| signed(x)).collect();
        parts.join(" + ")
    } else {
        format!("Σ of the {} channel contributions", terms.contrib.len())
    };
    Line::from(vec![
        Span::styled(format!("{v} = "), t.label()),
        Span::raw(format!("{body} + {} (b) = ", signed(terms.bias))),
        Span::styled(fmt_val(terms.value), t.accent()),
    ])
}

/// For a small window (the cs231n examples), the numbers of `X[window, ci]` and `W[d][.., .., ci]`
/// of the largest contributor `ci`, side by side, so the sum can be checked by hand.
#[allow(clippy::too_many_arguments)]
fn window_grid(
    t: &Theme,
    l: &mut Vec<Line<'static>>,
    x: &ndarray::ArrayView3<f32>,
    w: &ndarray::ArrayView4<f32>,
    g: &crate::nn::geometry::ConvGeometry,
    (d, r, c): (usize, usize, usize),
    terms: &NeuronTerms,
    (width, room): (u16, usize),
) {
    let (rows, cols) = (g.window.rows.window(r), g.window.cols.window(c));
    let (fh, fw) = (rows.f, cols.f);
    let cell = 7;
    if fh * fw > 25 {
        return;
    }
    let hint = |l: &mut Vec<Line<'static>>, text: String| {
        l.push(Line::from(Span::styled(text, t.dim())));
    };
    if room < fh + 2 || (width as usize) < 2 * fw * cell + 3 {
        if room >= 1 {
            hint(l, "the numbers of X's window and of W[d]: z (zoom) gives them room".into());
        }
        return;
    }
    // The channels by the size of their part, each as its X window beside its W slice, while
    // they fit; the others are counted.
    let mut order: Vec<(usize, f32)> = terms.contrib.clone();
    order.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let group_start = terms.contrib.first().map_or(0, |f| f.0);
    let (r0, r1) = (rows.start, rows.start + ((fh - 1) * rows.dil) as i64 + 1);
    let (c0, c1) = (cols.start, cols.start + ((fw - 1) * cols.dil) as i64 + 1);
    let num = |v: Option<f32>| match v {
        Some(v) => format!("{:>6}", format!("{v:.3}").trim_end_matches('0').trim_end_matches('.')),
        None => format!("{:>6}", "pad"),
    };
    let mut left = room;
    for (n, &(ci, part)) in order.iter().enumerate() {
        let more = order.len() - n;
        let need = fh + 1 + usize::from(more > 1);
        if left < need {
            hint(l, format!("+{more} more channels' numbers (z, or a taller terminal)"));
            break;
        }
        left -= fh + 1;
        l.push(Line::from(Span::styled(
            format!(
                "channel {ci}: X[{r0}:{r1}, {c0}:{c1}, {ci}] │ W[{d}][:, :, {}]  (Σ of products {})",
                ci - group_start,
                fmt_val(part)
            ),
            t.label(),
        )));
        for fy in 0..fh {
            let iy = rows.start + (fy * rows.dil) as i64;
            let xs: Vec<String> = (0..fw)
                .map(|fx| {
                    let ix = cols.start + (fx * cols.dil) as i64;
                    let inside = iy >= 0 && ix >= 0;
                    num(inside.then(|| x.get([ci, iy as usize, ix as usize]).copied()).flatten())
                })
                .collect();
            let ws: Vec<String> =
                (0..fw).map(|fx| num(w.get([d, fy, fx, ci - group_start]).copied())).collect();
            l.push(Line::from(vec![
                Span::raw(xs.join(" ")),
                Span::styled(" │ ", t.dim()),
                Span::raw(ws.join(" ")),
            ]));
        }
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let (r, c) = app.cursor();
    let title = format!("explain · {}[{r}, {c}, {}]", app.name_of(app.sel()), app.d());
    let block = panel(app, area, title, Some(Focus::Explain));
    let inner = block.inner(area);
    match lines(app, inner.width, inner.height) {
        Some(l) => {
            Paragraph::new(crate::tui::wrap::lines(l, inner.width)).block(block).render(area, buf)
        }
        None => {
            block.render(area, buf);
            centered_note(app, inner, buf, &waiting(app));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn the_sum_and_the_window_numbers_can_be_checked_by_hand() {
        let mut app = testing::numpy_app();
        app.update(Action::Select(Src::Layer(0)));
        let text: Vec<String> = lines(&app, 100, 60)
            .unwrap()
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        let v = app.volume(Src::Layer(0)).unwrap()[[0, 0, 0]];
        let sum =
            text.iter().find(|l| l.starts_with("V[0, 0, 0] = ") && l.contains(" (b) = ")).unwrap();
        assert!(sum.ends_with(&format!("= {}", fmt_val(v))), "{sum}");
        // The grid of the largest contributor: its products sum to its bar's number.
        let at = text.iter().position(|l| l.starts_with("channel ")).expect("a grid");
        let head = &text[at];
        let part: f32 =
            head.rsplit("products ").next().unwrap().trim_end_matches(')').parse().unwrap();
        let mut total = 0.0f32;
        for row in &text[at + 1..at + 6] {
            let (xs, ws) = row.split_once('│').unwrap();
            let nums = |s: &str| {
                s.split_whitespace().map(|v| v.parse::<f32>().unwrap()).collect::<Vec<_>>()
            };
            total += nums(xs).iter().zip(nums(ws)).map(|(a, b)| a * b).sum::<f32>();
        }
        // Each printed number is rounded to 3 decimals.
        assert!((total - part).abs() < 0.02, "{total} vs {part}: {head}");
    }

    /// The README's question-7 example is this panel's text on the same preset, so it cannot
    /// drift from the screen (`UPDATE_README=1` rewrites it).
    #[test]
    fn the_readme_shows_the_q7_panel_as_the_screen_does() {
        let mut app = testing::numpy_app();
        app.update(Action::Select(Src::Layer(0)));
        let body: String = lines(&app, 90, 40)
            .unwrap()
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>() + "\n")
            .collect();
        crate::readme_block::check("q7", &format!("```\n{}\n```\n", body.trim_end()));
    }

    #[test]
    fn windows_in_numpy_slices() {
        use crate::nn::geometry::Axis;
        let axis = |n, f, dil, s, p| Axis::fit("rows", n, f, dil, s, (p, p), false).unwrap();
        // AlexNet conv1 neuron (12, 40): rows 48:59, cols 160:171.
        let a = axis(227, 11, 1, 4, 0);
        assert_eq!(
            conv_formula(a.window(12), a.window(40), ":", 7, true),
            "np.sum(X[48:59, 160:171, :] * W[7]) + b[7]"
        );
        // cs231n demo: 5×5 input, P = 1, F = 3, S = 2: neuron 0 hangs over the top-left by 1.
        let w = axis(5, 3, 1, 2, 1).window(0);
        assert_eq!(
            conv_formula(w, w, ":", 0, true),
            "np.sum(X[0:2, 0:2, :] * W[0][1:3, 1:3, :]) + b[0]"
        );
        // A window wholly in padding reads no input at all.
        let empty = axis(4, 2, 1, 2, 4).window(0);
        assert_eq!(
            conv_formula(empty, empty, ":", 0, true),
            "np.sum(0 · W[0]) + b[0]  (the window lies wholly in the zero padding)"
        );
    }

    #[test]
    fn the_seed_literal_v000_is_rebuilt_and_equal() {
        let mut app = testing::numpy_app();
        app.update(Action::Select(Src::Layer(0)));
        let term = testing::render(&app, 76, 12, render);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        assert!(text.contains("V[0, 0, 0] = np.sum(X[0:5, 0:5, :] * W[0]) + b[0]"), "{text}");
        assert!(text.contains("✓ equal"), "{text}");
        app.update(Action::SetCursor(1, 0));
        let text = testing::text(&testing::render(&app, 76, 12, render));
        assert!(text.contains("V[1, 0, 0] = np.sum(X[2:7, 0:5, :] * W[0]) + b[0]"), "{text}");
        assert!(text.contains("all 4, by size"), "{text}");
    }

    /// A spec of one conv (pads up to twice its size, so some windows lie wholly in padding)
    /// and one maxpool (pads below its window, the rule).
    fn conv_pool_spec(
        (h, w, d): (usize, usize, usize),
        (k, f, s, p): (usize, usize, usize, [usize; 4]),
        (pf, ps, pp): (usize, usize, usize),
    ) -> String {
        format!(
            "[input]\nshape = [{h}, {w}, {d}]\n[[layer]]\ntype = \"conv\"\nfilters = {k}\nsize = {f}\nstride = {s}\npad = {p:?}\ninit = \"random\"\n[[layer]]\ntype = \"maxpool\"\nsize = {pf}\nstride = {ps}\npad = {pp}\n"
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Every neuron's explanation renders, and a conv neuron's rebuilt value equals the
        /// kernel's, wherever its window is (inside, over the edge, or wholly in padding).
        #[test]
        fn explain_renders_every_window_and_agrees_with_the_kernel(
            shape in (1usize..7, 1usize..7, 1usize..4),
            (k, f, s) in (1usize..4, 1usize..4, 1usize..3),
            p in proptest::array::uniform4(0usize..7),
            (pf, ps) in (1usize..4, 1usize..3),
            at in (0usize..40, 0usize..40, 0usize..8),
        ) {
            let pp = pf / 2;
            let text = conv_pool_spec(shape, (k, f, s, p), (pf, ps, pp));
            let spec = crate::model::spec::parse(&text, "t").unwrap();
            let Ok(net) = crate::model::from_spec::build(
                &spec, "t", None, crate::model::WeightMode::Full)
            else {
                return Ok(()); // a window that does not fit: the spec is refused, as it should be
            };
            let mut app = testing::computed(net);
            for layer in [0, 1] {
                app.update(Action::Select(Src::Layer(layer)));
                app.update(Action::SetCursor(at.0, at.1));
                app.update(Action::SetDepth(at.2));
                let text = testing::text(&testing::render(&app, 90, 14, render));
                if layer == 0 {
                    proptest::prop_assert!(text.contains("✓ equal"), "{}", text);
                }
            }
        }
    }

    #[test]
    fn a_window_wholly_in_padding_is_explained_as_the_bias() {
        // 4×4 input, 2×2 filter, stride 2, pad 4: neuron (0, 0) reads rows −4..−3 only.
        let text = conv_pool_spec((4, 4, 1), (1, 2, 2, [4, 4, 4, 4]), (1, 1, 0));
        let spec = crate::model::spec::parse(&text, "t").unwrap();
        let net = crate::model::from_spec::build(&spec, "t", None, crate::model::WeightMode::Full)
            .unwrap();
        let mut app = testing::computed(net);
        app.update(Action::Select(Src::Layer(0)));
        let text = testing::text(&testing::render(&app, 100, 10, render));
        assert!(
            text.contains("np.sum(0 · W[0]) + b[0]  (the window lies wholly in the zero padding)"),
            "{text}"
        );
        assert!(text.contains("✓ equal"), "{text}");
    }

    #[test]
    fn relu_shows_max_of_zero_and_x() {
        let mut app = testing::ramp_app(crate::tui::color::Tier::Truecolor);
        app.update(Action::Select(Src::Layer(0)));
        app.update(Action::SetCursor(0, 1));
        let text = testing::text(&testing::render(&app, 70, 6, render));
        assert!(text.contains("V[0, 1, 0] = max(0, X[0, 1, 0]) = max(0, -7) = 0"), "{text}");
    }
}
