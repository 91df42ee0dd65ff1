//! The heatmap rasteriser: a 2-D map of values → terminal cells.
//!
//! With colour, each cell is `'▀'` carrying two pixels: fg = the top pixel, bg = the bottom one
//! (ratatui's colors-rgb technique), so a cell is about square per pixel. Without colour, a pixel
//! is two ramp characters side by side (a cell is about twice as tall as wide).
//!
//! The aspect ratio is kept. A map that fits is upscaled by a whole factor `k`, so each value is a
//! `k×k` square of pixels; a larger map is downsampled by the mean over each output pixel's area.
//!
//! Where the terminal draws images ([`graphics`](super::graphics)), a raster is instead the map's
//! own pixels, one per neuron, and the cells it covers ([`Fit::Pixels`]); the cells are left blank
//! (kitty placeholders in tmux) for the image to show through.

use super::color::{Rgb, Tier, ramp_char};
use super::colormap::Scale;
use super::graphics::{Caps, Image, Mode, kitty};
use ndarray::{Array2, ArrayView2};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use std::sync::Arc;

/// How source values became pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Each value is a `k×k` block of pixels.
    Up { k: usize },
    /// Each pixel is the mean of a block of about `h/out_h × w/out_w` values.
    Down { out_h: usize, out_w: usize },
    /// An image in the terminal's own pixels: one image pixel is `sub × sub` source values (1:
    /// one neuron, the usual case; sixel must average a map larger than its panel), and one
    /// source value is `num/den` screen pixels, a cell being `cw × ch` of them.
    Pixels { sub: usize, num: usize, den: usize, cw: usize, ch: usize },
}

/// What a raster is drawn with: the colour tier, and the terminal's graphics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paint {
    pub tier: Tier,
    pub caps: Caps,
}

impl From<Tier> for Paint {
    fn from(tier: Tier) -> Paint {
        Paint { tier, caps: Caps::halfblocks() }
    }
}

impl Paint {
    /// Whether maps become images: the terminal has graphics and colour is on.
    pub fn pixels(&self) -> bool {
        self.caps.pixels() && self.tier.has_pixels()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct RCell {
    sym: char,
    fg: Color,
    bg: Color,
}

/// Where a `src_h × src_w` map lands in a block of cells: the fit and the cells used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub src_h: usize,
    pub src_w: usize,
    pub fit: Fit,
    /// Cells used (at most the size asked for); 0 when nothing fits.
    pub cols: u16,
    pub rows: u16,
    /// Half-block pixels (colour) or two ramp characters per pixel.
    pub half: bool,
}

impl Geometry {
    /// Fit an `h × w` map into `cols × rows` cells of the given tier.
    pub fn new(h: usize, w: usize, tier: Tier, cols: u16, rows: u16) -> Geometry {
        let half = tier.has_pixels();
        // Pixel budget: a colour cell holds 1×2 pixels, a ramp pixel takes 2×1 cells.
        let (pw, ph) = if half {
            (cols as usize, 2 * rows as usize)
        } else {
            (cols as usize / 2, rows as usize)
        };
        let mut g = Geometry { src_h: h, src_w: w, fit: Fit::Up { k: 1 }, cols: 0, rows: 0, half };
        if h == 0 || w == 0 || pw == 0 || ph == 0 {
            return g;
        }
        let (oh, ow) = if h <= ph && w <= pw {
            let k = (pw / w).min(ph / h).max(1);
            g.fit = Fit::Up { k };
            (h * k, w * k)
        } else {
            let s = (h as f64 / ph as f64).max(w as f64 / pw as f64);
            let out_h = ((h as f64 / s).round() as usize).clamp(1, ph);
            let out_w = ((w as f64 / s).round() as usize).clamp(1, pw);
            g.fit = Fit::Down { out_h, out_w };
            (out_h, out_w)
        };
        if half {
            (g.cols, g.rows) = (ow as u16, oh.div_ceil(2) as u16);
        } else {
            (g.cols, g.rows) = (2 * ow as u16, oh as u16);
        }
        g
    }

