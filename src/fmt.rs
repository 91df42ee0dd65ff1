//! Human-readable numbers, shared by the command line and the explorer.

/// `34944` → `34,944`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `1.2 MiB`, `540.0 KiB`, `812 B`.
pub fn bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", units[u]) }
}

/// `105.4M`, `1.14G`, `960`.
pub fn si(n: u64) -> String {
    let v = n as f64;
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}K", v / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}M", v / 1e6),
        _ => format!("{:.2}G", v / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(count(34944), "34,944");
        assert_eq!(count(138357544), "138,357,544");
        assert_eq!(count(999), "999");
        assert_eq!(si(105_415_200), "105.4M");
        assert_eq!(si(1_140_000_000), "1.14G");
        assert_eq!(bytes(55 * 55 * 96 * 4), "1.1 MiB");
        assert_eq!(bytes(812), "812 B");
    }
}
