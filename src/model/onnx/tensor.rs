//! Constant tensors: initializers, `Constant` nodes and attribute tensors, read into
//! [`Tensor`]s. Floats of every width (f16, bf16, f64) become f32; integers and bools keep
//! their ONNX type (held exactly as i64).

use super::proto::TensorProto;
use super::proto::tensor_proto::{DataLocation, DataType};
use crate::nn::{Elem, Tensor};
use color_eyre::eyre::{Result, bail};

/// The convscope element type of an ONNX data type code; `None` for types convscope does not
/// hold (strings, complex, float8, int4, uint64).
pub fn elem_of(code: i32) -> Option<Elem> {
    Some(match DataType::try_from(code).ok()? {
        DataType::Float | DataType::Double | DataType::Float16 | DataType::Bfloat16 => Elem::F32,
        DataType::Int64 => Elem::I64,
        DataType::Int32 => Elem::I32,
        DataType::Int16 => Elem::I16,
        DataType::Uint16 => Elem::U16,
        DataType::Int8 => Elem::I8,
        DataType::Uint8 => Elem::U8,
        DataType::Uint32 => Elem::U32,
        DataType::Bool => Elem::Bool,
        _ => return None,
    })
}

/// The name of an ONNX data type code, for messages.
pub fn type_name(code: i32) -> String {
    DataType::try_from(code)
        .map_or_else(|_| format!("type {code}"), |t| t.as_str_name().to_lowercase())
}