    /// The geometry a raster drawn with `paint` gets: [`pixels`](Self::pixels) or
    /// [`new`](Self::new).
    pub fn of(h: usize, w: usize, paint: impl Into<Paint>, cols: u16, rows: u16) -> Geometry {
        let paint = paint.into();
        if paint.pixels() {
            Geometry::pixels(h, w, paint.caps, cols, rows)
        } else {
            Geometry::new(h, w, paint.tier, cols, rows)
        }
    }

    /// Fit an `h × w` map as an image into `cols × rows` cells: scaled up by a whole factor when
    /// it fits the cells' screen pixels, else down (by the terminal; sixel, which cannot scale,
    /// by a whole factor of its own).
    pub fn pixels(h: usize, w: usize, caps: Caps, cols: u16, rows: u16) -> Geometry {
        let (cw, ch) = caps.cell_or_default();
        let (cw, ch) = (cw as usize, ch as usize);
        let (pw, ph) = (cols as usize * cw, rows as usize * ch);
        let fit = Fit::Pixels { sub: 1, num: 1, den: 1, cw, ch };
        let mut g = Geometry { src_h: h, src_w: w, fit, cols: 0, rows: 0, half: true };
        if h == 0 || w == 0 || pw == 0 || ph == 0 {
            return g;
        }
        let (sub, num, den) = if w <= pw && h <= ph {
            (1, (pw / w).min(ph / h), 1)
        } else if caps.mode == Mode::Sixel {
            let s = w.div_ceil(pw).max(h.div_ceil(ph));
            (s, 1, s)
        } else if pw * h <= ph * w {
            (1, pw, w)
        } else {
            (1, ph, h)
        };
        g.fit = Fit::Pixels { sub, num, den, cw, ch };
        // Sixel images are whole pixels (the source cut into `sub` blocks, rounded up).
        let (iw, ih) = (w.div_ceil(sub), h.div_ceil(sub));
        let cells = |n: usize, c: usize| ((n * sub * num / den).div_ceil(c)).max(1);
        g.cols = cells(iw, cw).min(cols as usize) as u16;
        g.rows = cells(ih, ch).min(rows as usize) as u16;
        g
    }

    pub fn is_empty(&self) -> bool {
        self.cols == 0 || self.rows == 0
    }

    /// How many neurons one drawn pixel stands for, in words: `1 px = 1 neuron`,
    /// `1 neuron = 3×3 px`, or `1 px = mean of 2.8×2.8 neurons`. A pixel is half a cell (▀) in
    /// colour, two characters without.
    pub fn ratio(&self) -> String {
        self.ratio_of("neuron", "neurons")
    }

    /// [`ratio`](Self::ratio) for source pixels of another name (`photo pixel`).
    pub fn ratio_of(&self, one: &str, many: &str) -> String {
        match self.fit {
            Fit::Up { k: 1 } => format!("1 px = 1 {one}"),
            Fit::Up { k } => format!("1 {one} = {k}×{k} px"),
            Fit::Down { out_h, out_w } => {
                let f = |n: usize, m: usize| {
                    let v = n as f64 / m.max(1) as f64;
                    let s = format!("{v:.1}");
                    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
                };
                format!("1 px = mean of {}×{} {many}", f(self.src_h, out_h), f(self.src_w, out_w))
            }
            Fit::Pixels { sub: 1, .. } => "1:1 pixels".to_string(),
            Fit::Pixels { sub, .. } => format!("1 image px = mean of {sub}×{sub} {many}"),
        }
    }

    /// What a pixel is on this tier.
    pub fn px_word(&self) -> &'static str {
        match self.fit {
            Fit::Pixels { sub: 1, .. } => "one image pixel each",
            Fit::Pixels { .. } => "image pixels",
            _ if self.half => "px = half a cell",
            _ => "px = 2 characters",
        }
    }

