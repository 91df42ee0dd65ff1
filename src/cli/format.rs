//! Number formatting shared by the tables.

/// `34944` → `34,944`.
pub fn thousands(n: u64) -> String {
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

/// `1_140_000_000` → `1.14 G`.
pub fn si(n: u64) -> String {
    let x = n as f64;
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1} K", x / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} M", x / 1e6),
        _ => format!("{:.2} G", x / 1e9),
    }
}

/// Bytes in KiB/MiB.
pub fn bytes(n: u64) -> String {
    let x = n as f64;
    if n < 1 << 10 {
        format!("{n} B")
    } else if n < 1 << 20 {
        format!("{:.1} KiB", x / 1024.0)
    } else {
        format!("{:.1} MiB", x / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(34944), "34,944");
        assert_eq!(thousands(138357544), "138,357,544");
        assert_eq!(thousands(999), "999");
        assert_eq!(si(1_140_000_000), "1.14 G");
        assert_eq!(bytes(55 * 55 * 96 * 4), "1.1 MiB");
    }
}
