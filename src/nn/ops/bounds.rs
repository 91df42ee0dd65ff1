//! The limits every size read from a file must respect, and the checked product of dims.

/// The largest size of any one dimension (and of any pad or block size).
pub const MAX_DIM: usize = 1 << 24;
/// The most values any one tensor may hold.
pub const MAX_ELEMS: usize = 1 << 31;

/// The number of values of a tensor with these dims, or `None` when above [`MAX_ELEMS`] (also
/// when the product would overflow).
pub fn count(dims: &[usize]) -> Option<usize> {
    let wide = dims.iter().try_fold(1u128, |a, &d| a.checked_mul(d as u128))?;
    (wide <= MAX_ELEMS as u128).then_some(wide as usize)
}

/// `2×3×4`, for messages.
pub fn dims_str(dims: &[usize]) -> String {
    dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×")
}

/// Resolve an ONNX axis (negative counts from the back) against a rank.
pub fn norm_axis(axis: i64, rank: usize) -> Option<usize> {
    let r = i64::try_from(rank).ok()?;
    let a = if axis < 0 { axis.checked_add(r)? } else { axis };
    (0..r).contains(&a).then_some(a as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_is_checked() {
        assert_eq!(count(&[2, 3, 4]), Some(24));
        assert_eq!(count(&[]), Some(1));
        assert_eq!(count(&[1 << 16, 1 << 15]), Some(1 << 31));
        assert_eq!(count(&[1 << 16, 1 << 15, 2]), None);
        assert_eq!(count(&[usize::MAX, usize::MAX, usize::MAX]), None);
    }

    #[test]
    fn axes_resolve_from_the_back() {
        assert_eq!(norm_axis(-1, 4), Some(3));
        assert_eq!(norm_axis(-4, 4), Some(0));
        assert_eq!(norm_axis(-5, 4), None);
        assert_eq!(norm_axis(4, 4), None);
        assert_eq!(norm_axis(i64::MIN, 4), None);
    }
}
