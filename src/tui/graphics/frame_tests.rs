//! The explorer's frames in pixel mode: what reaches the terminal is the colour-mapped slice,
//! value for value; a cursor move sends no image; overlays and layer changes remove images.

use super::emit::{Emitter, Plan};
use super::{Caps, Mode};
use crate::nn::Src;
use crate::tui::action::Action;
use crate::tui::testing::{self, Harness};
use crate::tui::ui;
use ratatui::layout::Rect;

const SCREEN: Rect = Rect { x: 0, y: 0, width: 120, height: 40 };

fn caps(mode: Mode) -> Caps {
    Caps { mode, cell: Some((10, 20)), tmux: false }
}

/// Draw the whole screen and plan what the terminal gets.
fn frame(
    h: &Harness,
    images: &mut Emitter,
) -> (Plan, ratatui::Terminal<ratatui::backend::TestBackend>) {
    let term = testing::render(&h.app, SCREEN.width, SCREEN.height, ui::draw);
    let placements = std::mem::take(&mut h.app.gfx.borrow_mut().placements);
    (images.plan(&placements, SCREEN), term)
}

/// The colour-mapped values of slice d of the selected layer, row-major.
fn expected(h: &Harness) -> (usize, usize, Vec<(u8, u8, u8)>) {
    let vol = h.volume(h.sel()).unwrap();
    let scale = h.scale(h.sel(), h.d()).unwrap();
    let s = vol.index_axis(ndarray::Axis(0), h.d());
    let px = s.iter().map(|&v| scale.rgb_256(v)).map(|c| (c.0, c.1, c.2)).collect();
    (s.dim().0, s.dim().1, px)
}

fn cifar_conv1(mode: Mode) -> Harness {
    let mut h = testing::cifar_app();
    h.app.set_graphics(caps(mode));
    h.update(Action::Resize(SCREEN.width, SCREEN.height));
    h.update(Action::Select(Src::Layer(0)));
    h.update(Action::SetDepth(5));
    h
}

#[test]
fn kitty_gets_the_slice_at_its_own_size_value_for_value() {
    let h = cifar_conv1(Mode::Kitty { placeholders: false });
    let mut images = Emitter::new(h.graphics());
    let (plan, _) = frame(&h, &mut images);
    let sent = super::kitty::tests::decode(&plan.seq);
    let (rows, cols, want) = expected(&h);
    assert_eq!(sent.len(), 1, "one image: the slice");
    let (_, w, hh, rgb) = &sent[0];
    assert_eq!((*hh as usize, *w as usize), (rows, cols), "sent at the map's own size");
    let got: Vec<(u8, u8, u8)> = rgb.chunks(3).map(|c| (c[0], c[1], c[2])).collect();
    assert_eq!(got, want);
    // Placed once, over the cells the raster left blank, with a display size in cells.
    let cmds = super::kitty::tests::commands(&plan.seq);
    let place: Vec<_> =
        cmds.iter().filter(|(k, _)| k.get("a").map(String::as_str) == Some("p")).collect();
    assert_eq!(place.len(), 1);
    let (g, m) =
        ui::slice::geometry(&h.app, crate::tui::layout::areas(&h.app, SCREEN).slice.unwrap());
    assert_eq!(place[0].0["c"], g.cols.to_string());
    assert_eq!(place[0].0["r"], g.rows.to_string());
    let (ox, oy) = g.origin(m);
    assert!(
        plan.seq.contains(&format!("\x1b[{};{}H\x1b_Ga=p", oy + 1, ox + 1)),
        "placed at the map's corner"
    );
}

