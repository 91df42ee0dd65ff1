//! The graph input: its element type, its dims (batch, open H and W), and its layout (NCHW or
//! NHWC), settled before any node is read.
//!
//! - A batch written as 1, −1, 0 or a symbol is batch 1.
//! - A rank-4 input is NHWC when its last axis is 1, 3 or 4 channels and its second is not, or
//!   when the node reading it first is a Transpose to NCHW; else NCHW.
//! - Open H and W come from `--size`, else the sidecar, else the photo's own size (capped at
//!   1024 on the long side), else 224×224; the header shows which.

use super::proto::ValueInfoProto;
use super::proto::tensor_shape_proto::dimension::Value as Dim;
use super::proto::type_proto::Value as Type;
use super::tensor::{elem_of, type_name};
use crate::nn::{Elem, Hint};
use color_eyre::eyre::{Result, bail};

/// H and W for an input whose size the model leaves open, when nothing else gives one.
pub const DEFAULT_SIZE: usize = 224;
/// The long side of a photo used as the size of an open input is capped at this.
pub const MAX_PHOTO_SIDE: usize = 1024;

/// Where the user wants the size of an open input from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SizeRequest {
    /// `--size HxW` (rows, cols).
    pub given: Option<(usize, usize)>,
    /// The photo's own size (rows, cols), when a photo is given.
    pub photo: Option<(usize, usize)>,
    /// The dims of an input `.npy` (`--input`): its ONNX dims, or `(H, W, D)`.
    pub tensor: Option<Vec<usize>>,
    /// Round a photo's size down to this multiple (set on the second try, once the network's
    /// total downsampling is known).
    pub multiple: usize,
}

/// The graph input as convscope will feed it.
#[derive(Clone, Debug, PartialEq)]
pub struct InputPlan {
    pub name: String,
    pub dims: Vec<usize>,
    pub elem: Elem,
    pub hint: Hint,
    /// Whether H and W were open in the file.
    pub open: bool,
    /// Where H and W came from, for the header.
    pub size_from: Option<String>,
    /// Open axes other than batch, H and W, set to 1.
    pub other_open: Vec<usize>,
}

/// One axis as the file writes it: a size, or open (−1, 0, a symbol, or nothing).
fn axes_of(input: &ValueInfoProto, name: &str) -> Result<(Vec<Option<usize>>, i32)> {
    let Some(Type::TensorType(t)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        bail!("input '{name}' is not a tensor");
    };
    let mut dims = Vec::new();
    for d in t.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or_default() {
        dims.push(match d.value {
            Some(Dim::DimValue(v)) if v > 0 => {
                Some(crate::nn::geometry::bounded("input size", v as usize).map_err(|e| {
                    color_eyre::eyre::eyre!("input '{name}': {e}")
                })?)
            }
            Some(Dim::DimValue(v)) if v < -1 => bail!(
                "input '{name}' has a dimension {v}; a size must be positive (or -1, or a name, for an open one)"
            ),
            _ => None,
        });
    }
    Ok((dims, t.elem_type.unwrap_or(1)))
}

fn show(dims: &[Option<usize>]) -> String {
    let v: Vec<String> = dims.iter().map(|d| d.map_or("?".into(), |v| v.to_string())).collect();
    format!("[{}]", v.join(", "))
}

/// Whether a rank-4 input holds its channels last.
fn is_nhwc(dims: &[Option<usize>], first_perm: Option<&[i64]>) -> bool {
    if first_perm == Some(&[0, 3, 1, 2]) {
        return true;
    }
    if first_perm == Some(&[0, 2, 3, 1]) {
        return false;
    }
    let photo_like = |d: Option<usize>| matches!(d, Some(1 | 3 | 4));
    photo_like(dims[3]) && !photo_like(dims[1])
}

