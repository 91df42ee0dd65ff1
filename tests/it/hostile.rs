//! Every reproduction of the robust-engine issue, on the real binary, as a hostile user would
//! run it: `RUST_BACKTRACE=1` set, a 4 GiB address-space limit, and a time limit. Each must end
//! with one line on stderr and exit code 2 (or succeed), never a panic, an abort or a hang.

use super::onnx_build::{conv, floats, int, int64s, ints, model, node, tensor_attr};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a limited run gave.
pub struct Limited {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Run the binary with RUST_BACKTRACE=1 under `ulimit -v 4G`, killed after `secs`.
pub fn limited(args: &[&str], secs: u64) -> Limited {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_convscope"));
    cmd.args(args)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe and touches only the child.
        unsafe {
            cmd.pre_exec(|| {
                let lim = libc::rlimit { rlim_cur: 4 << 30, rlim_max: 4 << 30 };
                libc::setrlimit(libc::RLIMIT_AS, &lim);
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().expect("the binary starts");
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("convscope {args:?} hung for {secs} s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child.stdout.take().map(|mut s| s.read_to_string(&mut out));
    child.stderr.take().map(|mut s| s.read_to_string(&mut err));
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal = None;
    Limited { code: status.code(), signal, stdout: out, stderr: err }
}

/// Exit 2 with one `error:` line that contains every needle.
#[track_caller]
pub fn one_line_error(r: &Limited, needles: &[&str]) {
    assert_eq!(r.signal, None, "killed by a signal: {}", r.stderr);
    assert_eq!(r.code, Some(2), "exit code: {}", r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "one line: {}", r.stderr);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "missing {n:?} in {}", r.stderr);
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_pad_of_2_pow_62_is_refused_not_a_corrupted_heap() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "[input]\nshape = [16, 16, 3]\n[[layer]]\ntype = \"conv\"\nfilters = 2\nsize = 3\npad = [4611686018427387904, 0, 0, 0]\n";
    let p = write(dir.path(), "net.toml", spec.as_bytes());
    let out = dir.path().join("o.npy");
    let r = limited(&["export", "-m", &p, "--layer", "0", "--out", out.to_str().unwrap()], 30);
    one_line_error(&r, &["pad 4611686018427387904 is too large"]);
    let sym = "[input]\nshape = [16, 16, 3]\n[[layer]]\ntype = \"conv\"\nfilters = 2\nsize = 3\npad = 4611686018427387904\n";
    let p = write(dir.path(), "sym.toml", sym.as_bytes());
    one_line_error(&limited(&["summary", "-m", &p], 30), &["conv1", "too large"]);
}

#[test]
fn a_pool_pad_larger_than_the_window_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = convscope::model::presets::get("cifar").unwrap().replacen(
        "type = \"maxpool\"",
        "type = \"maxpool\"\npad = 2",
        1,
    );
    let p = write(dir.path(), "cifar.toml", text.as_bytes());
    let r = limited(&["summary", "-m", &p], 30);
    one_line_error(&r, &["pool1", "pad 2 is not smaller than the window 2"]);
}

#[test]
fn hostile_onnx_sizes_and_attributes_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let big = 1i64 << 62;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("pads62", conv(vec![ints("pads", &[big, 0, 0, 0])]), "too large"),
        ("padsmax", conv(vec![ints("pads", &[i64::MAX, i64::MAX, 0, 0])]), "too large"),
        ("strides31", conv(vec![ints("strides", &[1 << 31, 1])]), "too large"),
        ("strides62", conv(vec![ints("strides", &[big, big])]), "too large"),
        ("kernel31", conv(vec![ints("kernel_shape", &[1 << 31, 3])]), "kernel_shape"),
        ("dilation62", conv(vec![ints("dilations", &[big, 1])]), "too large"),
        ("groups62", conv(vec![int("group", big)]), "input channels"),
        ("negpad", conv(vec![ints("pads", &[-1, 0, 0, 0])]), "non-negative"),
    ];
    for (name, bytes, needle) in cases {
        let p = write(dir.path(), &format!("{name}.onnx"), &bytes);
        one_line_error(&limited(&["summary", "-m", &p], 30), &[needle]);
    }
}

#[test]
fn hostile_onnx_input_dims_are_errors_or_open() {
    let dir = tempfile::tempdir().unwrap();
    let relu = |d: &[i64]| model(d, vec![node("Relu", &["x"], "y", vec![])], vec![], 13);
    // −1 is an open size: the default 224 applies.
    let p = write(dir.path(), "m1.onnx", &relu(&[1, 3, -1, -1]));
    let r = limited(&["summary", "-m", &p], 30);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("224×224×3"), "{}", r.stdout);
    for (name, d, needle) in [
        ("m5", vec![1, 3, -5, 8], "dimension -5"),
        ("huge", vec![1, 3, 100000, 100000], "values"),
        ("p31", vec![1, 3, 1 << 31, 8], "too large"),
    ] {
        let p = write(dir.path(), &format!("{name}.onnx"), &relu(&d));
        one_line_error(&limited(&["summary", "-m", &p], 30), &[needle]);
    }
}

