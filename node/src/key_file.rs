//! The node's private key on disk: created on first start, readable only by
//! the user who runs the node.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use lineup_core::PrivateKey;

/// Name of the key file inside the data directory.
pub const KEY_FILE_NAME: &str = "private-key";

/// Why the key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing the file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file exists but holds no key.
    #[error("key file {0} does not hold a 64-character hex private key")]
    Malformed(PathBuf),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Loads the node's key from `data_dir`, creating the directory and a new key
/// on first start. The file is written with mode 0600 and its mode is tightened
/// back to 0600 if someone loosened it.
pub fn load_or_create(data_dir: &Path) -> Result<PrivateKey, KeyFileError> {
    let path = data_dir.join(KEY_FILE_NAME);
    match fs::read_to_string(&path) {
        Ok(text) => {
            restrict_to_owner(&path)?;
            text.trim().parse().map_err(|_| KeyFileError::Malformed(path))
        }
        Err(error) if error.kind() == ErrorKind::NotFound => create(data_dir, &path),
        Err(error) => Err(io_error(&path)(error)),
    }
}

fn create(data_dir: &Path, path: &Path) -> Result<PrivateKey, KeyFileError> {
    fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
    let key = PrivateKey::generate(&mut rand::rngs::OsRng);
    // Write a temporary file and rename it, so that a crash never leaves a
    // half-written key behind, and two processes starting at once agree on one.
    let temporary = data_dir.join(format!(".{KEY_FILE_NAME}.{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(io_error(&temporary))?;
    file.write_all(format!("{}\n", hex_secret(&key)).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_error(&temporary))?;
    match fs::hard_link(&temporary, path) {
        Ok(()) => {}
        // Another process created the key first: use theirs.
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            let _ = fs::remove_file(&temporary);
            return load_or_create(data_dir);
        }
        Err(error) => return Err(io_error(path)(error)),
    }
    fs::remove_file(&temporary).map_err(io_error(&temporary))?;
    Ok(key)
}

fn hex_secret(key: &PrivateKey) -> String {
    key.to_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path).map_err(io_error(path))?.permissions().mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_error(path))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> Result<(), KeyFileError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_key_once_and_loads_the_same_key_after() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("nested/data");
        let created = load_or_create(&data_dir).unwrap();
        let loaded = load_or_create(&data_dir).unwrap();
        assert_eq!(created.public_key(), loaded.public_key());
        let leftovers: Vec<_> = fs::read_dir(&data_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, [KEY_FILE_NAME]);
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        let mode = || fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(), 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        load_or_create(dir.path()).unwrap();
        assert_eq!(mode(), 0o600);
    }

    #[test]
    fn refuses_a_malformed_key_file_and_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            load_or_create(dir.path()),
            Err(KeyFileError::Malformed(_))
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), "not a key");
    }
}
