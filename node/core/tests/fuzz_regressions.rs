//! Replays every input the fuzzers kept (crashes found and fixed, and hostile
//! shapes worth pinning) through the fuzz targets' checks. CI does not fuzz;
//! it runs this.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

use std::path::Path;

#[path = "../../fuzz/checks.rs"]
mod checks;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    // Cargo's directory at run time: the one from the build would be stale in a
    // build cache shared by clones at other places.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo");
    let dir = Path::new(&manifest_dir)
        .join("tests/fuzz_regressions")
        .join(target);
    let mut count = 0;
    for file in std::fs::read_dir(&dir).expect("regression directory") {
        let path = file.expect("directory entry").path();
        let data = std::fs::read(&path).expect("regression input");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} panics", path.display());
        count += 1;
    }
    count
}

#[test]
fn kept_entry_inputs_decode_without_panicking() {
    assert!(replay("decode_entry", checks::entry) > 0);
}

#[test]
fn kept_operation_inputs_decode_without_panicking() {
    assert!(replay("decode_operation", checks::operation) > 0);
}