    /// Resample a map to this geometry's pixels: whole-block copies or area means.
    pub fn resample(&self, data: ArrayView2<f32>) -> Array2<f32> {
        match self.fit {
            Fit::Up { k } => Array2::from_shape_fn((self.src_h * k, self.src_w * k), |(y, x)| {
                data[[y / k, x / k]]
            }),
            Fit::Down { out_h, out_w } => area_mean(data, out_h, out_w),
            Fit::Pixels { sub: 1, .. } => data.to_owned(),
            Fit::Pixels { sub, .. } => {
                area_mean(data, self.src_h.div_ceil(sub), self.src_w.div_ceil(sub))
            }
        }
    }

    /// The screen pixel at the centre of source index `i` (one axis) and its cell, for images.
    fn px_cell(i: usize, num: usize, den: usize, c: usize) -> usize {
        (2 * i + 1) * num / (2 * den) / c
    }

    /// Where the map sits inside `area`: centred.
    pub fn origin(&self, area: Rect) -> (u16, u16) {
        (
            area.x + area.width.saturating_sub(self.cols) / 2,
            area.y + area.height.saturating_sub(self.rows) / 2,
        )
    }

    fn px_per_cell(&self) -> (usize, usize) {
        if self.half { (1, 2) } else { (2, 1) }
    }

    /// The source position `(r, c)` under cell `(x, y)` of the map (0-based, relative).
    pub fn source_at(&self, x: u16, y: u16) -> Option<(usize, usize)> {
        if x >= self.cols || y >= self.rows {
            return None;
        }
        let (cw, chh) = self.px_per_cell();
        let (px, py) = (x as usize / cw, y as usize * chh);
        let (h, w) = (self.src_h, self.src_w);
        let rc = match self.fit {
            Fit::Up { k } => (py / k, px / k),
            Fit::Down { out_h, out_w } => {
                ((2 * py + 1) * h / (2 * out_h), (2 * px + 1) * w / (2 * out_w))
            }
            Fit::Pixels { num, den, cw, ch, .. } => {
                let at = |cell: usize, c: usize| (2 * cell + 1) * c * den / (2 * num.max(1));
                (at(y as usize, ch), at(x as usize, cw))
            }
        };
        (rc.0 < h && rc.1 < w).then_some(rc)
    }

    /// The source position under absolute cell `(x, y)` when the map is drawn in `area`.
    pub fn source_at_abs(&self, area: Rect, x: u16, y: u16) -> Option<(usize, usize)> {
        let (ox, oy) = self.origin(area);
        self.source_at(x.checked_sub(ox)?, y.checked_sub(oy)?)
    }

    /// The cell (relative) that shows source position `(r, c)`: the cell of the centre pixel
    /// of its block, or of the pixel it was averaged into.
    pub fn cell_of(&self, r: usize, c: usize) -> Option<(u16, u16)> {
        let (h, w) = (self.src_h, self.src_w);
        if r >= h || c >= w || self.is_empty() {
            return None;
        }
        let (py, px) = match self.fit {
            Fit::Up { k } => (r * k + (k - 1) / 2, c * k + k / 2),
            Fit::Down { out_h, out_w } => (r * out_h / h, c * out_w / w),
            Fit::Pixels { num, den, cw, ch, .. } => {
                let (x, y) = (Self::px_cell(c, num, den, cw), Self::px_cell(r, num, den, ch));
                return Some(((x as u16).min(self.cols - 1), (y as u16).min(self.rows - 1)));
            }
        };
        let (cw, chh) = self.px_per_cell();
        Some(((px * cw) as u16, (py / chh) as u16))
    }

    /// Where in its cell source position `(r, c)` falls, as `(row, col)` thirds (0, 1, 2): when
    /// several neurons share a cell, the cursor's mark shows which part of the cell it is in,
    /// so it moves as the cursor moves. Upscaled maps (a neuron spans cells) give the centre.
    pub fn third_of(&self, r: usize, c: usize) -> (usize, usize) {
        if let Fit::Pixels { num, den, cw, ch, .. } = self.fit {
            // Which third of its cell the neuron's centre is in, when a cell holds several.
            let third = |i: usize, c: usize| {
                if c * den <= num {
                    return 1;
                }
                let px = (2 * i + 1) * num / (2 * den);
                (px % c * 3 / c).min(2)
            };
            return (third(r, ch), third(c, cw));
        }
        let Fit::Down { out_h, out_w } = self.fit else { return (1, 1) };
        let (_, chh) = self.px_per_cell();
        let third = |i: usize, n: usize, out: usize, per_cell: usize| {
            let neurons_per_cell = n as f64 / out as f64 * per_cell.max(1) as f64;
            if neurons_per_cell <= 1.0 {
                return 1;
            }
            let cells = (i as f64 + 0.5) * out as f64 / n as f64 / per_cell.max(1) as f64;
            ((cells.fract() * 3.0) as usize).min(2)
        };
        // A cell is `chh` pixels tall and one pixel wide (two characters without colour).
        (third(r, self.src_h, out_h, chh), third(c, self.src_w, out_w, 1))
    }