#[test]
fn malformed_onnx_nodes_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let x = &[1, 3, 4, 4];
    let c = |dims: &[i64], v: &[i64]| int64s("c", dims, v);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "constofshape",
            model(
                x,
                vec![
                    node("ConstantOfShape", &["s"], "z", vec![]),
                    node("Add", &["x", "z"], "y", vec![]),
                ],
                vec![int64s("s", &[1], &[1 << 40])],
                13,
            ),
            "too large",
        ),
        (
            "transpose",
            model(
                x,
                vec![
                    node("Transpose", &["w"], "t", vec![ints("perm", &[0, 0, 0, 0])]),
                    node("Add", &["x", "t"], "y", vec![]),
                ],
                vec![floats("w", &[1, 3, 1, 1], &[1.0, 2.0, 3.0])],
                13,
            ),
            "a permutation of the 4 axes",
        ),
        (
            "slice_lengths",
            model(
                x,
                vec![
                    node("Slice", &["w", "st", "en", "ax"], "t", vec![]),
                    node("Add", &["x", "t"], "y", vec![]),
                ],
                vec![
                    floats("w", &[1, 3, 1, 1], &[1.0, 2.0, 3.0]),
                    int64s("st", &[2], &[0, 0]),
                    int64s("en", &[1], &[1]),
                    int64s("ax", &[1], &[1]),
                ],
                13,
            ),
            "must agree",
        ),
        (
            "slice_no_inputs",
            model(
                x,
                vec![node("Slice", &[], "t", vec![]), node("Add", &["x", "t"], "y", vec![])],
                vec![],
                13,
            ),
            "input 0) is missing",
        ),
        (
            "dropout_empty_mode",
            model(
                x,
                vec![node("Dropout", &["x", "", "m"], "y", vec![])],
                vec![TensorProtoBool::empty("m")],
                13,
            ),
            "",
        ),
        (
            "prelu5",
            model(
                &[1, 3, 4, 4],
                vec![node("PRelu", &["x", "s"], "y", vec![])],
                vec![floats("s", &[5, 1, 1], &[0.25; 5])],
                13,
            ),
            "do not broadcast",
        ),
        (
            "add5",
            model(
                &[1, 3, 4, 4],
                vec![node("Add", &["x", "k"], "y", vec![])],
                vec![floats("k", &[5, 1, 1], &[1.0; 5])],
                13,
            ),
            "",
        ),
        (
            "shape_garbage",
            model(x, vec![node("Reshape", &["x", "c"], "y", vec![])], vec![c(&[1], &[-7])], 13),
            "shape",
        ),
        (
            "const_huge",
            model(
                x,
                vec![
                    node(
                        "Constant",
                        &[],
                        "k",
                        vec![tensor_attr("value", floats("v", &[1 << 40], &[]))],
                    ),
                    node("Add", &["x", "k"], "y", vec![]),
                ],
                vec![],
                13,
            ),
            "too large",
        ),
    ];
    for (name, bytes, needle) in cases {
        let p = write(dir.path(), &format!("{name}.onnx"), &bytes);
        let r = limited(&["summary", "-m", &p], 30);
        if matches!(name, "dropout_empty_mode") {
            // An empty training_mode means the default: inference. It loads.
            assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
            continue;
        }
        assert_eq!(r.code, Some(2), "{name}: {}{}", r.stdout, r.stderr);
        one_line_error(&r, &[needle]);
        let r = limited(&["export", "-m", &p, "--layer", "0", "--out", "/tmp/never.npy"], 30);
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        assert!(!Path::new("/tmp/never.npy").exists());
    }
}