#[test]
fn a_cursor_move_sends_no_image_and_a_slice_change_swaps_it() {
    let mut h = cifar_conv1(Mode::Kitty { placeholders: false });
    let mut images = Emitter::new(h.graphics());
    let (first, _) = frame(&h, &mut images);
    assert!(first.image_bytes > 0);
    for a in [Action::Right, Action::Down, Action::Left] {
        h.update(a);
        let (plan, term) = frame(&h, &mut images);
        assert_eq!(plan, Plan::default(), "{a:?} sent {:?}", plan.seq);
        // The cursor is marked on the border, never over the image.
        let text = testing::text(&term);
        assert!(text.contains('▶') && text.contains('▲'), "{text}");
        let (g, m) =
            ui::slice::geometry(&h.app, crate::tui::layout::areas(&h.app, SCREEN).slice.unwrap());
        let (ox, oy) = g.origin(m);
        let buf = term.backend().buffer();
        let over = Rect::new(ox, oy, g.cols, g.rows)
            .positions()
            .filter(|p| buf[*p].symbol() != " ")
            .count();
        assert_eq!(over, 0, "cells drawn over the image:\n{text}");
    }
    h.update(Action::NextDepth);
    let (plan, _) = frame(&h, &mut images);
    let cmds = super::kitty::tests::commands(&plan.seq);
    let actions: Vec<&str> =
        cmds.iter().filter_map(|(k, _)| k.get("a").map(String::as_str)).collect();
    assert_eq!(actions, ["d", "t", "p"], "remove the old placement, send and place the new slice");
    let (_, _, want) = expected(&h);
    let sent = super::kitty::tests::decode(&plan.seq);
    assert_eq!(sent[0].3.chunks(3).map(|c| (c[0], c[1], c[2])).collect::<Vec<_>>(), want);
    // Back to the first slice: stored already, placed again without pixels.
    h.update(Action::PrevDepth);
    let (plan, _) = frame(&h, &mut images);
    assert_eq!(plan.image_bytes, 0);
    assert!(plan.seq.contains("a=p"));
}

#[test]
fn an_overlay_hides_the_image_and_closing_it_brings_it_back() {
    let mut h = cifar_conv1(Mode::Kitty { placeholders: false });
    let mut images = Emitter::new(h.graphics());
    frame(&h, &mut images);
    h.update(Action::Help);
    let (plan, _) = frame(&h, &mut images);
    assert!(plan.seq.contains("a=d,d=i"), "help covers the map: its placement goes");
    h.update(Action::Help);
    let (plan, _) = frame(&h, &mut images);
    assert!(plan.seq.contains("a=p") && plan.image_bytes == 0, "{:?}", plan.seq);
    assert!(images.finish().contains("a=d,d=I"), "exit frees the stored images");
}

#[test]
fn sixel_draws_the_slice_in_whole_squares_and_not_the_cursor_over_it() {
    let mut h = cifar_conv1(Mode::Sixel);
    let mut images = Emitter::new(h.graphics());
    let (plan, _) = frame(&h, &mut images);
    let start = plan.seq.find("\x1bP").unwrap();
    let (w, hh, px) = super::sixel::tests::decode(&plan.seq[start..]);
    let (rows, cols, want) = expected(&h);
    let k = w / cols;
    assert!(k >= 2 && w == k * cols && hh == k * rows, "{w}×{hh} is not ×{k} of {cols}×{rows}");
    for y in 0..hh {
        for x in 0..w {
            let got = px[y * w + x].unwrap();
            let c = want[(y / k) * cols + x / k];
            // Sixel colours are percents: 8-bit values come back within 2.
            let near = |a: u8, b: u8| (a as i32 - b as i32).abs() <= 2;
            assert!(near(got.0, c.0) && near(got.1, c.1) && near(got.2, c.2), "({x}, {y})");
        }
    }
    // The whole image fits its cells at 10×20 px each.
    assert_eq!(plan.covered.len(), 1);
    let r = plan.covered[0];
    assert!(w <= r.width as usize * 10 && hh <= r.height as usize * 20);
    h.update(Action::Right);
    let (plan, _) = frame(&h, &mut images);
    assert_eq!(plan, Plan::default(), "a cursor move rewrites no cell under the image");
    // A new layer: the old image's cells are written again, then the new image.
    h.update(Action::Select(Src::Layer(2)));
    let (plan, _) = frame(&h, &mut images);
    assert_eq!(plan.redraw, vec![r]);
    assert!(plan.seq.contains("\x1bP"));
}

