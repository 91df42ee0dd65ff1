//! Bad input gets one clear line on stderr and exit code 2, naming the layer and the value.

use super::common;
use common::convscope;

fn run_spec(body: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("net.toml");
    std::fs::write(&p, format!("[input]\nshape = [10, 10, 3]\n\n{body}")).unwrap();
    let r = convscope(&["summary", "-m", p.to_str().unwrap()]);
    (r.code, r.stderr)
}

fn conv(extra: &str) -> String {
    format!("[[layer]]\nname = \"conv1\"\ntype = \"conv\"\nfilters = 4\n{extra}\n")
}

fn assert_error(body: &str, needles: &[&str]) {
    let (code, err) = run_spec(body);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in {err}");
    }
}

#[test]
fn zero_size() {
    assert_error(&conv("size = 0"), &["conv1", "size 0", "F ≥ 1"]);
}

#[test]
fn zero_stride() {
    assert_error(&conv("size = 3\nstride = 0"), &["conv1", "stride 0 is not allowed (S ≥ 1)"]);
}

#[test]
fn filter_larger_than_padded_input() {
    assert_error(&conv("size = 13\npad = 1"), &["conv1", "size 13", "padded input 12"]);
}

#[test]
fn groups_that_do_not_divide_depth() {
    assert_error(&conv("size = 3\ngroups = 2"), &["conv1", "groups 2", "input depth 3"]);
}

#[test]
fn output_of_size_zero() {
    // A pool of 11 over a 10×10 volume would leave nothing.
    let body = "[[layer]]\nname = \"pool\"\ntype = \"maxpool\"\nsize = 11\n";
    assert_error(body, &["pool", "size 11", "output would be 0"]);
}

#[test]
fn a_name_used_twice() {
    let body = format!("{}{}", conv("size = 3"), conv("size = 3"));
    assert_error(&body, &["conv1", "used twice"]);
}

#[test]
fn an_unknown_input() {
    let body = "[[layer]]\nname = \"sum\"\ntype = \"add\"\ninputs = [\"input\", \"nope\"]\n";
    assert_error(body, &["sum", "'nope'", "not an earlier layer"]);
}

#[test]
fn negative_pad() {
    assert_error(&conv("size = 3\npad = -1"), &["conv1", "pad -1"]);
}

#[test]
fn strict_non_integer_fit() {
    assert_error(&conv("size = 3\nstride = 2\nstrict = true"), &["conv1", "4.5", "strict"]);
}

#[test]
fn toml_errors_name_file_line_and_column() {
    let (code, err) = run_spec("[[layer]]\ntype = \"conv\"\nfliters = 3\n");
    assert_eq!(code, 2);
    assert!(err.contains("net.toml:6:1") && err.contains("fliters"), "{err}");
}

#[test]
fn an_unknown_model() {
    let r = convscope(&["summary", "-m", "lenet9000"]);
    let err = r.stderr;
    assert_eq!(r.code, 2);
    assert!(err.contains("lenet9000") && err.contains("alexnet"), "{err}");
}

#[test]
fn non_integer_fit_is_a_warning_by_default() {
    let r = convscope(&["summary", "-m", "alexnet"]);
    assert_eq!(r.code, 0);
    // Every AlexNet fit is whole, so nothing is flagged.
    assert!(!r.stdout.contains('⚠'));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("n.toml");
    let spec = "[input]\nshape = [224, 224, 3]\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nfilters = 96\nsize = 11\nstride = 4\n";
    std::fs::write(&p, spec).unwrap();
    let r = convscope(&["summary", "-m", p.to_str().unwrap()]);
    let text = r.stdout;
    assert_eq!(r.code, 0);
    assert!(text.contains("54.25 → 54") && text.contains("⚠"), "{text}");
    assert!(text.contains("last 1 input row never covered"), "{text}");
}
