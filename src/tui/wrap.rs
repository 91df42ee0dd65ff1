//! Line wrapping that keeps expressions whole. A word wrapper breaks `S = 4` or `11·11·3·96 + 96`
//! at any space; this one prefers, in order:
//! 1. a space between phrases: outside brackets, with no operator (`=`, `+`, `−`, `*`, `×`, `/`,
//!    `→`) on either side, so `chosen K = 96, F = 11×11,` / `S = 4, P = 0`;
//! 2. the space before a top-level operator, so a formula too long for a line continues with
//!    `+ b[0]` or `= 0.9736`;
//! 3. any space; and only then a cut inside a word.
//!
//! Continuation lines are indented by two columns. Styles travel with their characters.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// The indent of continuation rows, on rows wide enough to spare it.
fn indent(width: usize) -> usize {
    if width >= 8 { 2 } else { 0 }
}

fn is_op(c: char) -> bool {
    matches!(c, '=' | '+' | '−' | '-' | '*' | '×' | '/' | '→' | '≤' | '≥' | '<' | '>' | '≈')
}

/// The break class of each space in `chars` (1 best, 3 worst; 0 for non-spaces).
fn classes(chars: &[char]) -> Vec<u8> {
    let mut depth = 0i32;
    let mut out = vec![0u8; chars.len()];
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = (depth - 1).max(0),
            ' ' => {
                // An operator stands between spaces (`a − b`, `x = 1`); `-154` is a number.
                let spaced =
                    |j: Option<usize>| j.and_then(|j| chars.get(j)).is_none_or(|c| *c == ' ');
                let prev = i.checked_sub(1).map(|j| chars[j]);
                let next = chars.get(i + 1).copied();
                let prev_op = prev.is_some_and(is_op) && spaced(i.checked_sub(2));
                let next_op = next.is_some_and(is_op) && spaced(Some(i + 2));
                // `0 (b)`, `(−0.5) (b)`: a value and its short name in brackets stay together.
                let short = chars[i + 1..].iter().take(6).any(|c| *c == ')');
                let named = prev.is_some_and(|p| p.is_ascii_digit() || p == ')')
                    && next == Some('(')
                    && short;
                out[i] = if depth > 0 || named {
                    3
                } else if !(prev_op || next_op) {
                    1
                } else if next_op {
                    2
                } else {
                    3
                };
            }
            _ => {}
        }
    }
    out
}

/// One logical line as rows of at most `width` columns.
fn wrap_line(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let chars: Vec<char> = cells.iter().map(|c| c.0).collect();
    let class = classes(&chars);
    let mut rows: Vec<Vec<(char, Style)>> = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let room = if rows.is_empty() { width } else { width.saturating_sub(indent(width)) }.max(1);
        if cells.len() - start <= room {
            rows.push(cells[start..].to_vec());
            break;
        }
        // The last space of the best class that leaves the row within `room`.
        let window = start + 1..=start + room;
        let best = (1..=3u8).find_map(|k| window.clone().rev().find(|&i| class[i] == k));
        let (end, next) = match best {
            Some(i) => (i, i + 1),
            None => (start + room, start + room),
        };
        rows.push(cells[start..end].to_vec());
        start = next;
    }
    rows.into_iter()
        .enumerate()
        .map(|(n, row)| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            let pad = if n > 0 { indent(width) } else { 0 };
            if pad > 0 {
                spans.push(Span::raw(" ".repeat(pad)));
            }
            for (c, style) in row {
                let after_pad = pad > 0 && spans.len() == 1;
                match spans.last_mut() {
                    Some(last) if last.style == style && !after_pad => {
                        last.content.to_mut().push(c)
                    }
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            Line::from(spans)
        })
        .collect()
}

/// `lines` wrapped to `width` columns, expressions kept whole where they fit.
pub fn lines(lines: Vec<Line<'_>>, width: u16) -> Vec<Line<'static>> {
    let width = (width as usize).max(1);
    lines.iter().flat_map(|l| wrap_line(l, width)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: u16) -> Vec<String> {
        lines(vec![Line::from(text.to_string())], width)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn phrases_break_between_expressions_not_inside_them() {
        assert_eq!(
            rows("chosen K = 96, F = 11×11, S = 4, P = 0", 28),
            ["chosen K = 96, F = 11×11,", "  S = 4, P = 0"]
        );
        assert_eq!(
            rows("params 34,944 = 11·11·3·96 + 96", 28),
            ["params", "  34,944 = 11·11·3·96 + 96"]
        );
        assert_eq!(
            rows("memory 1.1 MiB (55×55×96 float32)", 28),
            ["memory 1.1 MiB", "  (55×55×96 float32)"]
        );
    }

    #[test]
    fn a_formula_longer_than_a_row_continues_at_an_operator() {
        assert_eq!(
            rows("V[0, 0, 0] = np.sum(X[0:11, 0:11, :] * W[0]) + b[0]", 49),
            ["V[0, 0, 0] = np.sum(X[0:11, 0:11, :] * W[0])", "  + b[0]"]
        );
        assert_eq!(
            rows("V[0, 0, 0] = 0.1825 + 0.4593 + 0.3318 + 0 (b) = 0.9736", 49),
            ["V[0, 0, 0] = 0.1825 + 0.4593 + 0.3318 + 0 (b)", "  = 0.9736"]
        );
    }

    #[test]
    fn negative_numbers_are_not_operators() {
        assert_eq!(
            rows("box rows -154:185, cols -154:185 (negative = padding)", 34),
            ["box rows -154:185, cols -154:185", "  (negative = padding)"]
        );
    }

    #[test]
    fn every_row_fits_and_no_character_is_lost() {
        let text = "a1 = (b + c)·d, then ee·ff·gg·hh·ii·jj·kk·ll·mm = 12 → done [x, y, z] ok";
        for w in 1..80u16 {
            let r = rows(text, w);
            for row in &r {
                assert!(row.chars().count() <= w as usize, "{w}: {row:?}");
            }
            let joined: String = r.iter().map(|s| s.trim_start()).collect::<Vec<_>>().join(" ");
            let squash = |s: &str| s.chars().filter(|c| *c != ' ').collect::<String>();
            assert_eq!(squash(&joined), squash(text), "{w}");
        }
    }

    #[test]
    fn styles_stay_with_their_characters() {
        let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        let line = Line::from(vec![Span::styled("label ", bold), Span::raw("x = 1, y = 2")]);
        let out = lines(vec![line], 12);
        assert_eq!((out[0].spans[0].content.as_ref(), out[0].spans[0].style), ("label ", bold));
        assert_eq!(out[0].spans[1].content, "x = 1,");
        assert_eq!(out[1].spans[1].content, "y = 2");
    }
}
