//! The app's own settings, kept beside the node's data.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The settings file's name in the data dir.
const FILE_NAME: &str = "app-settings.json";

/// What the person chose in the app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct AppSettings {
    /// Whether other devices on the network may open the programme here.
    pub(crate) share_on_lan: bool,
}

impl AppSettings {
    /// The settings in `data_dir`; the defaults if there are none, or if the
    /// file cannot be read (it is said on stderr: a setting is not worth
    /// refusing to start for).
    pub(crate) fn load(data_dir: &Path) -> Self {
        let path = path(data_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!("{}: {error}; using the default settings", path.display());
                Self::default()
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(error) => {
                tracing::warn!("{}: {error}; using the default settings", path.display());
                Self::default()
            }
        }
    }

    /// Keeps the settings in `data_dir`, replacing the file whole.
    pub(crate) fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let path = path(data_dir);
        let temporary = data_dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
        std::fs::write(&temporary, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&temporary, &path)
    }
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_settings_come_back_and_a_damaged_file_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(AppSettings::load(dir.path()), AppSettings::default());
        let shared = AppSettings { share_on_lan: true };
        shared.save(dir.path()).unwrap();
        assert_eq!(AppSettings::load(dir.path()), shared);
        std::fs::write(path(dir.path()), "{ not json").unwrap();
        assert_eq!(AppSettings::load(dir.path()), AppSettings::default());
    }
}
