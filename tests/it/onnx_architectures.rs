//! Whole architectures built from torchvision (random weights, exported by torch.onnx; see
//! `tools/onnx/make_models.py` and each model's meta.json) against onnxruntime, node by node:
//! every node convscope computes must match within 1e-3 of the tensor's largest value.

use super::refcheck::{check, read_input};
use convscope::model::onnx::{SizeRequest, import_with};
use convscope::nn::Origin;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx/models")
}

fn run(id: &str, input: &str, refs: &str, size: Option<(usize, usize)>) {
    let dir = root().join(id);
    let bytes = std::fs::read(dir.join("model.onnx")).unwrap();
    let x = read_input(&dir.join(input)).unwrap();
    // An open-size model takes its size from the input, as `--input x.npy` does.
    let req = SizeRequest { given: size, tensor: Some(x.dims().to_vec()), ..Default::default() };
    let imp = import_with(&bytes, id, None, Origin::None, &req).unwrap();
    let o = check(&imp, x, &dir.join(refs), 1e-3).unwrap();
    eprintln!(
        "{id}: {}/{} computed, {} compared, worst {:.1e} at {}",
        o.computed, o.layers, o.compared, o.worst, o.worst_at
    );
    assert_eq!(o.computed, o.layers, "{id}: every node is computed");
    // unet_tiny's references leave out its 3 largest tensors.
    assert!(o.compared * 10 >= o.layers * 8, "{id}: only {} of {} compared", o.compared, o.layers);
    assert!(o.failures.is_empty(), "{id}: {:#?}", o.failures);
}

macro_rules! arch {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            run(stringify!($name), "input.npy", "refs.npz", None);
        }
    )*};
}

arch!(
    shufflenet_v2_tiny,
    mobilenet_v3_small_tiny,
    mobilenet_v2_tiny,
    resnet18_tiny,
    squeezenet1_1_tiny,
    mnasnet_tiny,
    efficientnet_b0_tiny,
    googlenet_tiny,
    densenet_tiny,
    unet_tiny,
    fpn_det_tiny,
    fpn_det_tiny_dynamic
);

#[test]
fn the_dynamic_fpn_runs_at_a_second_size() {
    run("fpn_det_tiny_dynamic", "input_96x128.npy", "refs_96x128.npz", Some((96, 128)));
}