    /// The cell (relative) holding source position `(r, c)` seen as a corner: its pixel's cell
    /// (for outlining boxes).
    pub fn corner_cell(&self, r: usize, c: usize) -> (u16, u16) {
        let (h, w) = (self.src_h.max(1), self.src_w.max(1));
        let (py, px) = match self.fit {
            Fit::Up { k } => (r * k, c * k),
            Fit::Down { out_h, out_w } => (r * out_h / h, c * out_w / w),
            Fit::Pixels { num, den, cw, ch, .. } => {
                let at = |i: usize, c: usize| (i * num / den / c) as u16;
                return (
                    at(c, cw).min(self.cols.saturating_sub(1)),
                    at(r, ch).min(self.rows.saturating_sub(1)),
                );
            }
        };
        let (cw, chh) = self.px_per_cell();
        ((px * cw) as u16, (py / chh) as u16)
    }
}

/// A rasterised map, ready to be copied into a buffer. It does not hold the cursor, so it can be
/// cached and reused while the cursor moves.
#[derive(Clone, Debug, PartialEq)]
pub struct Raster {
    /// The source map, `(rows, cols)`; empty for photos.
    values: Array2<f32>,
    pub scale: Scale,
    pub tier: Tier,
    pub geom: Geometry,
    cells: Vec<RCell>,
    /// In pixel mode: the image the cells stand for.
    pub image: Option<Arc<Image>>,
    caps: Caps,
}

impl Raster {
    /// Rasterise `data` (rows × cols) to fit in `cols × rows` cells.
    pub fn new(
        data: ArrayView2<f32>,
        scale: Scale,
        paint: impl Into<Paint>,
        cols: u16,
        rows: u16,
    ) -> Raster {
        let (paint, (h, w)) = (paint.into(), data.dim());
        let (tier, caps) = (paint.tier, paint.caps);
        if paint.pixels() {
            let geom = Geometry::pixels(h, w, caps, cols, rows);
            let px = geom.resample(data);
            let (ih, iw) = px.dim();
            let rgb = px.iter().flat_map(|&v| scale.rgb_256(v).bytes()).collect();
            let image = Some(Arc::new(Image::new(iw as u32, ih as u32, rgb)));
            let values = data.to_owned();
            return Raster { values, scale, tier, geom, cells: Vec::new(), image, caps };
        }
        let geom = Geometry::new(h, w, tier, cols, rows);
        let mut r = Raster {
            values: data.to_owned(),
            scale,
            tier,
            geom,
            cells: Vec::new(),
            image: None,
            caps,
        };
        if geom.is_empty() {
            return r;
        }
        let px = geom.resample(data);
        r.cells = if geom.half {
            pair_cells(&px.mapv(|v| tier.color(scale.rgb(v))))
        } else {
            px.iter().flat_map(|&v| [ramp_cell(&scale, tier, v); 2]).collect()
        };
        r
    }