#[test]
fn placeholders_put_the_image_in_the_cells_for_tmux() {
    let h = cifar_conv1(Mode::Kitty { placeholders: true });
    let mut images = Emitter::new(Caps { tmux: true, ..h.graphics() });
    let (plan, term) = frame(&h, &mut images);
    assert!(plan.seq.starts_with("\x1bPtmux;\x1b\x1b_G"), "passthrough");
    assert!(plan.seq.contains("U=1"), "a virtual placement");
    let id = super::kitty::tests::decode(&plan.seq.replace("\x1b\x1b", "\x1b"))[0].0;
    let buf = term.backend().buffer();
    let (r, g, b) = super::kitty::id_colour(id);
    let cells = buf.content().iter().filter(|c| c.symbol().starts_with(super::kitty::PLACEHOLDER));
    let n = cells.clone().count();
    assert!(n > 100, "{n} placeholder cells");
    assert!(cells.clone().all(|c| c.fg == ratatui::style::Color::Rgb(r, g, b)));
}

#[test]
fn without_colour_or_graphics_nothing_is_sent() {
    let h = cifar_conv1(Mode::Halfblocks);
    let mut images = Emitter::new(h.graphics());
    let (plan, term) = frame(&h, &mut images);
    assert_eq!(plan, Plan::default());
    assert!(testing::text(&term).contains('▀'));
    assert!(testing::text(&term).contains("halfblocks"));
}

#[test]
fn a_resize_removes_the_placements_and_the_next_frame_places_them_again() {
    let h = cifar_conv1(Mode::Kitty { placeholders: false });
    let mut images = Emitter::new(h.graphics());
    let (first, _) = frame(&h, &mut images);
    assert!(first.image_bytes > 0);
    let gone = images.invalidate();
    assert!(gone.contains("a=d,d=i"), "{gone:?}");
    let (again, _) = frame(&h, &mut images);
    assert!(again.seq.contains("a=p") && again.image_bytes == 0, "placed again, not re-sent");
}

#[test]
fn images_never_reach_the_last_row_in_sixel() {
    use super::{Image, Placement};
    let mut images = Emitter::new(caps(Mode::Sixel));
    let img = std::sync::Arc::new(Image::new(4, 4, vec![9; 48]));
    let at = |y| Placement { image: img.clone(), rect: Rect::new(0, y, 4, 2), seal: 0 };
    // Rows 38–39 touch the last row of 40: sixel could scroll the screen, so it is not drawn.
    assert_eq!(images.plan(&[at(38)], SCREEN), Plan::default());
    assert!(images.plan(&[at(37)], SCREEN).seq.contains("\x1bP"));
}

#[test]
fn pixel_geometry_maps_clicks_and_the_cursor_back_to_the_same_neuron() {
    use crate::tui::raster::Geometry;
    for cell in [Some((10, 20)), Some((6, 13)), None] {
        for mode in [Mode::Kitty { placeholders: false }, Mode::Sixel] {
            let c = Caps { mode, cell, tmux: false };
            for (h, w) in [(4, 4), (13, 27), (55, 55), (112, 112), (224, 224), (7, 300)] {
                let g = Geometry::pixels(h, w, c, 47, 19);
                assert!(g.cols <= 47 && g.rows <= 19 && !g.is_empty(), "{h}×{w} {c:?}: {g:?}");
                let crate::tui::raster::Fit::Pixels { num, den, cw, ch, sub } = g.fit else {
                    panic!("not a pixel fit: {g:?}")
                };
                // A click lands on the neuron drawn under the cell's centre.
                for y in 0..g.rows {
                    for x in 0..g.cols {
                        let Some((r, cc)) = g.source_at(x, y) else { continue };
                        let span = |i: usize, c: usize| (i * num / den, ((i + 1) * num / den), c);
                        let (a, b, cwid) = span(cc, cw);
                        let mid = (2 * x as usize + 1) * cwid / 2;
                        assert!(sub > 1 || (a <= mid && mid <= b), "{h}×{w} {c:?} col {x}");
                        let (a, b, chig) = span(r, ch);
                        let mid = (2 * y as usize + 1) * chig / 2;
                        assert!(sub > 1 || (a <= mid && mid <= b), "{h}×{w} {c:?} row {y}");
                    }
                }
                // The cursor's cell shows its own neuron when a neuron spans a cell or more.
                if num >= den * cw.max(ch) {
                    for r in 0..h {
                        for cc in 0..w {
                            let (x, y) = g.cell_of(r, cc).unwrap();
                            assert_eq!(g.source_at(x, y), Some((r, cc)), "{h}×{w} {c:?}");
                        }
                    }
                }
            }
        }
    }
}