/// H and W of an open input (`fixed` holds the sizes the file fixes).
fn size_for(
    fixed: (Option<usize>, Option<usize>),
    side: Option<(usize, usize)>,
    req: &SizeRequest,
) -> (usize, usize, String) {
    let (fh, fw) = fixed;
    if let Some((h, w)) = req.given {
        return (fh.unwrap_or(h), fw.unwrap_or(w), "--size".into());
    }
    if let Some((h, w)) = side {
        return (fh.unwrap_or(h), fw.unwrap_or(w), "the sidecar".into());
    }
    if let Some((ph, pw)) = req.photo.filter(|&(h, w)| h > 0 && w > 0) {
        // Keep the photo's aspect: scale it to any side the file fixes, then cap the long side.
        let scale = match (fh, fw) {
            (Some(h), _) => h as f64 / ph as f64,
            (_, Some(w)) => w as f64 / pw as f64,
            _ => 1.0,
        };
        let (mut h, mut w) = (ph as f64 * scale, pw as f64 * scale);
        let long = h.max(w);
        if long > MAX_PHOTO_SIDE as f64 {
            let c = MAX_PHOTO_SIDE as f64 / long;
            (h, w) = (h * c, w * c);
        }
        let m = req.multiple.max(1);
        let round = |v: f64| ((v.round() as usize / m) * m).max(m);
        let (h, w) = (fh.unwrap_or_else(|| round(h)), fw.unwrap_or_else(|| round(w)));
        let mut from = format!("the photo ({pw}×{ph})");
        if m > 1 {
            from.push_str(&format!(", rounded to a multiple of {m}"));
        }
        return (h, w, from);
    }
    (
        fh.unwrap_or(DEFAULT_SIZE),
        fw.unwrap_or(DEFAULT_SIZE),
        format!("the default {DEFAULT_SIZE}×{DEFAULT_SIZE} (H and W are open)"),
    )
}

