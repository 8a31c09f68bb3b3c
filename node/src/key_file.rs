//! The node's secrets on disk, its private key and its owner token: created on
//! first start, readable only by the user who runs the node.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use lineup_core::PrivateKey;

/// Name of the key file inside the data directory.
pub const KEY_FILE_NAME: &str = "private-key";

/// Name of the owner token's file inside the data directory.
pub const OWNER_TOKEN_FILE_NAME: &str = "owner-token";

/// Name of the file with the key that seals this device's secret-group state.
pub const SECRET_STATE_KEY_FILE_NAME: &str = "secret-state-key";

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
    /// The file exists but holds no key (or token).
    #[error("{0} does not hold 64 hex characters")]
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
    let generate = || hex::encode(PrivateKey::generate(&mut rand::rngs::OsRng).to_bytes());
    let text = load_or_create_secret(data_dir, KEY_FILE_NAME, &generate)?;
    text.parse()
        .map_err(|_| KeyFileError::Malformed(data_dir.join(KEY_FILE_NAME)))
}

/// Loads the node's key from `data_dir` if it has one, without creating one.
pub fn load(data_dir: &Path) -> Result<Option<PrivateKey>, KeyFileError> {
    let path = data_dir.join(KEY_FILE_NAME);
    match fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| KeyFileError::Malformed(path)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error(&path)(error)),
    }
}

/// Replaces the node's key in `data_dir` with `key`, creating the directory
/// if needed. No node may run on `data_dir` meanwhile: it would go on signing
/// with the key it loaded.
pub fn replace(data_dir: &Path, key: &PrivateKey) -> Result<(), KeyFileError> {
    fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
    let text = zeroize::Zeroizing::new(hex::encode(key.to_bytes()));
    let temporary = write_temporary(data_dir, KEY_FILE_NAME, &text)?;
    let path = data_dir.join(KEY_FILE_NAME);
    // Renamed over the old file, so that whatever happens the key file holds
    // one key or the other, whole.
    if let Err(error) = fs::rename(&temporary, &path) {
        let _ = fs::remove_file(&temporary);
        return Err(io_error(&path)(error));
    }
    // Without this a power cut could bring the old key back after the import
    // said it was done.
    #[cfg(unix)]
    fs::File::open(data_dir)
        .and_then(|directory| directory.sync_all())
        .map_err(io_error(data_dir))?;
    Ok(())
}

/// Loads the token that grants the node's owner the right to write through
/// the API, creating it on first start; kept like the key.
pub fn owner_token(data_dir: &Path) -> Result<String, KeyFileError> {
    let generate = || hex::encode(rand::random::<[u8; 32]>());
    let token = load_or_create_secret(data_dir, OWNER_TOKEN_FILE_NAME, &generate)?;
    if token.len() != 64 || !token.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(KeyFileError::Malformed(data_dir.join(OWNER_TOKEN_FILE_NAME)));
    }
    Ok(token)
}

/// Loads the key that seals what this device keeps of its secret groups in
/// the database (`crate::secret::sealing`), creating it on first start; kept
/// like the node's key, and like it never leaves the data dir.
pub fn secret_state_key(data_dir: &Path) -> Result<[u8; 32], KeyFileError> {
    let generate = || hex::encode(rand::random::<[u8; 32]>());
    let text = load_or_create_secret(data_dir, SECRET_STATE_KEY_FILE_NAME, &generate)?;
    let mut key = [0; 32];
    hex::decode_to_slice(&text, &mut key)
        .map_err(|_| KeyFileError::Malformed(data_dir.join(SECRET_STATE_KEY_FILE_NAME)))?;
    Ok(key)
}

/// The text of the secret file `name`, created with `generate` if missing.
fn load_or_create_secret(
    data_dir: &Path,
    name: &str,
    generate: &dyn Fn() -> String,
) -> Result<String, KeyFileError> {
    let path = data_dir.join(name);
    match fs::read_to_string(&path) {
        Ok(text) => {
            restrict_to_owner(&path)?;
            Ok(text.trim().to_owned())
        }
        Err(error) if error.kind() == ErrorKind::NotFound => create(data_dir, name, generate),
        Err(error) => Err(io_error(&path)(error)),
    }
}

fn create(data_dir: &Path, name: &str, generate: &dyn Fn() -> String) -> Result<String, KeyFileError> {
    fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
    let secret = generate();
    let path = data_dir.join(name);
    // Write a temporary file and link it, so that a crash never leaves a
    // half-written secret behind, and two processes starting at once agree on one.
    let temporary = write_temporary(data_dir, name, &secret)?;
    match fs::hard_link(&temporary, &path) {
        Ok(()) => {}
        // Another process created it first: use theirs.
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            let _ = fs::remove_file(&temporary);
            return load_or_create_secret(data_dir, name, generate);
        }
        Err(error) => return Err(io_error(&path)(error)),
    }
    fs::remove_file(&temporary).map_err(io_error(&temporary))?;
    Ok(secret)
}

/// Writes `secret` and a line ending to a new file readable by its owner only,
/// beside the file `name` it is meant to become, and returns its path.
fn write_temporary(data_dir: &Path, name: &str, secret: &str) -> Result<PathBuf, KeyFileError> {
    let temporary = data_dir.join(format!(".{name}.{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(io_error(&temporary))?;
    if let Err(error) = file
        .write_all(secret.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
    {
        let _ = fs::remove_file(&temporary);
        return Err(io_error(&temporary)(error));
    }
    Ok(temporary)
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
    fn keeps_one_owner_token_beside_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let token = owner_token(dir.path()).unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(owner_token(dir.path()).unwrap(), token);
        assert_ne!(token, hex::encode(load_or_create(dir.path()).unwrap().to_bytes()));
    }

    #[test]
    fn loads_no_key_where_there_is_none_and_creates_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_none());
        assert!(!dir.path().join(KEY_FILE_NAME).exists());
        let created = load_or_create(dir.path()).unwrap();
        let loaded = load(dir.path()).unwrap().unwrap();
        assert_eq!(loaded.public_key(), created.public_key());
    }

    #[test]
    fn replaces_the_key_whole_and_leaves_nothing_else_behind() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("new-device");
        let old = load_or_create(&data_dir).unwrap();
        let new = PrivateKey::generate(&mut rand::rngs::OsRng);
        replace(&data_dir, &new).unwrap();
        let loaded = load_or_create(&data_dir).unwrap();
        assert_eq!(loaded.public_key(), new.public_key());
        assert_ne!(loaded.public_key(), old.public_key());
        let leftovers: Vec<_> = fs::read_dir(&data_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, [KEY_FILE_NAME]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(data_dir.join(KEY_FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
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
