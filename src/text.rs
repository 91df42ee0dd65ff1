//! Text that came from a file (a layer name, a label, a type string) made safe to print: it may
//! hold newlines, terminal escape sequences or bidirectional overrides, and none of them may
//! reach the terminal or split an error line.

use std::borrow::Cow;

/// Whether `c` would move the cursor, start an escape sequence or reorder the text around it.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{feff}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` with every unsafe character written as a Rust escape (`\n`, `\u{1b}`); borrowed when
/// there is none.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if unsafe_char(c) { c.escape_default().to_string() } else { c.to_string() })
            .collect(),
    )
}

/// A message on one line: runs of whitespace (including the newlines of nested messages)
/// become one space, and any other unsafe character is escaped.
pub fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    printable(&joined).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert!(matches!(printable("conv1"), Cow::Borrowed("conv1")));
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("x\ry"), "x\\ry");
        assert_eq!(printable("r\u{202e}l"), "r\\u{202e}l");
        assert_eq!(one_line("holds '\n f4'\u{b}"), "holds ' f4'");
        assert_eq!(one_line("a\u{7}b"), "a\\u{7}b");
    }
}
