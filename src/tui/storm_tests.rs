//! Key and resize storms: random keys (every binding, text, control keys) through the key
//! table into every popup and view, with the edit checks and passes answered as the threads
//! would, and the screen drawn at random sizes after each batch. Nothing may panic.

use super::app::Msg;
use super::keymap;
use super::testing::{self, Harness, run_effects};
use super::ui;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;

/// The keys a storm is made of: every key the table binds, plus text and editing keys.
fn key() -> impl Strategy<Value = KeyEvent> {
    let chars: Vec<char> =
        "?qhjklHJKL[]gG,.<>euaxtwbmfidncsz0123456789 =-_\"[]{}.#\\é€".chars().collect();
    let codes = vec![
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::F(1),
    ];
    let mods = prop_oneof![
        6 => Just(KeyModifiers::NONE),
        1 => Just(KeyModifiers::CONTROL),
        1 => Just(KeyModifiers::SHIFT),
        1 => Just(KeyModifiers::ALT),
    ];
    let code = prop_oneof![
        3 => proptest::sample::select(chars).prop_map(KeyCode::Char),
        2 => proptest::sample::select(codes),
    ];
    (code, mods).prop_map(|(c, m)| KeyEvent::new(c, m))
}

fn storm(app: &mut Harness, keys: &[KeyEvent], sizes: &[(u16, u16)]) {
    for (i, k) in keys.iter().enumerate() {
        if let Some(a) = keymap::lookup(&app.scopes(), k) {
            app.update(a);
        }
        if app.quit() {
            return;
        }
        // Answer the checks and run the passes now and then, as the threads would.
        if i % 5 == 4 {
            run_effects(app);
        }
        if let Some(&(w, h)) = sizes.get(i % sizes.len().max(1)) {
            app.update(Msg::Action(super::action::Action::Resize(w, h)));
            testing::render(app, w, h, ui::draw);
        }
    }
    run_effects(app);
    let (w, h) = app.size();
    testing::render(app, w, h, ui::draw);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_key_storm_on_an_editable_network_never_panics(
        keys in proptest::collection::vec(key(), 1..60),
        sizes in proptest::collection::vec((1u16..140, 1u16..50), 1..4),
    ) {
        let mut app = testing::cifar_app();
        storm(&mut app, &keys, &sizes);
    }

    #[test]
    fn a_key_storm_before_the_weights_are_in_never_panics(
        keys in proptest::collection::vec(key(), 1..40),
        sizes in proptest::collection::vec((1u16..140, 1u16..50), 1..3),
    ) {
        let mut app = testing::alexnet_shapes();
        storm(&mut app, &keys, &sizes);
    }
}