/// Settle the graph input.
///
/// # Errors
/// Not a tensor, an element type convscope does not hold, a negative size, a fixed batch above
/// 1, or `--size` for a model whose size is fixed.
pub fn plan(
    input: &ValueInfoProto,
    side_size: Option<(usize, usize)>,
    req: &SizeRequest,
    first_perm: Option<&[i64]>,
) -> Result<InputPlan> {
    let name = crate::text::printable(input.name.as_deref().unwrap_or("")).into_owned();
    let (mut dims, code) = axes_of(input, &name)?;
    let Some(elem) = elem_of(code) else {
        bail!("input '{name}' is {}, which convscope cannot feed", type_name(code));
    };
    let rank = dims.len();
    if rank >= 2 && dims[0].is_none() {
        dims[0] = Some(1);
    }
    // A fixed batch above 1 is a tensor, not a photo: the ops that take any rank run on it;
    // convolutions and pools (batch 1 only) are then not computed.
    let batched = rank == 4 && dims[0].is_some_and(|b| b > 1);
    if batched && req.given.is_some() {
        bail!("--size: input '{name}' {} has a batch above 1; it is not a photo", show(&dims));
    }
    if batched {
        let other_open: Vec<usize> = (0..rank).filter(|&i| dims[i].is_none()).collect();
        let dims = dims.into_iter().map(|d| d.unwrap_or(1)).collect();
        return Ok(InputPlan {
            name,
            dims,
            elem,
            hint: Hint::ChannelsFirst,
            open: false,
            size_from: None,
            other_open,
        });
    }
    let mut hint = Hint::ChannelsFirst;
    let mut open = false;
    let mut size_from = None;
    if rank == 4 {
        if is_nhwc(&dims, first_perm) {
            hint = Hint::ChannelsLast;
        }
        let (hi, wi) = if hint == Hint::ChannelsLast { (1, 2) } else { (2, 3) };
        let ci = if hint == Hint::ChannelsLast { 3 } else { 1 };
        if dims[ci].is_none() {
            bail!(
                "input '{name}' {} leaves its channels open; convscope needs them fixed",
                show(&dims)
            );
        }
        open = dims[hi].is_none() || dims[wi].is_none();
        // An input .npy of any size sets the open axes: its own ONNX dims, or (H, W, D).
        if let Some(t) = &req.tensor {
            let from: Option<(usize, usize)> = match t.len() {
                4 => Some((t[hi], t[wi])),
                3 => Some((t[0], t[1])),
                _ => None,
            };
            if let (true, Some((h, w))) = (open, from) {
                dims[hi] = Some(dims[hi].unwrap_or(h));
                dims[wi] = Some(dims[wi].unwrap_or(w));
                size_from = Some("the input .npy".into());
            }
        }
        if !open {
            if let Some((h, w)) = req.given {
                let (fh, fw) = (dims[hi].unwrap_or(0), dims[wi].unwrap_or(0));
                if (h, w) != (fh, fw) {
                    bail!("--size {h}x{w}: this model's input size is fixed at {fh}×{fw}");
                }
            }
        } else if size_from.is_none() {
            let (h, w, from) = size_for((dims[hi], dims[wi]), side_size, req);
            dims[hi] = Some(h);
            dims[wi] = Some(w);
            size_from = Some(from);
        }
    } else if req.given.is_some() {
        bail!("--size: input '{name}' {} has no H and W to set", show(&dims));
    } else if let Some(t) = req.tensor.as_ref().filter(|t| t.len() == rank) {
        // Any other open axis takes the input .npy's size.
        for (d, &v) in dims.iter_mut().zip(t) {
            if d.is_none() {
                *d = Some(v);
            }
        }
    }
    let other_open: Vec<usize> = (0..rank).filter(|&i| dims[i].is_none()).collect();
    let dims = dims.into_iter().map(|d| d.unwrap_or(1)).collect();
    Ok(InputPlan { name, dims, elem, hint, open, size_from, other_open })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::onnx::proto::{TensorShapeProto, TypeProto, tensor_shape_proto, type_proto};

    fn input(dims: &[Option<i64>]) -> ValueInfoProto {
        let dim = dims
            .iter()
            .map(|d| tensor_shape_proto::Dimension {
                value: Some(match d {
                    Some(v) => Dim::DimValue(*v),
                    None => Dim::DimParam("N".into()),
                }),
                ..Default::default()
            })
            .collect();
        ValueInfoProto {
            name: Some("x".into()),
            r#type: Some(TypeProto {
                value: Some(Type::TensorType(type_proto::Tensor {
                    elem_type: Some(1),
                    shape: Some(TensorShapeProto { dim }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn batch_layout_and_open_sizes() {
        let req = SizeRequest::default();
        let p = plan(&input(&[None, Some(3), None, None]), None, &req, None).unwrap();
        assert_eq!(
            (p.dims.clone(), p.hint, p.open),
            (vec![1, 3, 224, 224], Hint::ChannelsFirst, true)
        );
        assert!(p.size_from.unwrap().contains("default"));
        // Keras: [?, ?, ?, 3] is NHWC.
        let p = plan(&input(&[Some(-1), None, None, Some(3)]), None, &req, None).unwrap();
        assert_eq!((p.dims, p.hint), (vec![1, 224, 224, 3], Hint::ChannelsLast));
        // A Transpose to NCHW right after the input says NHWC even for 8 channels.
        let p =
            plan(&input(&[Some(1), Some(20), Some(20), Some(8)]), None, &req, Some(&[0, 3, 1, 2]))
                .unwrap();
        assert_eq!(p.hint, Hint::ChannelsLast);
        // A fixed batch of 2 is a plain tensor.
        let p = plan(&input(&[Some(2), Some(3), Some(8), Some(8)]), None, &req, None).unwrap();
        assert_eq!((p.dims, p.open), (vec![2, 3, 8, 8], false));
    }

    #[test]
    fn size_sources_in_order() {
        let open = input(&[Some(1), Some(3), None, None]);
        let given = SizeRequest { given: Some((37, 53)), ..Default::default() };
        let p = plan(&open, Some((64, 64)), &given, None).unwrap();
        assert_eq!((p.dims[2], p.dims[3], p.size_from.as_deref()), (37, 53, Some("--size")));
        let photo = SizeRequest { photo: Some((2000, 1000)), ..Default::default() };
        let p = plan(&open, None, &photo, None).unwrap();
        assert_eq!((p.dims[2], p.dims[3]), (1024, 512), "long side capped at 1024");
        let rounded = SizeRequest { photo: Some((427, 640)), multiple: 32, ..Default::default() };
        let p = plan(&open, None, &rounded, None).unwrap();
        assert_eq!((p.dims[2], p.dims[3]), (416, 640));
        assert!(p.size_from.unwrap().contains("multiple of 32"));
        let fixed = input(&[Some(1), Some(3), Some(224), Some(224)]);
        let e = plan(&fixed, None, &given, None).unwrap_err().to_string();
        assert!(e.contains("fixed at 224×224"), "{e}");
        // One side fixed: the photo's aspect sets the other.
        let rec = input(&[Some(1), Some(3), Some(48), None]);
        let p =
            plan(&rec, None, &SizeRequest { photo: Some((100, 400)), ..Default::default() }, None)
                .unwrap();
        assert_eq!((p.dims[2], p.dims[3]), (48, 192));
    }
}
