//! Styles of the UI chrome per colour tier. Chrome uses the 16 named ANSI colours (cheap to
//! send, and they follow the user's terminal theme); without colour it uses bold, reverse and
//! underline only, so nothing depends on colour.

use super::color::Tier;
use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub tier: Tier,
}

impl Theme {
    pub fn new(tier: Tier) -> Theme {
        Theme { tier }
    }

    fn mono(&self) -> bool {
        self.tier == Tier::Mono
    }

    fn fg(&self, c: Color) -> Style {
        if self.mono() { Style::new() } else { Style::new().fg(c) }
    }

    /// Panel borders; the focused panel's border stands out.
    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.mono()) {
            (true, true) => Style::new().add_modifier(Modifier::BOLD),
            (true, false) => Style::new().fg(Color::Cyan),
            (false, true) => Style::new(),
            (false, false) => Style::new().fg(Color::DarkGray),
        }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The selected row of a list.
    pub fn selected(&self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().bg(Color::Blue).fg(Color::White).add_modifier(Modifier::BOLD)
        }
    }

    /// Numbers and names the eye should find first.
    pub fn accent(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// Secondary text.
    pub fn dim(&self) -> Style {
        if self.mono() { Style::new() } else { Style::new().fg(Color::DarkGray) }
    }

    /// Labels in front of values.
    pub fn label(&self) -> Style {
        self.fg(Color::Cyan)
    }

    pub fn warn(&self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            Style::new().fg(Color::Yellow)
        }
    }

    pub fn error(&self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        }
    }

    /// Weights re-initialised by an edit (no longer trained).
    pub fn reinit(&self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::ITALIC | Modifier::BOLD)
        } else {
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
        }
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }

    /// Bars of the depth column; the current d's bar stands out.
    pub fn bar(&self, current: bool) -> Style {
        match (current, self.mono()) {
            (true, true) => Style::new().add_modifier(Modifier::BOLD),
            (true, false) => Style::new().fg(Color::Yellow),
            (false, _) => self.fg(Color::Cyan),
        }
    }

    /// The receptive-field box on the photo.
    pub fn rf_box(&self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD)
        }
    }
}
