//! A backend wrapper that sends fewer bytes over SSH.
//!
//! ratatui sends only the cells that changed, but every gap between changed cells on a row costs a
//! cursor move (`ESC[row;colH`, 6–10 bytes). When the cells in a short gap are known to be on
//! screen already, with the same style as the cell before them, sending them again is cheaper than
//! the move: the terminal shows exactly the same picture, for fewer bytes. A depth-column repaint
//! is mostly such gaps (bars that share their first cells).

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// Bytes a cursor move costs at most; a gap is filled when its symbols cost fewer.
const MOVE_BYTES: usize = 8;

pub struct GapFill<B: Backend> {
    inner: B,
    /// What the terminal shows, where known: `shadow[y][x]`.
    shadow: Vec<Vec<Option<Cell>>>,
}

impl<B: Backend> GapFill<B> {
    pub fn new(inner: B) -> Self {
        GapFill { inner, shadow: Vec::new() }
    }

    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// For writes that bypass ratatui (images): what they write is theirs to know.
    pub fn inner_mut(&mut self) -> &mut B {
        &mut self.inner
    }

    /// The cells of `r` show something else now (an image's pixels): never fill gaps with them.
    pub fn forget(&mut self, r: ratatui::layout::Rect) {
        for y in r.top()..r.bottom() {
            if let Some(row) = self.shadow.get_mut(y as usize) {
                for x in r.left()..r.right() {
                    if let Some(c) = row.get_mut(x as usize) {
                        *c = None;
                    }
                }
            }
        }
    }

    fn known(&self, x: u16, y: u16) -> Option<&Cell> {
        self.shadow.get(y as usize)?.get(x as usize)?.as_ref()
    }

    fn remember(&mut self, x: u16, y: u16, cell: &Cell) {
        let (x, y) = (x as usize, y as usize);
        if self.shadow.len() <= y {
            self.shadow.resize(y + 1, Vec::new());
        }
        let row = &mut self.shadow[y];
        if row.len() <= x {
            row.resize(x + 1, None);
        }
        row[x] = Some(cell.clone());
    }

    /// The cells that fill the gap `(from, to)` on row `y`, if each is known, one column wide, in
    /// `style_of`'s style, and together cheaper than a cursor move.
    fn filler(&self, y: u16, from: u16, to: u16, style_of: &Cell) -> Option<Vec<(u16, Cell)>> {
        let mut out = Vec::new();
        let mut bytes = 0;
        for x in from..to {
            let c = self.known(x, y)?;
            let same_style =
                c.fg == style_of.fg && c.bg == style_of.bg && c.modifier == style_of.modifier;
            if !same_style || !narrow(c.symbol()) {
                return None;
            }
            bytes += c.symbol().len();
            if bytes >= MOVE_BYTES {
                return None;
            }
            out.push((x, c.clone()));
        }
        Some(out)
    }
}

/// Symbols known to take one column (ASCII, box drawing, blocks, a few marks).
fn narrow(s: &str) -> bool {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => {
            c.is_ascii_graphic()
                || c == ' '
                || ('\u{2500}'..='\u{259F}').contains(&c)
                || matches!(c, '·' | '…' | '→' | '×' | '−' | '▶' | '▲' | '↺' | '✓' | '✗')
        }
        _ => false,
    }
}

impl<B: Backend> Backend for GapFill<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut out: Vec<(u16, u16, Cell)> = Vec::new();
        for (x, y, cell) in content {
            if let Some((px, py, prev)) = out.last()
                && *py == y
                && *px + 1 < x
                && let Some(fill) = self.filler(y, px + 1, x, prev)
            {
                out.extend(fill.into_iter().map(|(fx, c)| (fx, y, c)));
            }
            out.push((x, y, cell.clone()));
        }
        for (x, y, c) in &out {
            self.remember(*x, *y, c);
        }
        self.inner.draw(out.iter().map(|(x, y, c)| (*x, *y, c)))
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        // After a clear the screen is blank; forget everything rather than guess its styles.
        self.shadow.clear();
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.shadow.clear();
        self.inner.clear_region(clear_type)
    }
    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.shadow.clear();
        self.inner.append_lines(n)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::CrosstermBackend;
    use ratatui::style::{Color, Style};
    use ratatui::widgets::Paragraph;

    /// A writer whose bytes the test can read while the backend owns it.
    #[derive(Clone, Default)]
    struct Tap(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl std::io::Write for Tap {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Draw `frames` through a crossterm backend writing to memory (with or without gap filling);
    /// return the bytes of the last frame and the screen a terminal shows after all of them.
    fn run(fill: bool, frames: &[Vec<String>]) -> (usize, String) {
        let (w, h) = (40u16, frames[0].len() as u16);
        let tap = Tap::default();
        let opts = || ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, w, h)),
        };
        let draw = |f: &mut ratatui::Frame, lines: &[String]| {
            let style = Style::new().fg(Color::Cyan);
            let text: Vec<ratatui::text::Line> =
                lines.iter().map(|l| ratatui::text::Line::styled(l.clone(), style)).collect();
            f.render_widget(Paragraph::new(text), f.area());
        };
        let mut last = 0;
        let mut step = |draw_one: &mut dyn FnMut(&[String])| {
            for fr in frames {
                let before = tap.0.borrow().len();
                draw_one(fr);
                last = tap.0.borrow().len() - before;
            }
        };
        if fill {
            let be = GapFill::new(CrosstermBackend::new(tap.clone()));
            let mut t = Terminal::with_options(be, opts()).unwrap();
            step(&mut |fr| {
                t.draw(|f| draw(f, fr)).unwrap();
            });
        } else {
            let mut t = Terminal::with_options(CrosstermBackend::new(tap.clone()), opts()).unwrap();
            step(&mut |fr| {
                t.draw(|f| draw(f, fr)).unwrap();
            });
        }
        let rows = std::num::NonZeroU16::new(h).unwrap();
        let cols = std::num::NonZeroU16::new(w).unwrap();
        let mut parser = vt100::Parser::new(rows, cols, 0);
        parser.process(&tap.0.borrow());
        (last, parser.screen().contents())
    }

    #[test]
    fn filling_gaps_sends_fewer_bytes_for_the_same_screen() {
        // Bars that share their first cells and numbers that change: a depth column repaint.
        let a: Vec<String> = (0..12)
            .map(|i| format!("{i:>2} {:<10} {:>6.3}", "█".repeat(i % 7 + 2), i as f32 * 0.37))
            .collect();
        let b: Vec<String> = (0..12)
            .map(|i| format!("{i:>2} {:<10} {:>6.3}", "█".repeat(i % 5 + 3), i as f32 * -0.91))
            .collect();
        let frames = vec![a, b];
        let (plain_bytes, plain_screen) = run(false, &frames);
        let (fill_bytes, fill_screen) = run(true, &frames);
        assert_eq!(fill_screen, plain_screen, "the terminal shows the same picture");
        assert!(
            fill_bytes < plain_bytes,
            "gap filling sent {fill_bytes} bytes, plain {plain_bytes}"
        );
    }

    #[test]
    fn only_narrow_symbols_fill_gaps() {
        assert!(narrow("█") && narrow("a") && narrow("─") && narrow(" "));
        assert!(!narrow("日") && !narrow("ab") && !narrow(""));
    }
}
