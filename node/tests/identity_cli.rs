//! A node's identity moves to another device through the command line:
//! `export-identity` on the old device, `import-identity` on the new one, the
//! passphrase on standard input. These run the real Argon2 cost.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASSPHRASE: &str = "a tent by the main stage";

/// Runs `lineup-node --data-dir DATA_DIR ARGS…` with `stdin` as its input.
fn lineup_node(data_dir: &Path, args: &[&str], file: Option<&Path>, stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lineup-node"));
    command.arg("--data-dir").arg(data_dir).args(args);
    if let Some(file) = file {
        command.arg(file);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The public key `lineup-node identity` shows for `data_dir`.
fn public_key(data_dir: &Path) -> String {
    let output = lineup_node(data_dir, &["identity"], None, "");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("public key: "))
        .unwrap_or_else(|| panic!("no public key in {stdout:?}"))
        .to_owned()
}

#[test]
fn an_identity_exported_from_one_data_dir_imports_into_another() {
    let dir = tempfile::tempdir().unwrap();
    let (old_device, new_device) = (dir.path().join("old"), dir.path().join("new"));
    let file = dir.path().join("identity.txt");
    let exported = public_key(&old_device);
    assert_ne!(public_key(&new_device), exported);

    let export = lineup_node(
        &old_device,
        &["export-identity"],
        Some(&file),
        &format!("{PASSPHRASE}\n"),
    );
    assert!(export.status.success(), "{export:?}");
    assert!(String::from_utf8(export.stdout).unwrap().contains(&exported));
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .starts_with("lineup identity v1\n"));

    let import = lineup_node(
        &new_device,
        &["import-identity"],
        Some(&file),
        &format!("{PASSPHRASE}\n"),
    );
    assert!(import.status.success(), "{import:?}");
    assert!(String::from_utf8(import.stderr)
        .unwrap()
        .contains("Retire the device"));
    assert_eq!(public_key(&new_device), exported);
    assert_eq!(public_key(&old_device), exported);
}

#[test]
fn a_wrong_passphrase_fails_and_leaves_the_identity_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (old_device, new_device) = (dir.path().join("old"), dir.path().join("new"));
    let file = dir.path().join("identity.txt");
    let export = lineup_node(
        &old_device,
        &["export-identity"],
        Some(&file),
        &format!("{PASSPHRASE}\n"),
    );
    assert!(export.status.success(), "{export:?}");
    let before = public_key(&new_device);

    let import = lineup_node(
        &new_device,
        &["import-identity"],
        Some(&file),
        "a tent by the side stage\n",
    );
    assert!(!import.status.success(), "{import:?}");
    let stderr = String::from_utf8(import.stderr).unwrap();
    assert!(
        stderr.contains("wrong passphrase, or the file is damaged"),
        "{stderr}"
    );
    assert_eq!(public_key(&new_device), before);
}

#[test]
fn a_short_passphrase_exports_no_identity() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("identity.txt");
    let export = lineup_node(
        &dir.path().join("device"),
        &["export-identity"],
        Some(&file),
        "tent\n",
    );
    assert!(!export.status.success(), "{export:?}");
    let stderr = String::from_utf8(export.stderr).unwrap();
    assert!(stderr.contains("at least 8"), "{stderr}");
    assert!(!file.exists());
}
