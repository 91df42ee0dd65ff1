//! `convscope export` against independent numpy references and the library itself.

use ndarray::{Array3, Array4};
use ndarray_npy::{read_npy, write_npy};
use std::path::{Path, PathBuf};

use super::common;

fn convscope(args: &[&str]) -> (i32, String) {
    let r = common::convscope(args);
    (r.code, r.stderr)
}

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conv_ref").join(name)
}

/// Max abs error over max |reference|.
fn rel_err(got: &Array3<f32>, want: &Array3<f32>) -> f32 {
    assert_eq!(got.shape(), want.shape());
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    got.iter().zip(want).fold(0f32, |m, (a, b)| m.max((a - b).abs())) / scale
}

#[test]
fn exports_match_numpy_for_stride_pad_dilation_and_groups() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        "stride2",
        "asymmetric_pad",
        "dilation2",
        "depthwise",
        "grouped_stride2",
        "alexnet_like_11x11_s4",
    ];
    for case in cases {
        let d = case_dir(case);
        let out = tmp.path().join(format!("{case}.npy"));
        let (code, err) = convscope(&[
            "export",
            "-m",
            d.join("spec.toml").to_str().unwrap(),
            "--input",
            d.join("x.npy").to_str().unwrap(),
            "--layer",
            "conv",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{case}: {err}");
        let got: Array3<f32> = read_npy(&out).unwrap();
        let want: Array3<f32> = read_npy(d.join("expected.npy")).unwrap();
        let e = rel_err(&got, &want);
        assert!(e < 1e-4, "{case}: relative error {e}");
    }
}

#[test]
fn weights_export_round_trips_the_spec_file() {
    let d = case_dir("grouped_stride2");
    let tmp = tempfile::tempdir().unwrap();
    let w_out = tmp.path().join("w.npy");
    let (code, err) = convscope(&[
        "export",
        "-m",
        d.join("spec.toml").to_str().unwrap(),
        "--layer",
        "0",
        "--weights",
        w_out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let got: Array4<f32> = read_npy(&w_out).unwrap();
    let want: Array4<f32> = read_npy(d.join("w.npy")).unwrap();
    assert_eq!(got, want);
    assert_eq!(got.shape(), &[8, 3, 3, 2], "(K, F, F, D_in/groups)");
}

#[test]
fn alexnet_conv1_export_is_55_by_55_by_96_and_png_slice_is_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let img = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/images/chelsea.png");
    let npy = tmp.path().join("conv1.npy");
    let (code, err) = convscope(&[
        "export",
        "-m",
        "cifar",
        "--image",
        img.to_str().unwrap(),
        "--layer",
        "conv1",
        "--out",
        npy.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Array3<f32> = read_npy(&npy).unwrap();
    assert_eq!(v.shape(), &[32, 32, 12]);
    assert!(v.iter().any(|x| *x != 0.0));
    let png = tmp.path().join("d7.png");
    let (code, err) = convscope(&[
        "export",
        "-m",
        "cifar",
        "--image",
        img.to_str().unwrap(),
        "--layer",
        "conv1",
        "--slice",
        "7",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let pic = image::open(&png).unwrap();
    assert!(pic.width() >= 256 && pic.height() >= 256);
    // 32×32 upscaled by 8: each value is an 8×8 block of one colour.
    let rgb = pic.to_rgb8();
    assert_eq!(rgb.get_pixel(0, 0), rgb.get_pixel(7, 7));
}

#[test]
fn a_wrong_input_shape_fails_cleanly_and_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let x = tmp.path().join("x.npy");
    write_npy(&x, &Array3::<f32>::zeros((5, 5, 4))).unwrap();
    let out = tmp.path().join("v.npy");
    let (code, err) = convscope(&[
        "export",
        "-m",
        "cs231n-numpy",
        "--input",
        x.to_str().unwrap(),
        "--layer",
        "conv1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("5×5×4") && err.contains("11×11×4"), "{err}");
    assert!(!out.exists());
    let (code, err) = convscope(&[
        "export",
        "-m",
        "cs231n-numpy",
        "--layer",
        "conv1",
        "--slice",
        "9",
        "--out",
        tmp.path().join("s.png").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("slice 9") && err.contains("depth 2"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "only x.npy is there");
}

#[test]
fn a_random_input_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("v.npy");
    let (code, err) = convscope(&[
        "export",
        "-m",
        "cs231n-numpy",
        "--layer",
        "conv1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("seeded random 11×11×4"), "{err}");
    let v: Array3<f32> = read_npy(&out).unwrap();
    assert_eq!(v.shape(), &[4, 4, 2]);
}
