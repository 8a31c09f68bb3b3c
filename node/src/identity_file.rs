//! The node's identity carried to another device: its private key sealed with
//! a passphrase in a small text file that a person can recognise.
//!
//! ```text
//! lineup identity v1
//! kdf argon2id m=65536 t=3 p=1
//! salt <16 bytes, hex>
//! nonce <24 bytes, hex>
//! sealed <the 32-byte secret key encrypted, then the 16-byte tag, hex>
//! ```
//!
//! Argon2id (version 0x13; `m` in KiB, `t` passes, `p` lanes) turns the
//! passphrase and the salt into a key, under which XChaCha20-Poly1305 seals
//! the secret key with the nonce. The file carries the cost so that later
//! versions can raise it and still read older files. The lines above `sealed`
//! are the associated data: a file whose header was changed (a cheaper cost,
//! another version) does not open, rather than being believed.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::{AeadInOut, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use lineup_core::{PrivateKey, PublicKey};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::key_file::{self, KeyFileError};

/// The fewest characters a passphrase needs to export an identity: the file
/// may be copied anywhere, and only the passphrase keeps the key in it safe.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// The first line of an identity file, up to its version.
const FORMAT: &str = "lineup identity";
/// The version this module writes and reads.
const VERSION: &str = "v1";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const SECRET_LEN: usize = 32;
const TAG_LEN: usize = 16;
/// An identity file is a few hundred bytes; more is something else, and is
/// not read whole into memory.
const MAX_FILE_LEN: u64 = 4096;

/// Why an identity could not be exported, read or imported.
#[derive(Debug, thiserror::Error)]
pub enum IdentityFileError {
    /// Reading or writing the identity file failed.
    #[error("identity file {path}: {source}")]
    Io {
        /// The file concerned (or the temporary file beside it).
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file does not begin like an identity file.
    #[error("{0} is not a Lineup identity file")]
    NotAnIdentityFile(PathBuf),
    /// An identity file of a version this node cannot read, probably written
    /// by a newer Lineup.
    #[error(
        "{path} is a Lineup identity file of version {version}, which this version of Lineup cannot read"
    )]
    UnknownVersion {
        /// The file concerned.
        path: PathBuf,
        /// The version its first line names.
        version: String,
    },
    /// A field of the file is missing or does not read.
    #[error("{path}: field `{field}`: {problem}")]
    MalformedField {
        /// The file concerned.
        path: PathBuf,
        /// The field's name: `kdf`, `salt`, `nonce` or `sealed`.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The seal did not open. Authenticated encryption cannot tell a wrong
    /// passphrase from a changed file, so neither can this.
    #[error("cannot open {path}: wrong passphrase, or the file is damaged")]
    WrongPassphraseOrDamaged {
        /// The file concerned.
        path: PathBuf,
    },
    /// No passphrase was given.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// The passphrase is too short to export an identity with.
    #[error("the passphrase has {chars} characters; an identity file needs at least {MIN_PASSPHRASE_CHARS}")]
    PassphraseTooShort {
        /// How many characters it has.
        chars: usize,
    },
    /// The key derivation or the sealing failed for want of resources (such as
    /// Argon2's memory), not because of the passphrase or the file.
    #[error("could not seal or open the identity: {reason}")]
    Crypto {
        /// What the cryptography library said.
        reason: String,
    },
    /// The data dir's key file could not be read or written.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
}

/// What Argon2id spends to turn a passphrase into a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Argon2Cost {
    /// Memory, in KiB.
    memory_kib: u32,
    /// Passes over the memory.
    passes: u32,
    /// Lanes (parallelism).
    lanes: u32,
}

impl Argon2Cost {
    /// What exports use: RFC 9106's second recommendation with one lane, above
    /// OWASP's minimums for Argon2id, since a copied file can be attacked
    /// offline for as long as anyone likes. An export took 0.4 s and 75 MB
    /// on a 2-core x86-64 build machine.
    const RECOMMENDED: Self = Self {
        memory_kib: 64 * 1024,
        passes: 3,
        lanes: 1,
    };

