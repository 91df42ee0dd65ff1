//! Dimming a drawn panel whose numbers are stale (an edit is being recomputed).
//!
//! The terminal's own dim attribute only affects the foreground, and a heatmap cell carries a
//! pixel in its background too, so colours are darkened here: RGB and palette colours towards
//! black, named colours to dark grey. Without colour the dim attribute is all there is.

use super::color::{Rgb, Tier, palette_rgb};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};

/// How much of a colour's brightness is left.
const KEEP: f32 = 0.4;

fn darker(c: Rgb) -> Rgb {
    let f = |v: u8| (v as f32 * KEEP).round() as u8;
    Rgb(f(c.0), f(c.1), f(c.2))
}

/// A colour as a stale panel shows it.
pub fn dim_color(c: Color, tier: Tier, background: bool) -> Color {
    match c {
        Color::Rgb(r, g, b) => tier.color(darker(Rgb(r, g, b))),
        Color::Indexed(i) => tier.color(darker(palette_rgb(i))),
        Color::Reset => Color::Reset,
        // Chrome colours: text goes grey, a highlighted background goes away.
        _ if background => Color::Reset,
        _ => Color::DarkGray,
    }
}

/// Dim every cell of `area` (clipped to the buffer).
pub fn dim(buf: &mut Buffer, area: Rect, tier: Tier) {
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let Some(cell) = buf.cell_mut((x, y)) else { continue };
            if tier != Tier::Mono {
                let (fg, bg) = (cell.fg, cell.bg);
                cell.set_fg(dim_color(fg, tier, false)).set_bg(dim_color(bg, tier, true));
            }
            cell.modifier.insert(Modifier::DIM);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_keep_their_hue_and_lose_brightness() {
        assert_eq!(
            dim_color(Color::Rgb(250, 100, 0), Tier::Truecolor, false),
            Color::Rgb(100, 40, 0)
        );
        // 196 is pure red (255, 0, 0): 40 % is (102, 0, 0), nearest cube entry 52 (95, 0, 0).
        assert_eq!(dim_color(Color::Indexed(196), Tier::C256, true), Color::Indexed(52));
        assert_eq!(dim_color(Color::Yellow, Tier::C16, false), Color::DarkGray);
        assert_eq!(dim_color(Color::Blue, Tier::C16, true), Color::Reset);
    }

    #[test]
    fn dim_marks_every_cell_of_the_area_only() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 2));
        buf[(0, 0)].set_fg(Color::Rgb(200, 200, 200)).set_bg(Color::Rgb(10, 20, 30));
        buf[(3, 1)].set_fg(Color::Rgb(200, 200, 200));
        dim(&mut buf, Rect::new(0, 0, 2, 2), Tier::Truecolor);
        assert_eq!(
            (buf[(0, 0)].fg, buf[(0, 0)].bg),
            (Color::Rgb(80, 80, 80), Color::Rgb(4, 8, 12))
        );
        assert!(buf[(1, 1)].modifier.contains(Modifier::DIM));
        assert_eq!(buf[(3, 1)].fg, Color::Rgb(200, 200, 200));
        assert!(!buf[(3, 1)].modifier.contains(Modifier::DIM));
        // Off the buffer: clipped, no panic.
        dim(&mut buf, Rect::new(2, 1, 10, 10), Tier::Mono);
    }
}