/// An empty bool tensor (Dropout's `training_mode` written with no value).
struct TensorProtoBool;
impl TensorProtoBool {
    fn empty(name: &str) -> convscope::model::onnx::proto::TensorProto {
        convscope::model::onnx::proto::TensorProto {
            name: Some(name.into()),
            data_type: Some(9),
            dims: vec![0],
            ..Default::default()
        }
    }
}

#[test]
fn opsets_outside_the_supported_range_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for opset in [0, 29, 99, -1] {
        let bytes = model(&[1, 3, 4, 4], vec![node("Relu", &["x"], "y", vec![])], vec![], opset);
        let p = write(dir.path(), &format!("o{opset}.onnx"), &bytes);
        one_line_error(&limited(&["summary", "-m", &p], 30), &[&format!("opset {opset}")]);
    }
}

#[test]
fn npy_header_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let npy = write(dir.path(), "w.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4', ");
    let spec = format!(
        "[input]\nshape = [8, 8, 3]\n[[layer]]\ntype = \"conv\"\nfilters = 2\nsize = 3\nweights = \"{npy}\"\n"
    );
    let p = write(dir.path(), "net.toml", spec.as_bytes());
    one_line_error(&limited(&["summary", "-m", &p], 30), &["conv1: weights file", "w.npy"]);
}

#[test]
fn fifos_folders_and_devices_are_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.onnx");
    #[cfg(unix)]
    {
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads the NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let f = fifo.to_str().unwrap();
        one_line_error(&limited(&["summary", "-m", f], 10), &["FIFO"]);
        let toml = dir.path().join("pipe.toml");
        std::fs::rename(&fifo, &toml).unwrap();
        let t = toml.to_str().unwrap();
        one_line_error(&limited(&["summary", "-m", t], 10), &["FIFO"]);
        let args = ["top", "-m", "cs231n-demo", "--image", t];
        one_line_error(&limited(&args, 10), &["FIFO"]);
        let args =
            ["export", "-m", "cs231n-numpy", "--input", t, "--layer", "0", "--out", "/tmp/x.npy"];
        one_line_error(&limited(&args, 10), &["FIFO"]);
    }
    let d = dir.path().to_str().unwrap();
    one_line_error(&limited(&["top", "-m", "cifar", "--image", d], 10), &["directory"]);
    let args = ["export", "-m", "cs231n-numpy", "--layer", "0", "--out", "/dev/null"];
    one_line_error(&limited(&args, 10), &["/dev/null"]);
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device_like());
    let args = ["export", "-m", "cs231n-numpy", "--layer", "0", "--out", d];
    one_line_error(&limited(&args, 10), &["directory"]);
}

/// `is_char_device` on Unix, else true.
trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}
impl CharDevice for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            self.is_char_device()
        }
        #[cfg(not(unix))]
        true
    }
}