    /// The most a file may ask for, so that a file from elsewhere cannot make
    /// an import exhaust the device's memory or run for hours, while leaving
    /// later versions room to raise the cost.
    const MOST: Self = Self {
        memory_kib: 1024 * 1024,
        passes: 64,
        lanes: 16,
    };

    /// Argon2's least cost: only for tests, which would crawl otherwise.
    #[cfg(test)]
    const CHEAP: Self = Self {
        memory_kib: 8,
        passes: 1,
        lanes: 1,
    };

    fn params(self) -> Result<Params, argon2::Error> {
        Params::new(self.memory_kib, self.passes, self.lanes, Some(SECRET_LEN))
    }
}

/// The fields of an identity file.
struct Sealed {
    cost: Argon2Cost,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    secret: [u8; SECRET_LEN],
    tag: [u8; TAG_LEN],
}

impl Sealed {
    /// The lines above `sealed`, which the seal binds as associated data.
    /// Rendered from the parsed fields rather than taken from the file, so
    /// that what is bound is what is meant, whatever the line endings.
    fn header(&self) -> String {
        let Argon2Cost {
            memory_kib,
            passes,
            lanes,
        } = self.cost;
        format!(
            "{FORMAT} {VERSION}\nkdf argon2id m={memory_kib} t={passes} p={lanes}\nsalt {}\nnonce {}\n",
            hex::encode(self.salt),
            hex::encode(self.nonce)
        )
    }

    fn to_text(&self) -> String {
        format!(
            "{}sealed {}{}\n",
            self.header(),
            hex::encode(self.secret),
            hex::encode(self.tag)
        )
    }
}

/// Writes the identity of the node in `data_dir` (creating it on first start)
/// to the file `to`, sealed with `passphrase`, and returns its public key.
///
/// The file is readable by its owner only and replaces whatever `to` was,
/// whole: it is written beside it, then renamed. A passphrase shorter than
/// [`MIN_PASSPHRASE_CHARS`] is refused before anything is written.
pub fn export(data_dir: &Path, passphrase: &str, to: &Path) -> Result<PublicKey, IdentityFileError> {
    export_with_cost(data_dir, passphrase, to, Argon2Cost::RECOMMENDED)
}

/// [`export`] at another cost, so that tests need not pay the real one.
pub(crate) fn export_with_cost(
    data_dir: &Path,
    passphrase: &str,
    to: &Path,
    cost: Argon2Cost,
) -> Result<PublicKey, IdentityFileError> {
    let chars = passphrase.chars().count();
    if chars == 0 {
        return Err(IdentityFileError::EmptyPassphrase);
    }
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(IdentityFileError::PassphraseTooShort { chars });
    }
    let key = key_file::load_or_create(data_dir)?;
    let sealed = seal(&key, passphrase, cost)?;
    write_replacing(to, &sealed.to_text())?;
    Ok(key.public_key())
}

/// Opens the identity file `from` with `passphrase` and returns its key,
/// touching no data dir.
pub fn read(from: &Path, passphrase: &str) -> Result<PrivateKey, IdentityFileError> {
    let sealed = parse(from, &read_text(from)?)?;
    if passphrase.is_empty() {
        return Err(IdentityFileError::EmptyPassphrase);
    }
    let cipher = XChaCha20Poly1305::new((&*derive_key(sealed.cost, passphrase, &sealed.salt)?).into());
    let mut secret = Zeroizing::new(sealed.secret);
    cipher
        .decrypt_inout_detached(
            &XNonce::from(sealed.nonce),
            sealed.header().as_bytes(),
            secret.as_mut_slice().into(),
            &Tag::from(sealed.tag),
        )
        .map_err(|_| IdentityFileError::WrongPassphraseOrDamaged {
            path: from.to_owned(),
        })?;
    Ok(PrivateKey::from_bytes(&secret))
}