    /// Rasterise an RGB photo given as three `0..=255` channel maps.
    pub fn rgb(
        chans: [ArrayView2<f32>; 3],
        paint: impl Into<Paint>,
        cols: u16,
        rows: u16,
    ) -> Raster {
        let (paint, (h, w)) = (paint.into(), chans[0].dim());
        let (tier, caps) = (paint.tier, paint.caps);
        let geom = Geometry::of(h, w, paint, cols, rows);
        let scale = Scale::new(0.0, 255.0, super::colormap::Colormap::Greys);
        let values = Array2::zeros((0, 0));
        let mut r = Raster { values, scale, tier, geom, cells: Vec::new(), image: None, caps };
        if geom.is_empty() {
            return r;
        }
        let [pr, pg, pb] = chans.map(|c| geom.resample(c));
        let byte = |v: f32| v.round().clamp(0.0, 255.0) as u8;
        if paint.pixels() {
            let (ih, iw) = pr.dim();
            let rgb = ndarray::Zip::from(&pr).and(&pg).and(&pb).fold(
                Vec::with_capacity(ih * iw * 3),
                |mut v, &a, &b, &c| {
                    v.extend([byte(a), byte(b), byte(c)]);
                    v
                },
            );
            r.image = Some(Arc::new(Image::new(iw as u32, ih as u32, rgb)));
            return r;
        }
        let rgb = ndarray::Zip::from(&pr)
            .and(&pg)
            .and(&pb)
            .map_collect(|&a, &b, &c| Rgb(byte(a), byte(b), byte(c)));
        r.cells = if geom.half {
            pair_cells(&rgb.mapv(|c| tier.color(c)))
        } else {
            rgb.iter()
                .flat_map(|c| {
                    [RCell { sym: ramp_char(c.luma()), fg: Color::Reset, bg: Color::Reset }; 2]
                })
                .collect()
        };
        r
    }

    /// [`Raster::rgb`] of an RGB image.
    pub fn of_image(
        img: &image::RgbImage,
        paint: impl Into<Paint>,
        cols: u16,
        rows: u16,
    ) -> Raster {
        let (w, h) = img.dimensions();
        let ch = |k: usize| {
            Array2::from_shape_fn((h as usize, w as usize), |(y, x)| {
                f32::from(img.get_pixel(x as u32, y as u32).0[k])
            })
        };
        let (r, g, b) = (ch(0), ch(1), ch(2));
        Raster::rgb([r.view(), g.view(), b.view()], paint, cols, rows)
    }

    pub fn cols(&self) -> u16 {
        self.geom.cols
    }

    pub fn rows(&self) -> u16 {
        self.geom.rows
    }

    /// The image and the cells (absolute) it covers when drawn in `area`, in pixel mode.
    pub fn placement(&self, area: Rect) -> Option<(Arc<Image>, Rect)> {
        let (ox, oy) = self.geom.origin(area);
        let r = Rect::new(ox, oy, self.geom.cols, self.geom.rows).intersection(area);
        // A clipped image would be squeezed into fewer cells: not drawn.
        let whole = r.width == self.geom.cols && r.height == self.geom.rows && !r.is_empty();
        Some((self.image.clone()?, r)).filter(|_| whole)
    }

    /// Pixel mode: blank cells for the image (kitty placeholders in tmux). The cursor is not
    /// drawn over pixels: the panels mark it on their borders.
    fn render_pixels(&self, area: Rect, buf: &mut Buffer) {
        let g = &self.geom;
        let (ox, oy) = g.origin(area);
        let clip = area.intersection(buf.area);
        let placeholders = self.caps.mode == (Mode::Kitty { placeholders: true });
        let id = self.image.as_ref().map_or(0, |i| i.id);
        let (r, gr, b) = kitty::id_colour(id);
        for y in 0..g.rows {
            for x in 0..g.cols {
                let Some(cell) = buf
                    .cell_mut((ox + x, oy + y))
                    .filter(|_| clip.contains((ox + x, oy + y).into()))
                else {
                    continue;
                };
                cell.reset();
                if placeholders && let Some(sym) = kitty::placeholder(y, x) {
                    cell.set_symbol(&sym).set_fg(Color::Rgb(r, gr, b));
                }
            }
        }
    }