/// Read a tensor proto; `what` names it in errors.
///
/// # Errors
/// External data, unsupported element types, negative or too large dims, and a value count
/// that does not match the dims (the usual sign of a truncated file).
pub fn from_proto(t: &TensorProto, what: &str) -> Result<Tensor> {
    if t.data_location == Some(DataLocation::External as i32) || !t.external_data.is_empty() {
        bail!("{what} keeps its values in an external data file, which convscope does not read");
    }
    let mut dims = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        if d < 0 {
            bail!("{what} has a negative dimension {d}");
        }
        match crate::nn::geometry::bounded("dimension", d as usize) {
            Ok(v) => dims.push(v),
            Err(e) => bail!("{what}: {e}"),
        }
    }
    let n = match crate::nn::geometry::count("values", &dims) {
        Ok(n) => n,
        Err(e) => bail!("{what}: {e}"),
    };
    let dt = t.data_type.unwrap_or(0);
    let raw = t.raw_data.as_deref();
    let ints = |v: Vec<i64>, e: Elem| -> Result<Tensor> { finish_int(what, &dims, n, v, e) };
    match DataType::try_from(dt) {
        Ok(DataType::Float) => finish_f32(
            what,
            &dims,
            n,
            match raw {
                Some(r) => le_chunks::<4>(r, what, n)?.map(f32::from_le_bytes).collect(),
                None => t.float_data.clone(),
            },
        ),
        Ok(DataType::Double) => finish_f32(
            what,
            &dims,
            n,
            match raw {
                Some(r) => {
                    le_chunks::<8>(r, what, n)?.map(|b| f64::from_le_bytes(b) as f32).collect()
                }
                None => t.double_data.iter().map(|&x| x as f32).collect(),
            },
        ),
        Ok(DataType::Float16) => finish_f32(
            what,
            &dims,
            n,
            match raw {
                Some(r) => {
                    let bits: Vec<u16> =
                        le_chunks::<2>(r, what, n)?.map(u16::from_le_bytes).collect();
                    f16_to_f32(&bits)
                }
                None => f16_to_f32(&t.int32_data.iter().map(|&x| x as u16).collect::<Vec<_>>()),
            },
        ),
        Ok(DataType::Bfloat16) => finish_f32(
            what,
            &dims,
            n,
            match raw {
                Some(r) => le_chunks::<2>(r, what, n)?
                    .map(|b| half::bf16::from_bits(u16::from_le_bytes(b)).to_f32())
                    .collect(),
                None => {
                    t.int32_data.iter().map(|&x| half::bf16::from_bits(x as u16).to_f32()).collect()
                }
            },
        ),
        Ok(DataType::Int64) => ints(
            match raw {
                Some(r) => le_chunks::<8>(r, what, n)?.map(i64::from_le_bytes).collect(),
                None => t.int64_data.clone(),
            },
            Elem::I64,
        ),
        Ok(DataType::Int32) => ints(
            match raw {
                Some(r) => {
                    le_chunks::<4>(r, what, n)?.map(|b| i64::from(i32::from_le_bytes(b))).collect()
                }
                None => t.int32_data.iter().map(|&x| i64::from(x)).collect(),
            },
            Elem::I32,
        ),
        Ok(DataType::Int16) => ints(
            match raw {
                Some(r) => {
                    le_chunks::<2>(r, what, n)?.map(|b| i64::from(i16::from_le_bytes(b))).collect()
                }
                None => t.int32_data.iter().map(|&x| i64::from(x)).collect(),
            },
            Elem::I16,
        ),
        Ok(DataType::Uint16) => ints(
            match raw {
                Some(r) => {
                    le_chunks::<2>(r, what, n)?.map(|b| i64::from(u16::from_le_bytes(b))).collect()
                }
                None => t.int32_data.iter().map(|&x| i64::from(x)).collect(),
            },
            Elem::U16,
        ),
        Ok(DataType::Int8) => ints(
            match raw {
                Some(r) => r.iter().map(|&b| i64::from(b as i8)).collect(),
                None => t.int32_data.iter().map(|&x| i64::from(x)).collect(),
            },
            Elem::I8,
        ),
        Ok(DataType::Uint8) => ints(
            match raw {
                Some(r) => r.iter().map(|&b| i64::from(b)).collect(),
                None => t.int32_data.iter().map(|&x| i64::from(x)).collect(),
            },
            Elem::U8,
        ),
        Ok(DataType::Bool) => ints(
            match raw {
                Some(r) => r.iter().map(|&b| i64::from(b != 0)).collect(),
                None => t.int32_data.iter().map(|&x| i64::from(x != 0)).collect(),
            },
            Elem::Bool,
        ),
        Ok(DataType::Uint32) => ints(
            match raw {
                Some(r) => {
                    le_chunks::<4>(r, what, n)?.map(|b| i64::from(u32::from_le_bytes(b))).collect()
                }
                None => t.uint64_data.iter().map(|&x| x as i64).collect(),
            },
            Elem::U32,
        ),
        Ok(other) => {
            bail!("{what} has element type {}, which convscope does not read", other.as_str_name())
        }
        Err(_) => bail!("{what} has an unknown element type {dt}"),
    }
}

fn count_err(what: &str, got: usize, dims: &[usize], n: usize) -> color_eyre::eyre::Report {
    color_eyre::eyre::eyre!(
        "{what} holds {got} values but its dims {dims:?} need {n} (is the file truncated?)"
    )
}

fn finish_f32(what: &str, dims: &[usize], n: usize, v: Vec<f32>) -> Result<Tensor> {
    if v.len() != n {
        return Err(count_err(what, v.len(), dims, n));
    }
    Ok(Tensor::f32(dims, v))
}

/// Integers must lie in their type's range (a hostile file may write any int32/int64).
fn finish_int(what: &str, dims: &[usize], n: usize, v: Vec<i64>, e: Elem) -> Result<Tensor> {
    if v.len() != n {
        return Err(count_err(what, v.len(), dims, n));
    }
    let (lo, hi) = e.range();
    if let Some(&bad) = v.iter().find(|&&x| x < lo || x > hi) {
        bail!("{what} holds {bad}, outside {e} [{lo}, {hi}]");
    }
    Ok(Tensor::int(dims, v, e))
}

