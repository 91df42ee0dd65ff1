//! The memory budget: before a pass, before constant folding allocates and before an edit is
//! applied, the bytes it needs (weights plus every kept activation) are added up and compared
//! with the budget, so an oversized request is refused with one line instead of aborting the
//! process when the allocator gives up.
//!
//! The budget defaults to 75% of physical memory, and to 60% of the address-space limit when
//! one is set (`ulimit -v`); `--max-memory 8G` (see [`parse_size`]) sets it.

use std::sync::atomic::{AtomicU64, Ordering};

/// Over the budget: what needed the memory, how much, and the budget.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "needs {} for {what}, over the memory budget of {} (--max-memory changes it)",
    crate::fmt::bytes(*need),
    crate::fmt::bytes(*budget)
)]
pub struct BudgetError {
    pub what: String,
    pub need: u64,
    pub budget: u64,
}

/// 0 means "not set": the default is computed on first use.
static BUDGET: AtomicU64 = AtomicU64::new(0);

/// The budget in bytes.
pub fn budget() -> u64 {
    match BUDGET.load(Ordering::Relaxed) {
        0 => {
            let b = default_budget();
            BUDGET.store(b, Ordering::Relaxed);
            b
        }
        b => b,
    }
}

/// Set the budget (at least 1 MiB).
pub fn set(bytes: u64) {
    BUDGET.store(bytes.max(1 << 20), Ordering::Relaxed);
}

/// 75% of physical memory, and at most 60% of the address-space limit.
pub fn default_budget() -> u64 {
    let phys = physical_memory().unwrap_or(4 << 30);
    let mut b = phys / 4 * 3;
    if let Some(limit) = address_space_limit() {
        b = b.min(limit / 5 * 3);
    }
    b.max(64 << 20)
}

fn physical_memory() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads system configuration.
        let (pages, size) =
            unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
        if pages > 0 && size > 0 {
            return (pages as u64).checked_mul(size as u64);
        }
    }
    None
}

fn address_space_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes into the struct we pass.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut r) } == 0;
        if ok && r.rlim_cur != libc::RLIM_INFINITY {
            return Some(r.rlim_cur);
        }
    }
    None
}

/// Check that `need` bytes fit the budget.
///
/// # Errors
/// [`BudgetError`] naming `what`.
pub fn check(what: impl FnOnce() -> String, need: u64) -> Result<(), BudgetError> {
    let budget = budget();
    if need > budget {
        return Err(BudgetError { what: what(), need, budget });
    }
    Ok(())
}

/// Bytes of `n` f32 values, saturating (a sum of saturated sizes is still over any budget).
pub fn f32_bytes(n: u64) -> u64 {
    n.saturating_mul(4)
}

/// `8G`, `512M`, `1.5GiB`, `100000` (bytes): a size for `--max-memory`.
///
/// # Errors
/// Anything else, in words.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num.parse().map_err(|_| format!("'{s}' is not a size (like 8G or 512M)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (use K, M, G or T)")),
    };
    let bytes = v * mult as f64;
    if !bytes.is_finite() || bytes < (1 << 20) as f64 || bytes > (1u64 << 50) as f64 {
        return Err(format!("'{s}' is out of range (1M to 1P)"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2097152"), Ok(2 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("8Q").is_err());
        assert!(parse_size("10").is_err(), "below 1 MiB");
        assert!(parse_size("1e400").is_err());
    }

    #[test]
    fn the_default_is_a_part_of_physical_memory() {
        let b = default_budget();
        assert!(b >= 64 << 20);
        if let Some(p) = physical_memory() {
            assert!(b <= p);
        }
    }

    #[test]
    fn over_the_budget_names_what_and_how_much() {
        let e = BudgetError { what: "fc6's weights".into(), need: 19 << 30, budget: 8 << 30 };
        assert_eq!(
            e.to_string(),
            "needs 19.0 GiB for fc6's weights, over the memory budget of 8.0 GiB (--max-memory changes it)"
        );
    }
}
