//! Tests that keep generated README blocks equal to the code that makes them: the block between
//! `<!-- NAME:start -->` and `<!-- NAME:end -->` must be `want`; `UPDATE_README=1` rewrites it.

/// Assert (or, with `UPDATE_README` set, write) the README block `name`.
///
/// # Panics
/// When the markers are missing or the block differs.
pub fn check(name: &str, want: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let text = std::fs::read_to_string(path).expect("README.md exists");
    let (start, end) = (format!("<!-- {name}:start -->\n"), format!("<!-- {name}:end -->"));
    let a = text.find(&start).unwrap_or_else(|| panic!("the README has a {name}:start marker"));
    let a = a + start.len();
    let b = text.find(&end).unwrap_or_else(|| panic!("the README has a {name}:end marker"));
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(path, format!("{}{want}{}", &text[..a], &text[b..])).expect("writable");
        return;
    }
    assert_eq!(&text[a..b], want, "run with UPDATE_README=1 to regenerate");
}