/// Makes the identity in the file `from` the identity of the node in
/// `data_dir`, replacing its key file whole, and returns its public key.
///
/// No node may run on `data_dir`. If it holds that identity already, nothing
/// changes. Nothing changes either unless the file opens with `passphrase`.
pub fn import(data_dir: &Path, from: &Path, passphrase: &str) -> Result<PublicKey, IdentityFileError> {
    let key = read(from, passphrase)?;
    let public_key = key.public_key();
    match key_file::load(data_dir) {
        Ok(Some(current)) if current.public_key() == public_key => return Ok(public_key),
        // A malformed key file is replaced too: no node can start with it.
        Ok(_) | Err(KeyFileError::Malformed(_)) => {}
        Err(error) => return Err(error.into()),
    }
    key_file::replace(data_dir, &key)?;
    Ok(public_key)
}

fn seal(key: &PrivateKey, passphrase: &str, cost: Argon2Cost) -> Result<Sealed, IdentityFileError> {
    let mut sealed = Sealed {
        cost,
        salt: [0; SALT_LEN],
        nonce: [0; NONCE_LEN],
        secret: [0; SECRET_LEN],
        tag: [0; TAG_LEN],
    };
    rand::rngs::OsRng.fill_bytes(&mut sealed.salt);
    rand::rngs::OsRng.fill_bytes(&mut sealed.nonce);
    let cipher = XChaCha20Poly1305::new((&*derive_key(cost, passphrase, &sealed.salt)?).into());
    // Encrypted in place, so that the plain secret is only ever in a buffer
    // that is wiped.
    let mut secret = Zeroizing::new(key.to_bytes());
    let tag = cipher
        .encrypt_inout_detached(
            &XNonce::from(sealed.nonce),
            sealed.header().as_bytes(),
            secret.as_mut_slice().into(),
        )
        .map_err(|error| IdentityFileError::Crypto {
            reason: error.to_string(),
        })?;
    sealed.secret = *secret;
    sealed.tag = tag.into();
    Ok(sealed)
}

fn derive_key(
    cost: Argon2Cost,
    passphrase: &str,
    salt: &[u8; SALT_LEN],
) -> Result<Zeroizing<[u8; SECRET_LEN]>, IdentityFileError> {
    let crypto = |error: argon2::Error| IdentityFileError::Crypto {
        reason: error.to_string(),
    };
    let mut key = Zeroizing::new([0; SECRET_LEN]);
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        cost.params().map_err(crypto)?,
    )
    .hash_password_into(passphrase.as_bytes(), salt, key.as_mut_slice())
    .map_err(crypto)?;
    Ok(key)
}

fn read_text(path: &Path) -> Result<String, IdentityFileError> {
    let io_error = |source| IdentityFileError::Io {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes))
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(IdentityFileError::NotAnIdentityFile(path.to_owned()));
    }
    String::from_utf8(bytes).map_err(|_| IdentityFileError::NotAnIdentityFile(path.to_owned()))
}

fn parse(path: &Path, text: &str) -> Result<Sealed, IdentityFileError> {
    // Trailing spaces and CRLF line endings, as mail and editors leave them,
    // change nothing.
    let mut lines = text.lines().map(str::trim_end);
    let version = lines
        .next()
        .and_then(|line| line.strip_prefix(FORMAT)?.strip_prefix(' '))
        .ok_or_else(|| IdentityFileError::NotAnIdentityFile(path.to_owned()))?;
    if version != VERSION {
        return Err(IdentityFileError::UnknownVersion {
            path: path.to_owned(),
            version: version.to_owned(),
        });
    }
    let malformed = |field, problem: String| IdentityFileError::MalformedField {
        path: path.to_owned(),
        field,
        problem,
    };
    let mut field = |name: &'static str| match lines.next() {
        None | Some("") => Err(malformed(name, "missing".to_owned())),
        Some(line) => line
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(' '))
            .ok_or_else(|| malformed(name, format!("expected a line `{name} …`, found `{line}`"))),
    };
    let kdf = field("kdf")?;
    let salt = field("salt")?;
    let nonce = field("nonce")?;
    let sealed = field("sealed")?;
    if lines.any(|line| !line.is_empty()) {
        return Err(malformed("sealed", "the file goes on after it".to_owned()));
    }
    let cost = parse_cost(kdf).map_err(|problem| malformed("kdf", problem))?;
    let salt = parse_hex::<SALT_LEN>(salt).map_err(|problem| malformed("salt", problem))?;
    let nonce = parse_hex::<NONCE_LEN>(nonce).map_err(|problem| malformed("nonce", problem))?;
    let sealed =
        parse_hex::<{ SECRET_LEN + TAG_LEN }>(sealed).map_err(|problem| malformed("sealed", problem))?;
    let mut file = Sealed {
        cost,
        salt,
        nonce,
        secret: [0; SECRET_LEN],
        tag: [0; TAG_LEN],
    };
    file.secret.copy_from_slice(&sealed[..SECRET_LEN]);
    file.tag.copy_from_slice(&sealed[SECRET_LEN..]);
    Ok(file)
}

