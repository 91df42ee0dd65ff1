//! Regressions from the command-line hostile-input battery (46,400 runs of mutated files,
//! hostile values and special files): each case here once aborted the process, printed more
//! than one line, or changed a file other than `--out`.

use super::hostile::{limited, one_line_error};
use std::path::Path;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_v2_npy_header_claiming_4_gib_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
    bytes.extend(u32::MAX.to_le_bytes());
    bytes.extend(b"{'descr': '<f4', 'fortran_order': False, 'shape': (11, 11, 4), }\n");
    let npy = write(dir.path(), "x.npy", &bytes);
    let out = dir.path().join("o.npy");
    let args = ["export", "-m", "cs231n-numpy", "--layer", "0", "--input", &npy, "--out"];
    let r = limited(&[&args[..], &[out.to_str().unwrap()]].concat(), 30);
    one_line_error(&r, &["x.npy", "4294967295 bytes"]);
    assert!(!out.exists());
}

#[test]
fn usage_errors_are_one_line() {
    for args in [
        &["export", "-m", "cifar", "--layer", "-1", "--out", "o.npy"][..],
        &["summary"],
        &["export", "-m", "cifar"],
        &["--max-memory", "0", "summary", "-m", "cifar"],
        &["bench", "-m", "cifar", "--runs", "0"],
        &["summary", "-m", "cifar", "--bogus"],
    ] {
        let r = limited(args, 10);
        one_line_error(&r, &["(see --help)"]);
    }
    // The missing arguments are named on that line.
    one_line_error(&limited(&["export", "-m", "cifar"], 10), &["--layer"]);
}

#[test]
fn a_failed_export_prints_only_its_error() {
    let r = limited(
        &["export", "-m", "cs231n-numpy", "--layer", "0", "--out", "/no/such/folder/x.npy"],
        30,
    );
    one_line_error(&r, &["/no/such/folder"]);
    // On success the notes are there.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    let r = limited(
        &["export", "-m", "cs231n-numpy", "--layer", "0", "--out", out.to_str().unwrap()],
        30,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("input: seeded random 11×11×4") && r.stderr.contains("wrote"),
        "{}",
        r.stderr
    );
}

#[test]
fn names_with_control_characters_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // A layer named with a clear-screen escape, and an input name with a newline in it.
    let spec = "[input]\nshape = [8, 8, 3]\n[[layer]]\nname = \"a\\u001b[2Jb\"\ntype = \"conv\"\n\
                filters = 2\nsize = 3\n[[layer]]\ntype = \"relu\"\ninputs = [\"x\\ny\"]\n";
    let p = write(dir.path(), "net.toml", spec.as_bytes());
    let r = limited(&["summary", "-m", &p], 10);
    one_line_error(&r, &["x\\ny"]);
    let ok = spec.replace("x\\ny", "a\\u001b[2Jb");
    let p = write(dir.path(), "ok.toml", ok.as_bytes());
    let r = limited(&["summary", "-m", &p], 10);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stdout.contains('\u{1b}'), "an escape reached stdout: {:?}", r.stdout);
    assert!(r.stdout.contains("a\\u{1b}[2Jb"), "{}", r.stdout);
}

#[cfg(unix)]
#[test]
fn a_loop_of_symbolic_links_as_out_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("la.npy"), dir.path().join("lb.npy"));
    std::os::unix::fs::symlink("lb.npy", &a).unwrap();
    std::os::unix::fs::symlink("la.npy", &b).unwrap();
    let r = limited(
        &["export", "-m", "cs231n-numpy", "--layer", "0", "--out", a.to_str().unwrap()],
        30,
    );
    one_line_error(&r, &["loop of symbolic links"]);
    for l in [&a, &b] {
        assert!(std::fs::symlink_metadata(l).unwrap().file_type().is_symlink(), "{l:?}");
    }
}

#[test]
fn out_never_replaces_the_labels_file_a_spec_names() {
    let dir = tempfile::tempdir().unwrap();
    let labels = write(dir.path(), "labels.txt", b"cat\ndog\n");
    let spec = "[input]\nshape = [4, 4, 3]\nlabels = \"labels.txt\"\n[[layer]]\ntype = \"fc\"\noutputs = 2\n";
    let p = write(dir.path(), "net.toml", spec.as_bytes());
    let r = limited(&["export", "-m", &p, "--layer", "0", "--out", &labels], 30);
    one_line_error(&r, &["one of this command's inputs"]);
    assert_eq!(std::fs::read(&labels).unwrap(), b"cat\ndog\n");
}

#[test]
fn an_input_over_the_memory_budget_is_refused_before_it_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "[input]\nshape = [16777216, 11, 4]\n[[layer]]\ntype = \"relu\"\n";
    let p = write(dir.path(), "net.toml", spec.as_bytes());
    let out = dir.path().join("o.npy");
    let r = limited(&["export", "-m", &p, "--layer", "0", "--out", out.to_str().unwrap()], 30);
    one_line_error(&r, &["memory budget"]);
}
