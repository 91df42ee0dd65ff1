//! Constant tensors: initializers, `Constant` nodes and everything folded from them.
//!
//! Two element types are enough at load time: `f32` for weights (fp16 and f64 convert to it) and
//! `i64` for shapes, indices and axes (every integer and bool type converts to it).

use super::proto::TensorProto;
use super::proto::tensor_proto::{DataLocation, DataType};
use color_eyre::eyre::{Result, bail};

/// The values of a constant tensor, C order.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

/// A constant tensor with its ONNX dims.
#[derive(Clone, Debug, PartialEq)]
pub struct Const {
    pub dims: Vec<usize>,
    pub data: Data,
}

impl Const {
    pub fn f32(dims: Vec<usize>, v: Vec<f32>) -> Self {
        Const { dims, data: Data::F32(v) }
    }

    pub fn i64(dims: Vec<usize>, v: Vec<i64>) -> Self {
        Const { dims, data: Data::I64(v) }
    }

    pub fn len(&self) -> usize {
        match &self.data {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_int(&self) -> bool {
        matches!(self.data, Data::I64(_))
    }

    /// The values as `f32` (integers convert).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            Data::F32(v) => v.clone(),
            Data::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    /// The values as `i64` (floats truncate toward zero, as ONNX `Cast` does).
    pub fn to_i64(&self) -> Vec<i64> {
        match &self.data {
            Data::F32(v) => v.iter().map(|&x| x as i64).collect(),
            Data::I64(v) => v.clone(),
        }
    }

    /// The single value of a scalar or one-element tensor.
    pub fn scalar_f32(&self) -> Option<f32> {
        (self.len() == 1).then(|| self.to_f32()[0])
    }

    /// The same values with other dims (the caller checks the count).
    pub fn reshaped(&self, dims: Vec<usize>) -> Const {
        Const { dims, data: self.data.clone() }
    }

    /// Decode an ONNX `TensorProto`; `what` names it in messages (e.g. `initializer 'conv1.w'`).
    ///
    /// # Errors
    /// External data, unsupported element types, negative dims, and a value count that does not
    /// match the dims (the usual sign of a truncated file).
    pub fn from_proto(t: &TensorProto, what: &str) -> Result<Const> {
        if t.data_location == Some(DataLocation::External as i32) || !t.external_data.is_empty() {
            bail!(
                "{what} keeps its values in an external data file, which convscope does not read"
            );
        }
        let mut dims = Vec::with_capacity(t.dims.len());
        for &d in &t.dims {
            if d < 0 {
                bail!("{what} has a negative dimension {d}");
            }
            dims.push(d as usize);
        }
        let n = match crate::nn::geometry::count("values", &dims) {
            Ok(n) => n,
            Err(e) => bail!("{what}: {e}"),
        };
        let dt = t.data_type.unwrap_or(0);
        let raw = t.raw_data.as_deref();
        let data = match DataType::try_from(dt) {
            Ok(DataType::Float) => Data::F32(match raw {
                Some(r) => le_chunks::<4>(r, what, n)?.map(f32::from_le_bytes).collect(),
                None => t.float_data.clone(),
            }),
            Ok(DataType::Double) => Data::F32(match raw {
                Some(r) => {
                    le_chunks::<8>(r, what, n)?.map(|b| f64::from_le_bytes(b) as f32).collect()
                }
                None => t.double_data.iter().map(|&x| x as f32).collect(),
            }),
            Ok(DataType::Float16) => Data::F32(match raw {
                Some(r) => {
                    le_chunks::<2>(r, what, n)?.map(|b| f16_bits(u16::from_le_bytes(b))).collect()
                }
                None => t.int32_data.iter().map(|&x| f16_bits(x as u16)).collect(),
            }),
            Ok(DataType::Bfloat16) => Data::F32(match raw {
                Some(r) => le_chunks::<2>(r, what, n)?
                    .map(|b| half::bf16::from_bits(u16::from_le_bytes(b)).to_f32())
                    .collect(),
                None => {
                    t.int32_data.iter().map(|&x| half::bf16::from_bits(x as u16).to_f32()).collect()
                }
            }),
            Ok(DataType::Int64) => Data::I64(match raw {
                Some(r) => le_chunks::<8>(r, what, n)?.map(i64::from_le_bytes).collect(),
                None => t.int64_data.clone(),
            }),
            Ok(DataType::Int32) => Data::I64(match raw {
                Some(r) => {
                    le_chunks::<4>(r, what, n)?.map(|b| i32::from_le_bytes(b) as i64).collect()
                }
                None => t.int32_data.iter().map(|&x| x as i64).collect(),
            }),
            Ok(DataType::Int16) => Data::I64(match raw {
                Some(r) => {
                    le_chunks::<2>(r, what, n)?.map(|b| i16::from_le_bytes(b) as i64).collect()
                }
                None => t.int32_data.iter().map(|&x| x as i64).collect(),
            }),
            Ok(DataType::Uint16) => Data::I64(match raw {
                Some(r) => {
                    le_chunks::<2>(r, what, n)?.map(|b| u16::from_le_bytes(b) as i64).collect()
                }
                None => t.int32_data.iter().map(|&x| x as i64).collect(),
            }),
            Ok(DataType::Int8) => Data::I64(match raw {
                Some(r) => r.iter().map(|&b| b as i8 as i64).collect(),
                None => t.int32_data.iter().map(|&x| x as i64).collect(),
            }),
            Ok(DataType::Uint8 | DataType::Bool) => Data::I64(match raw {
                Some(r) => r.iter().map(|&b| b as i64).collect(),
                None => t.int32_data.iter().map(|&x| x as i64).collect(),
            }),
            Ok(DataType::Uint32) => Data::I64(match raw {
                Some(r) => {
                    le_chunks::<4>(r, what, n)?.map(|b| u32::from_le_bytes(b) as i64).collect()
                }
                None => t.uint64_data.iter().map(|&x| x as i64).collect(),
            }),
            Ok(other) => bail!(
                "{what} has element type {}, which convscope does not read",
                other.as_str_name()
            ),
            Err(_) => bail!("{what} has an unknown element type {dt}"),
        };
        let c = Const { dims, data };
        if c.len() != n {
            bail!(
                "{what} holds {} values but its dims {:?} need {n} (is the file truncated?)",
                c.len(),
                c.dims
            );
        }
        Ok(c)
    }
}

fn f16_bits(b: u16) -> f32 {
    half::f16::from_bits(b).to_f32()
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
        a.raw_data = Some([1.5f32, -2.0].iter().flat_map(|x| x.to_le_bytes()).collect());
        let mut b = proto(DataType::Float, &[2]);
        b.float_data = vec![1.5, -2.0];
        assert_eq!(Const::from_proto(&a, "a").unwrap(), Const::f32(vec![2], vec![1.5, -2.0]));
        assert_eq!(Const::from_proto(&b, "b").unwrap(), Const::f32(vec![2], vec![1.5, -2.0]));
    }

    #[test]
    fn fp16_converts_to_f32() {
        let mut t = proto(DataType::Float16, &[3]);
        let vals = [0.5f32, -3.0, 65504.0];
        t.raw_data =
            Some(vals.iter().flat_map(|&x| half::f16::from_f32(x).to_le_bytes()).collect());
        assert_eq!(Const::from_proto(&t, "t").unwrap().to_f32(), vals);
        let mut typed = proto(DataType::Float16, &[1]);
        typed.int32_data = vec![half::f16::from_f32(0.25).to_bits() as i32];
        assert_eq!(Const::from_proto(&typed, "t").unwrap().to_f32(), [0.25]);
    }

    #[test]
    fn wrong_value_count_is_an_error() {
        let mut t = proto(DataType::Float, &[2, 3]);
        t.raw_data = Some(vec![0; 20]);
        let e = Const::from_proto(&t, "initializer 'w'").unwrap_err().to_string();
        assert!(e.contains("initializer 'w' has 20 bytes") && e.contains("truncated"), "{e}");
        let mut t = proto(DataType::Int64, &[4]);
        t.int64_data = vec![1, 2];
        let e = Const::from_proto(&t, "x").unwrap_err().to_string();
        assert!(e.contains("holds 2 values") && e.contains("need 4"), "{e}");
    }

    #[test]
    fn ints_and_scalars() {
        let mut t = proto(DataType::Int32, &[]);
        t.int32_data = vec![-7];
        let c = Const::from_proto(&t, "s").unwrap();
        assert!(c.is_int());
        assert_eq!((c.dims.len(), c.to_i64(), c.scalar_f32()), (0, vec![-7], Some(-7.0)));
    }

    #[test]
    fn strings_are_refused() {
        let e = Const::from_proto(&proto(DataType::String, &[1]), "s").unwrap_err().to_string();
        assert!(e.contains("element type STRING"), "{e}");
    }
}