/// Reads `argon2id m=<KiB> t=<passes> p=<lanes>`, within [`Argon2Cost::MOST`].
fn parse_cost(text: &str) -> Result<Argon2Cost, String> {
    let words: Vec<&str> = text.split(' ').collect();
    let ["argon2id", memory, passes, lanes] = words[..] else {
        return Err(format!(
            "expected `argon2id m=<KiB> t=<passes> p=<lanes>`, found `{text}`"
        ));
    };
    let number = |word: &str, name: &str, most: u32| -> Result<u32, String> {
        let value: u32 = word
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("expected `{name}=<number>`, found `{word}`"))?;
        if value > most {
            return Err(format!(
                "{name}={value} is more than the {most} this version accepts"
            ));
        }
        Ok(value)
    };
    let most = Argon2Cost::MOST;
    let cost = Argon2Cost {
        memory_kib: number(memory, "m", most.memory_kib)?,
        passes: number(passes, "t", most.passes)?,
        lanes: number(lanes, "p", most.lanes)?,
    };
    cost.params().map_err(|error| format!("{text}: {error}"))?;
    Ok(cost)
}

fn parse_hex<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let bytes = hex::decode(text).map_err(|error| format!("not hex: {error}"))?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| format!("expected {N} bytes ({} hex digits), found {}", 2 * N, bytes.len()))
}

