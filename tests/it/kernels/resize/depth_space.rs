//! DepthToSpace and SpaceToDepth: hand-worked cases and the vectors of
//! tools/gen_depth_space.py.

use super::common::{assert_close, cases, tensor, usizes};
use convscope::nn::ops::depth_space::{
    DepthMode, DepthSpaceError, depth_to_space, depth_to_space_dims, depth_to_space_source,
    space_to_depth, space_to_depth_dims, space_to_depth_source,
};
use ndarray::{ArrayD, IxDyn};

fn arange(shape: &[usize]) -> ArrayD<f32> {
    let n = shape.iter().product::<usize>();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|v| v as f32).collect()).unwrap()
}

#[test]
fn four_channels_into_one_block() {
    // [1, 4, 1, 1] with b = 2: channels 0..4 become the 2×2 block. DCR: (i·2 + j)·1 + 0, so
    // [[0, 1], [2, 3]]; CRD with one output channel is the same order.
    let x = arange(&[1, 4, 1, 1]);
    let want = ArrayD::from_shape_vec(IxDyn(&[1, 1, 2, 2]), vec![0., 1., 2., 3.]).unwrap();
    assert_eq!(depth_to_space(&x.view(), 2, DepthMode::Dcr), want);
    assert_eq!(depth_to_space(&x.view(), 2, DepthMode::Crd), want);
    // With 8 channels (2 outputs) they differ: DCR output channel 1, block (0, 1) reads
    // (0·2 + 1)·2 + 1 = 3; CRD reads 1·4 + 0·2 + 1 = 5.
    assert_eq!(depth_to_space_source([0, 1, 0, 1], 8, 2, DepthMode::Dcr), [0, 3, 0, 0]);
    assert_eq!(depth_to_space_source([0, 1, 0, 1], 8, 2, DepthMode::Crd), [0, 5, 0, 0]);
    // SpaceToDepth undoes DCR.
    let y = depth_to_space(&arange(&[1, 8, 2, 3]).view(), 2, DepthMode::Dcr);
    assert_eq!(space_to_depth(&y.view(), 2), arange(&[1, 8, 2, 3]));
    assert_eq!(space_to_depth_source([0, 3, 0, 0], 2, 2), [0, 1, 0, 1]);
}

#[test]
fn dims_are_checked() {
    assert_eq!(depth_to_space_dims(&[1, 8, 2, 3], 2).unwrap(), [1, 2, 4, 6]);
    assert_eq!(space_to_depth_dims(&[1, 2, 4, 6], 2).unwrap(), [1, 8, 2, 3]);
    let e = depth_to_space_dims(&[1, 6, 2, 2], 2).unwrap_err();
    assert_eq!(e.to_string(), "channels 6 is not divisible by 4");
    let e = space_to_depth_dims(&[1, 2, 4, 5], 2).unwrap_err();
    assert_eq!(e.to_string(), "width 5 is not divisible by 2");
    assert!(matches!(depth_to_space_dims(&[1, 4, 2], 2), Err(DepthSpaceError::Rank { rank: 3 })));
    assert!(matches!(
        depth_to_space_dims(&[1, 4, 2, 2], 0),
        Err(DepthSpaceError::BlockSize { .. })
    ));
    assert!(matches!(
        depth_to_space_dims(&[1, 4, 2, 2], -2),
        Err(DepthSpaceError::BlockSize { .. })
    ));
    assert!(matches!(
        depth_to_space_dims(&[1, 1 << 22, 1 << 20, 1], 1 << 11),
        Err(DepthSpaceError::TooLarge { .. })
    ));
    assert!(matches!(
        space_to_depth_dims(&[1, 1 << 20, 64, 64], 8),
        Err(DepthSpaceError::TooLarge { .. })
    ));
    assert!(matches!(DepthMode::from_attr(Some("RCD")), Err(DepthSpaceError::Unknown { .. })));
    assert_eq!(DepthMode::from_attr(None).unwrap(), DepthMode::Dcr);
}

#[test]
fn every_vector_matches() {
    for c in &cases("depth_space.json") {
        let name = c["name"].as_str().unwrap();
        let shape = usizes(&c["x_shape"]);
        let x = arange(&shape);
        let b = c["blocksize"].as_i64().unwrap();
        let d2s = c["op"] == "DepthToSpace";
        let dims =
            if d2s { depth_to_space_dims(&shape, b) } else { space_to_depth_dims(&shape, b) };
        if c.get("error").is_some() {
            assert!(dims.is_err(), "{name}: onnxruntime refuses it");
            continue;
        }
        let dims = dims.unwrap();
        let mode = DepthMode::from_attr(c["mode"].as_str()).unwrap();
        let got = if d2s {
            depth_to_space(&x.view(), b as usize, mode)
        } else {
            space_to_depth(&x.view(), b as usize)
        };
        assert_eq!(got.shape(), dims.as_slice(), "{name}");
        assert_close(name, &got, &tensor(c, "y"));
        for (idx, &v) in got.indexed_iter() {
            let o = [idx[0], idx[1], idx[2], idx[3]];
            let src = if d2s {
                depth_to_space_source(o, shape[1], b as usize, mode)
            } else {
                space_to_depth_source(o, shape[1], b as usize)
            };
            assert_eq!(x[IxDyn(&src)], v, "{name}: source of {o:?}");
        }
    }
}