    /// Copy into `buf` at the centre of `area`, clipped, and mark the cursor `(r, c)`.
    pub fn render(&self, area: Rect, buf: &mut Buffer, cursor: Option<(usize, usize)>) {
        if self.image.is_some() {
            self.render_pixels(area, buf);
            return;
        }
        let g = &self.geom;
        let (ox, oy) = g.origin(area);
        let area = area.intersection(buf.area);
        for y in 0..g.rows {
            for x in 0..g.cols {
                let pos = (ox + x, oy + y);
                if !area.contains(pos.into()) {
                    continue;
                }
                let c = self.cells[y as usize * g.cols as usize + x as usize];
                if let Some(cell) = buf.cell_mut(pos) {
                    cell.set_char(c.sym).set_fg(c.fg).set_bg(c.bg);
                }
            }
        }
        let Some((r, c)) = cursor else { return };
        let Some((x, y)) = g.cell_of(r, c) else { return };
        let Some(&v) = self.values.get([r, c]) else { return };
        let (ty, tx) = g.third_of(r, c);
        let marks: &[u16] = match (g.half, tx) {
            (true, _) => &[0],
            (false, 0) => &[0],
            (false, 2) => &[1],
            (false, _) => &[0, 1],
        };
        for dx in marks {
            let pos = (ox + x + dx, oy + y);
            if !area.contains(pos.into()) {
                continue;
            }
            let Some(cell) = buf.cell_mut(pos) else { continue };
            if g.half {
                let rgb = self.scale.rgb(v);
                cell.set_char(MARK[ty][tx])
                    .set_fg(self.tier.color(rgb.contrast()))
                    .set_bg(self.tier.color(rgb));
                cell.modifier.insert(Modifier::BOLD);
            } else {
                cell.modifier.insert(Modifier::REVERSED);
            }
        }
    }
}

/// The cursor's mark by the third of its cell it is in (row, column).
const MARK: [[char; 3]; 3] = [['┌', '┬', '┐'], ['├', '┼', '┤'], ['└', '┴', '┘']];

/// Half-block cells from a pixel grid: top pixel in fg, bottom pixel in bg.
fn pair_cells(px: &Array2<Color>) -> Vec<RCell> {
    let (oh, ow) = px.dim();
    let mut cells = Vec::with_capacity(oh.div_ceil(2) * ow);
    for y in 0..oh.div_ceil(2) {
        for x in 0..ow {
            let fg = px[[2 * y, x]];
            let bg = px.get([2 * y + 1, x]).copied().unwrap_or(Color::Reset);
            cells.push(RCell { sym: '▀', fg, bg });
        }
    }
    cells
}

/// A ramp character for a value; with 16 colours a diverging map is coloured by sign.
fn ramp_cell(scale: &Scale, tier: Tier, v: f32) -> RCell {
    if !v.is_finite() {
        // NaN and ±∞ are data: marked, never drawn as some end of the scale.
        let fg = if tier == Tier::C16 { Color::Magenta } else { Color::Reset };
        return RCell { sym: '?', fg, bg: Color::Reset };
    }
    let t = scale.t(v);
    if scale.map.is_diverging() {
        // Sign and magnitude, readable as text: `%=-,` below 0, `.+*#` above, blank near 0;
        // 16 colours also colour them by sign.
        let (a, b) = scale.range();
        let sym = crate::tui::color::signed_char(v, a.abs().max(b.abs()));
        let fg = match tier {
            Tier::C16 if v < 0.0 => Color::Red,
            Tier::C16 => Color::Blue,
            _ => Color::Reset,
        };
        return RCell { sym, fg, bg: Color::Reset };
    }
    RCell { sym: ramp_char(t), fg: Color::Reset, bg: Color::Reset }
}

/// Downsample by the mean over each output pixel's block of source values.
pub fn area_mean(data: ArrayView2<f32>, out_h: usize, out_w: usize) -> Array2<f32> {
    let (h, w) = data.dim();
    let span = |i: usize, n: usize, out: usize| {
        let a = i * n / out;
        let b = ((i + 1) * n / out).max(a + 1).min(n);
        a..b
    };
    Array2::from_shape_fn((out_h, out_w), |(y, x)| {
        let (ry, rx) = (span(y, h, out_h), span(x, w, out_w));
        let block = data.slice(ndarray::s![ry, rx]);
        block.mean().unwrap_or(0.0)
    })
}