/// Writes `text` to a new file readable by its owner only beside `to`, then
/// renames it over `to`, so that no half-written file is ever left there.
fn write_replacing(to: &Path, text: &str) -> Result<(), IdentityFileError> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| IdentityFileError::Io { path, source }
    };
    let name = to
        .file_name()
        .ok_or_else(|| io_error(to)(std::io::Error::new(ErrorKind::InvalidInput, "names no file")))?;
    let temporary = to.with_file_name(format!(
        ".{}.{:016x}.tmp",
        name.to_string_lossy(),
        rand::random::<u64>()
    ));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(io_error(&temporary))?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_error(&temporary))
        .and_then(|()| fs::rename(&temporary, to).map_err(io_error(to)));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSPHRASE: &str = "correct horse battery staple";

    /// A device's data dir with a key, and the identity file it exported.
    struct Exported {
        dir: tempfile::TempDir,
        data_dir: PathBuf,
        file: PathBuf,
        public_key: PublicKey,
    }

    fn exported() -> Exported {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("old-device");
        let file = dir.path().join("identity.txt");
        let public_key = export_with_cost(&data_dir, PASSPHRASE, &file, Argon2Cost::CHEAP).unwrap();
        Exported {
            dir,
            data_dir,
            file,
            public_key,
        }
    }

    /// Another device's data dir with its own key, and that key file's text.
    fn other_device(exported: &Exported) -> (PathBuf, String) {
        let data_dir = exported.dir.path().join("new-device");
        key_file::load_or_create(&data_dir).unwrap();
        let text = fs::read_to_string(data_dir.join(key_file::KEY_FILE_NAME)).unwrap();
        (data_dir, text)
    }

    fn file_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// `text` with the first character of the value of `field` changed.
    fn tampered(text: &str, field: &str) -> String {
        let prefix = format!("\n{field} ");
        let at = text.find(&prefix).unwrap() + prefix.len();
        let flipped = if text[at..].starts_with('0') { "1" } else { "0" };
        format!("{}{flipped}{}", &text[..at], &text[at + 1..])
    }

    #[test]
    fn an_exported_identity_imports_into_another_data_dir() {
        let exported = exported();
        let new_device = exported.dir.path().join("new-device");
        let imported = import(&new_device, &exported.file, PASSPHRASE).unwrap();
        assert_eq!(imported, exported.public_key);
        let loaded = key_file::load_or_create(&new_device).unwrap();
        assert_eq!(loaded.public_key(), exported.public_key);
        assert_eq!(
            read(&exported.file, PASSPHRASE).unwrap().to_bytes(),
            key_file::load_or_create(&exported.data_dir).unwrap().to_bytes()
        );
        assert_eq!(file_names(&new_device), [key_file::KEY_FILE_NAME]);
    }

    #[test]
    fn an_imported_identity_replaces_the_one_there() {
        let exported = exported();
        let (new_device, _) = other_device(&exported);
        import(&new_device, &exported.file, PASSPHRASE).unwrap();
        assert_eq!(
            key_file::load(&new_device).unwrap().unwrap().public_key(),
            exported.public_key
        );
        assert_eq!(file_names(&new_device), [key_file::KEY_FILE_NAME]);
    }

    #[test]
    fn the_file_reads_as_the_documented_format() {
        let exported = exported();
        let text = fs::read_to_string(&exported.file).unwrap();
        let names: Vec<&str> = text.lines().map(|line| line.split(' ').next().unwrap()).collect();
        assert_eq!(names, ["lineup", "kdf", "salt", "nonce", "sealed"]);
        assert!(text.starts_with("lineup identity v1\nkdf argon2id m=8 t=1 p=1\nsalt "));
        assert!(text.ends_with('\n'));
        // Nothing of the secret key shows.
        let secret = hex::encode(key_file::load_or_create(&exported.data_dir).unwrap().to_bytes());
        assert!(!text.contains(&secret));
    }

    #[test]
    fn exports_with_the_recommended_cost() {
        assert_eq!(
            Argon2Cost::RECOMMENDED,
            Argon2Cost {
                memory_kib: 65536,
                passes: 3,
                lanes: 1
            }
        );
        assert!(Argon2Cost::RECOMMENDED.params().is_ok());
        assert_eq!(
            parse_cost("argon2id m=65536 t=3 p=1"),
            Ok(Argon2Cost::RECOMMENDED)
        );
    }

    #[test]
    fn a_wrong_passphrase_opens_nothing_and_changes_nothing() {
        let exported = exported();
        let (new_device, before) = other_device(&exported);
        let error = import(&new_device, &exported.file, "correct horse battery stapler").unwrap_err();
        assert!(
            matches!(error, IdentityFileError::WrongPassphraseOrDamaged { .. }),
            "{error:?}"
        );
        assert!(error
            .to_string()
            .contains("wrong passphrase, or the file is damaged"));
        let after = fs::read_to_string(new_device.join(key_file::KEY_FILE_NAME)).unwrap();
        assert_eq!(after, before);
        assert_eq!(file_names(&new_device), [key_file::KEY_FILE_NAME]);
    }

    #[test]
    fn a_tampered_file_opens_nothing_and_changes_nothing() {
        let exported = exported();
        let (new_device, before) = other_device(&exported);
        let text = fs::read_to_string(&exported.file).unwrap();
        let cases = [
            ("salt", tampered(&text, "salt")),
            ("nonce", tampered(&text, "nonce")),
            ("sealed", tampered(&text, "sealed")),
            ("sealed's tag", {
                let end = text.trim_end().len() - 1;
                let flipped = if text[end..].starts_with('0') { "1" } else { "0" };
                format!("{}{flipped}\n", &text[..end])
            }),
            ("memory", text.replace(" m=8 ", " m=16 ")),
            ("passes", text.replace(" t=1 ", " t=2 ")),
            ("lanes", text.replace(" m=8 t=1 p=1", " m=16 t=1 p=2")),
        ];
        for (what, text) in cases {
            fs::write(&exported.file, &text).unwrap();
            let error = import(&new_device, &exported.file, PASSPHRASE).unwrap_err();
            assert!(
                matches!(error, IdentityFileError::WrongPassphraseOrDamaged { .. }),
                "{what}: {error:?}"
            );
        }
        fs::write(&exported.file, text.replace(" v1\n", " v2\n")).unwrap();
        let error = import(&new_device, &exported.file, PASSPHRASE).unwrap_err();
        assert!(
            matches!(&error, IdentityFileError::UnknownVersion { version, .. } if version == "v2"),
            "{error:?}"
        );
        let after = fs::read_to_string(new_device.join(key_file::KEY_FILE_NAME)).unwrap();
        assert_eq!(after, before);
        assert_eq!(file_names(&new_device), [key_file::KEY_FILE_NAME]);
    }

    /// Every field of v1 also feeds the key or the nonce, so tampering fails
    /// without the header bound too; fields added later may not.
    #[test]
    fn the_seal_binds_the_header_as_associated_data() {
        let exported = exported();
        let sealed = parse(&exported.file, &fs::read_to_string(&exported.file).unwrap()).unwrap();
        let key = derive_key(sealed.cost, PASSPHRASE, &sealed.salt).unwrap();
        let cipher = XChaCha20Poly1305::new((&*key).into());
        let open = |associated_data: &[u8]| {
            let mut secret = sealed.secret;
            cipher
                .decrypt_inout_detached(
                    &XNonce::from(sealed.nonce),
                    associated_data,
                    secret.as_mut_slice().into(),
                    &Tag::from(sealed.tag),
                )
                .is_ok()
        };
        assert!(open(sealed.header().as_bytes()));
        assert!(!open(b""));

        // A file sealed without the header does not open either.
        let mut secret = key_file::load_or_create(&exported.data_dir).unwrap().to_bytes();
        let tag = cipher
            .encrypt_inout_detached(&XNonce::from(sealed.nonce), b"", secret.as_mut_slice().into())
            .unwrap();
        let unbound = Sealed {
            secret,
            tag: tag.into(),
            ..sealed
        };
        fs::write(&exported.file, unbound.to_text()).unwrap();
        let error = read(&exported.file, PASSPHRASE).unwrap_err();
        assert!(
            matches!(error, IdentityFileError::WrongPassphraseOrDamaged { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn the_untampered_file_still_opens_with_other_line_endings() {
        let exported = exported();
        let text = fs::read_to_string(&exported.file).unwrap();
        fs::write(&exported.file, text.replace('\n', " \r\n")).unwrap();
        let key = read(&exported.file, PASSPHRASE).unwrap();
        assert_eq!(key.public_key(), exported.public_key);
    }

    #[test]
    fn names_the_field_that_does_not_read() {
        let exported = exported();
        let text = fs::read_to_string(&exported.file).unwrap();
        let cases = [
            ("kdf", text.replace("argon2id", "scrypt")),
            ("kdf", text.replace(" t=1 ", " t=many ")),
            ("kdf", text.replace(" t=1 ", " t=0 ")),
            ("salt", text.replace("\nsalt ", "\nsalt zz")),
            ("nonce", text.replace("\nnonce ", "\nnonce 00")),
            ("sealed", text.replace("\nsealed ", "\nseal ")),
            ("sealed", format!("{text}more\n")),
            ("nonce", text.split("nonce").next().unwrap().to_owned()),
        ];
        for (field, text) in cases {
            fs::write(&exported.file, &text).unwrap();
            let error = read(&exported.file, PASSPHRASE).unwrap_err();
            assert!(
                matches!(&error, IdentityFileError::MalformedField { field: named, .. } if *named == field),
                "{field}: {error:?}"
            );
        }
    }

    #[test]
    fn refuses_a_cost_that_would_exhaust_the_device() {
        let exported = exported();
        let text = fs::read_to_string(&exported.file).unwrap();
        for cost in [" m=4194304 t=1 p=1", " m=8 t=100000 p=1", " m=1024 t=1 p=64"] {
            fs::write(&exported.file, text.replace(" m=8 t=1 p=1", cost)).unwrap();
            let error = read(&exported.file, PASSPHRASE).unwrap_err();
            assert!(
                matches!(error, IdentityFileError::MalformedField { field: "kdf", .. }),
                "{cost}: {error:?}"
            );
        }
    }

    #[test]
    fn refuses_short_passphrases_and_writes_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("device");
        let file = dir.path().join("identity.txt");
        let error = export_with_cost(&data_dir, "seven c", &file, Argon2Cost::CHEAP).unwrap_err();
        assert!(
            matches!(error, IdentityFileError::PassphraseTooShort { chars: 7 }),
            "{error:?}"
        );
        // Characters, not bytes: "äöüäöüä" is 14 bytes.
        let error = export_with_cost(&data_dir, "äöüäöüä", &file, Argon2Cost::CHEAP).unwrap_err();
        assert!(
            matches!(error, IdentityFileError::PassphraseTooShort { chars: 7 }),
            "{error:?}"
        );
        let error = export_with_cost(&data_dir, "", &file, Argon2Cost::CHEAP).unwrap_err();
        assert!(matches!(error, IdentityFileError::EmptyPassphrase), "{error:?}");
        assert!(file_names(dir.path()).is_empty(), "{:?}", file_names(dir.path()));
        export_with_cost(&data_dir, "eight ch", &file, Argon2Cost::CHEAP).unwrap();
        assert!(file.exists());
    }

    #[test]
    fn refuses_an_empty_passphrase_on_import_and_changes_nothing() {
        let exported = exported();
        let (new_device, before) = other_device(&exported);
        let error = import(&new_device, &exported.file, "").unwrap_err();
        assert!(matches!(error, IdentityFileError::EmptyPassphrase), "{error:?}");
        let after = fs::read_to_string(new_device.join(key_file::KEY_FILE_NAME)).unwrap();
        assert_eq!(after, before);
    }

    #[cfg(unix)]
    #[test]
    fn the_exported_file_is_readable_by_its_owner_only_even_over_an_older_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("identity.txt");
        fs::write(&file, "an older export").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        export_with_cost(&dir.path().join("device"), PASSPHRASE, &file, Argon2Cost::CHEAP).unwrap();
        let mode = fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(fs::read_to_string(&file)
            .unwrap()
            .starts_with("lineup identity v1\n"));
        assert_eq!(file_names(dir.path()), ["device", "identity.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn importing_the_identity_a_data_dir_has_changes_nothing() {
        use std::os::unix::fs::MetadataExt;
        let exported = exported();
        let key_file = exported.data_dir.join(key_file::KEY_FILE_NAME);
        let before = fs::metadata(&key_file).unwrap();
        let imported = import(&exported.data_dir, &exported.file, PASSPHRASE).unwrap();
        assert_eq!(imported, exported.public_key);
        // Rewriting the file, even with the same key, would make a new inode.
        let after = fs::metadata(&key_file).unwrap();
        assert_eq!(
            (after.ino(), after.mtime_nsec()),
            (before.ino(), before.mtime_nsec())
        );
    }

    #[test]
    fn garbage_is_not_an_identity_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("holiday.jpg");
        let garbage: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let text = "lineup festival notes\nkdf argon2id m=8 t=1 p=1\n";
        let large = format!("{FORMAT} {VERSION}\n{}", "x".repeat(5000));
        for contents in [garbage.as_slice(), b"", text.as_bytes(), large.as_bytes()] {
            fs::write(&file, contents).unwrap();
            let error = read(&file, PASSPHRASE).unwrap_err();
            assert!(
                matches!(error, IdentityFileError::NotAnIdentityFile(_)),
                "{error:?}"
            );
            assert!(error.to_string().ends_with("is not a Lineup identity file"));
        }
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nowhere.txt");
        let error = read(&file, PASSPHRASE).unwrap_err();
        assert!(
            matches!(&error, IdentityFileError::Io { path, .. } if *path == file),
            "{error:?}"
        );
    }
}