/// f16 bit patterns to f32, with the CPU's conversion instructions where it has them (the
/// default model's 4.6 million f16 weights take 1–2 ms, against 6–8 ms a value at a time).
fn f16_to_f32(bits: &[u16]) -> Vec<f32> {
    use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
    let mut out = vec![0.0f32; bits.len()];
    bits.reinterpret_cast::<half::f16>().convert_to_f32_slice(&mut out);
    out
}

/// Split little-endian raw bytes into `N`-byte values, checking the count first.
fn le_chunks<'a, const N: usize>(
    raw: &'a [u8],
    what: &str,
    n: usize,
) -> Result<impl Iterator<Item = [u8; N]> + 'a> {
    if Some(raw.len()) != n.checked_mul(N) {
        bail!(
            "{what} has {} bytes of data but its dims need {} ({n} values of {N} bytes; is the file truncated?)",
            raw.len(),
            n.saturating_mul(N)
        );
    }
    // chunks_exact yields slices of exactly N bytes.
    Ok(raw.chunks_exact(N).map(|c| <[u8; N]>::try_from(c).expect("chunk of N bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto(dt: DataType, dims: &[i64]) -> TensorProto {
        TensorProto { data_type: Some(dt as i32), dims: dims.to_vec(), ..Default::default() }
    }

    #[test]
    fn raw_f32_and_typed_f32_agree() {
        let mut a = proto(DataType::Float, &[2]);
        a.raw_data =
            Some([1.5f32, -2.0].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>().into());
        let mut b = proto(DataType::Float, &[2]);
        b.float_data = vec![1.5, -2.0];
        assert_eq!(from_proto(&a, "a").unwrap(), Tensor::f32(&[2], vec![1.5, -2.0]));
        assert_eq!(from_proto(&b, "b").unwrap(), Tensor::f32(&[2], vec![1.5, -2.0]));
    }

    #[test]
    fn fp16_converts_to_f32() {
        let mut t = proto(DataType::Float16, &[3]);
        let vals = [0.5f32, -3.0, 65504.0];
        t.raw_data =
            Some(vals.iter().flat_map(|&x| half::f16::from_f32(x).to_le_bytes()).collect());
        assert_eq!(from_proto(&t, "t").unwrap().floats(), vals);
        let mut typed = proto(DataType::Float16, &[1]);
        typed.int32_data = vec![half::f16::from_f32(0.25).to_bits() as i32];
        assert_eq!(from_proto(&typed, "t").unwrap().floats(), [0.25]);
    }

    #[test]
    fn wrong_value_count_is_an_error() {
        let mut t = proto(DataType::Float, &[2, 3]);
        t.raw_data = Some(vec![0; 20].into());
        let e = from_proto(&t, "initializer 'w'").unwrap_err().to_string();
        assert!(e.contains("initializer 'w' has 20 bytes") && e.contains("truncated"), "{e}");
        let mut t = proto(DataType::Int64, &[4]);
        t.int64_data = vec![1, 2];
        let e = from_proto(&t, "x").unwrap_err().to_string();
        assert!(e.contains("holds 2 values") && e.contains("need 4"), "{e}");
    }

    #[test]
    fn ints_keep_their_type_and_range() {
        let mut t = proto(DataType::Int32, &[]);
        t.int32_data = vec![-7];
        let c = from_proto(&t, "s").unwrap();
        assert_eq!((c.elem(), c.dims().len(), c.ints()), (Elem::I32, 0, vec![-7]));
        let mut u = proto(DataType::Uint8, &[2]);
        u.int32_data = vec![3, 300];
        let e = from_proto(&u, "zp").unwrap_err().to_string();
        assert!(e.contains("holds 300, outside uint8"), "{e}");
        let mut b = proto(DataType::Bool, &[2]);
        b.raw_data = Some(vec![0, 5].into());
        assert_eq!(from_proto(&b, "b").unwrap().ints(), [0, 1]);
    }

    #[test]
    fn strings_are_refused() {
        let e = from_proto(&proto(DataType::String, &[1]), "s").unwrap_err().to_string();
        assert!(e.contains("element type STRING"), "{e}");
    }
}