/// The colour bar under a heatmap as `(char, fg, bg)` cells: colours for pixel tiers, the ramp
/// otherwise. Left is the low end of [`Scale::range`].
pub fn colour_bar(scale: &Scale, tier: Tier, width: u16) -> Vec<(char, Color, Color)> {
    let n = width.max(1) as usize;
    (0..width as usize)
        .map(|i| {
            let t = if n > 1 { i as f32 / (n - 1) as f32 } else { 0.5 };
            if tier.has_pixels() {
                let c = tier.color(scale.map.at(t));
                (' ', c, c)
            } else {
                let (a, b) = scale.range();
                let c = ramp_cell(scale, tier, a + t * (b - a));
                (c.sym, c.fg, c.bg)
            }
        })
        .collect()
}

/// The pixel colour a value gets (for tests and the legend).
pub fn value_color(scale: &Scale, tier: Tier, v: f32) -> Color {
    tier.color(scale.rgb(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_mark_moves_within_a_shared_cell() {
        // 55×55 in 20×10 cells (half blocks): each cell holds about 2.75 × 2.75 neurons.
        let g = Geometry::new(55, 55, Tier::Truecolor, 20, 10);
        assert!(matches!(g.fit, Fit::Down { .. }), "{:?}", g.fit);
        let mut moved = 0;
        for c in 0..54 {
            let (a, b) =
                ((g.cell_of(0, c), g.third_of(0, c)), (g.cell_of(0, c + 1), g.third_of(0, c + 1)));
            assert!(a != b, "columns {c} and {} look the same: {a:?}", c + 1);
            moved += 1;
        }
        assert_eq!(moved, 54);
        // Upscaled maps mark the centre.
        let up = Geometry::new(5, 5, Tier::Truecolor, 40, 20);
        assert_eq!(up.third_of(2, 3), (1, 1));
    }
    use crate::tui::colormap::Colormap;
    use ndarray::array;

    fn ramp(h: usize, w: usize) -> Array2<f32> {
        Array2::from_shape_fn((h, w), |(r, c)| (r * w + c) as f32)
    }

    #[test]
    fn a_4x4_map_is_upscaled_in_whole_blocks_and_keeps_its_aspect() {
        let a = ramp(4, 4);
        let s = Scale::of(a.iter(), Colormap::Auto);
        let r = Raster::new(a.view(), s, Tier::Truecolor, 30, 10);
        // 30 px wide, 20 px tall: k = min(30/4, 20/4) = 5 → 20×20 px = 20 cols × 10 rows.
        assert_eq!(r.geom.fit, Fit::Up { k: 5 });
        assert_eq!((r.cols(), r.rows()), (20, 10));
        assert_eq!(r.geom.source_at(0, 0), Some((0, 0)));
        assert_eq!(r.geom.source_at(19, 9), Some((3, 3)));
        assert_eq!(r.geom.source_at(5, 2), Some((0, 1)));
        assert_eq!(r.geom.source_at(5, 3), Some((1, 1)));
        assert_eq!(r.geom.cell_of(1, 1), Some((7, 3)));
    }

    #[test]
    fn the_colours_follow_the_data() {
        let a = array![[0.0f32, 1.0], [2.0, 3.0]];
        let s = Scale::of(a.iter(), Colormap::Viridis);
        let r = Raster::new(a.view(), s, Tier::Truecolor, 2, 1);
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        r.render(buf.area, &mut buf, None);
        let rgb = |v: f32| value_color(&s, Tier::Truecolor, v);
        assert_eq!(buf[(0, 0)].symbol(), "▀");
        assert_eq!((buf[(0, 0)].fg, buf[(0, 0)].bg), (rgb(0.0), rgb(2.0)));
        assert_eq!((buf[(1, 0)].fg, buf[(1, 0)].bg), (rgb(1.0), rgb(3.0)));
        assert_eq!(rgb(0.0), Color::Rgb(68, 1, 84));
    }

    #[test]
    fn a_large_map_is_downsampled_by_the_area_mean() {
        let a = ramp(8, 8);
        let m = area_mean(a.view(), 2, 2);
        // Top-left 4×4 block: rows 0..4, cols 0..4 → mean of r*8+c = 1.5*8 + 1.5 = 13.5.
        assert_eq!(m[[0, 0]], 13.5);
        assert_eq!(m[[1, 1]], 13.5 + 4.0 * 8.0 + 4.0);
        let s = Scale::of(a.iter(), Colormap::Auto);
        let r = Raster::new(a.view(), s, Tier::Truecolor, 4, 1);
        assert_eq!(r.geom.fit, Fit::Down { out_h: 2, out_w: 2 });
        assert_eq!((r.cols(), r.rows()), (2, 1));
        assert_eq!(r.geom.source_at(1, 0), Some((2, 6)));
    }

    #[test]
    fn without_colour_a_pixel_is_two_ramp_characters() {
        let a = array![[0.0f32, 9.0]];
        let s = Scale::of(a.iter(), Colormap::Auto);
        let r = Raster::new(a.view(), s, Tier::Mono, 4, 1);
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        r.render(buf.area, &mut buf, Some((0, 1)));
        assert_eq!(buf[(0, 0)].symbol(), " ");
        assert_eq!(buf[(2, 0)].symbol(), "@");
        assert!(buf[(2, 0)].modifier.contains(Modifier::REVERSED));
        assert!(buf[(3, 0)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(0, 0)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn the_cursor_keeps_its_value_colour_behind_the_mark() {
        let a = ramp(2, 2);
        let s = Scale::of(a.iter(), Colormap::Auto);
        let r = Raster::new(a.view(), s, Tier::Truecolor, 4, 2);
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 2));
        r.render(buf.area, &mut buf, Some((1, 0)));
        let (x, y) = r.geom.cell_of(1, 0).unwrap();
        assert_eq!(buf[(x, y)].symbol(), "┼");
        assert_eq!(buf[(x, y)].bg, value_color(&s, Tier::Truecolor, 2.0));
    }

    /// A NaN or an infinity is drawn in the marker colour (pixels) or as `?` (ASCII), and a
    /// downsampled cell that holds one is marked too.
    #[test]
    fn non_finite_values_are_marked() {
        let data = array![[0.0, f32::NAN], [f32::INFINITY, 1.0]];
        let scale = Scale::new(0.0, 1.0, Colormap::Viridis);
        let r = Raster::new(data.view(), scale, Tier::Truecolor, 2, 1);
        let marker = Tier::Truecolor.color(crate::tui::colormap::NON_FINITE);
        // One cell per column: top pixel in fg, bottom in bg.
        assert_eq!((r.cells[0].fg, r.cells[0].bg), (Tier::Truecolor.color(scale.rgb(0.0)), marker));
        assert_eq!(r.cells[1].fg, marker);
        let ascii = Raster::new(data.view(), scale, Tier::Mono, 4, 2);
        let syms: String = ascii.cells.iter().map(|c| c.sym).collect();
        assert_eq!(syms.matches('?').count(), 4, "two values, two characters each: {syms}");
        let mean = area_mean(array![[1.0, f32::NAN], [2.0, 3.0]].view(), 1, 1);
        assert!(mean[[0, 0]].is_nan());
    }

    #[test]
    fn degenerate_sizes_do_not_panic() {
        let a = ramp(5, 7);
        let s = Scale::of(a.iter(), Colormap::Auto);
        for (c, rws) in [(0, 0), (1, 1), (1, 0), (0, 5), (3, 1)] {
            for tier in [Tier::Truecolor, Tier::Mono] {
                let r = Raster::new(a.view(), s, tier, c, rws);
                let mut buf = Buffer::empty(Rect::new(0, 0, 1, 1));
                r.render(buf.area, &mut buf, Some((4, 6)));
                assert!(r.cols() <= c.max(1) && r.rows() <= rws.max(1));
            }
        }
        let empty = Array2::<f32>::zeros((0, 3));
        let r = Raster::new(empty.view(), s, Tier::C256, 10, 10);
        assert_eq!((r.cols(), r.rows()), (0, 0));
        assert_eq!(r.geom.cell_of(0, 0), None);
    }
}