#[test]
fn export_never_writes_over_its_own_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "net.toml",
        convscope::model::presets::get("cs231n-demo").unwrap().as_bytes(),
    );
    let before = std::fs::read(&spec).unwrap();
    let r = limited(&["export", "-m", &spec, "--layer", "0", "--out", &spec], 30);
    one_line_error(&r, &["one of this command's inputs"]);
    assert_eq!(std::fs::read(&spec).unwrap(), before, "the spec is untouched");
    let npy = dir.path().join("x.npy");
    let x = ndarray::Array3::<f32>::zeros((11, 11, 4));
    ndarray_npy::write_npy(&npy, &x).unwrap();
    let n = npy.to_str().unwrap();
    let r =
        limited(&["export", "-m", "cs231n-numpy", "--input", n, "--layer", "0", "--out", n], 30);
    one_line_error(&r, &["one of this command's inputs"]);
    let left: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "no temporary files: {left:?}");
}

#[test]
fn stdout_on_a_full_disk_is_one_line() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    for args in [
        vec!["summary", "-m", "cifar"],
        vec!["presets"],
        vec!["top", "-m", "cifar"],
        vec!["bench", "-m", "cs231n-demo", "--runs", "1"],
    ] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_convscope"))
            .args(&args)
            .env("RUST_BACKTRACE", "1")
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("stdout: cannot write: No space left on device"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn bench_arguments_have_bounds() {
    let r = limited(&["bench", "-m", "cs231n-demo", "--runs", "18446744073709551615"], 30);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--runs"), "{}", r.stderr);
    let r = limited(&["bench", "-m", "cs231n-demo", "--threads", "100000"], 30);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--threads"), "{}", r.stderr);
}

#[test]
fn a_corrupt_image_is_one_line_before_any_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let png = write(dir.path(), "bad.png", b"\x89PNG\r\n\x1a\n this is not a picture");
    let r = limited(&["-m", "cifar", &png], 10);
    one_line_error(&r, &["bad.png", "cannot read the image"]);
    assert!(!r.stdout.contains("\x1b[?1049h"), "the alternate screen was never entered");
    let r = limited(&["top", "-m", "cifar", &png], 10);
    one_line_error(&r, &["bad.png"]);
}

#[test]
fn a_pass_over_the_memory_budget_is_refused_in_one_line() {
    let r = limited(
        &[
            "export",
            "-m",
            "vgg16",
            "--layer",
            "0",
            "--out",
            "/tmp/never.npy",
            "--max-memory",
            "64M",
        ],
        60,
    );
    one_line_error(&r, &["over the memory budget of 64.0 MiB"]);
    let r = limited(&["summary", "-m", "cifar", "--max-memory", "lots"], 10);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("not a size"), "{}", r.stderr);
}

#[test]
fn user_errors_never_print_a_backtrace() {
    let r = limited(&["summary", "-m", "nosuchmodel"], 10);
    one_line_error(&r, &["nosuchmodel", "efficientnet-lite0", "alexnet"]);
}

#[test]
fn a_nan_weight_is_reported_by_summary() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("w.npy");
    let mut w = ndarray::Array4::<f32>::from_elem((2, 3, 3, 3), 0.1);
    w[[1, 0, 0, 0]] = f32::NAN;
    ndarray_npy::write_npy(&npy, &w).unwrap();
    let spec = format!(
        "[input]\nshape = [8, 8, 3]\n[[layer]]\ntype = \"conv\"\nfilters = 2\nsize = 3\nweights = \"{}\"\n[[layer]]\ntype = \"relu\"\n",
        npy.display()
    );
    let p = write(dir.path(), "nan.toml", spec.as_bytes());
    let r = limited(&["summary", "-m", &p], 30);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("conv1: its weights hold 1 NaN"), "{}", r.stdout);
    assert!(r.stdout.contains("conv1: its output holds 36 NaN"), "{}", r.stdout);
    let r = limited(&["summary", "-m", &p, "--json"], 30);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["non_finite"][1]["layer"], "conv1");
    assert_eq!(j["non_finite"][1]["nan"], 36);
}
