//! Shown instead of everything when the terminal is below the minimum size.

use super::theme;
use crate::tui::app::App;
use crate::tui::layout::MIN_SIZE;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let msg = format!("terminal too small (need {}×{}) · q quits", MIN_SIZE.0, MIN_SIZE.1);
    Paragraph::new(msg).style(theme(app).warn()).wrap(Wrap { trim: true }).render(area, buf);
}

#[cfg(test)]
mod tests {
    use crate::tui::testing;

    #[test]
    fn tiny_screens_say_what_they_need() {
        let app = testing::alexnet_shapes();
        let term = testing::render(&app, 20, 6, crate::tui::ui::draw);
        insta::assert_snapshot!(term.backend());
        for (w, h) in [(1, 1), (2, 1), (1, 3), (39, 11)] {
            testing::render(&app, w, h, crate::tui::ui::draw);
        }
    }
}
