//! Where a node keeps its data when it is not told otherwise.

use std::path::PathBuf;

/// The default data directory: `$XDG_DATA_HOME/lineup`, else
/// `$HOME/.local/share/lineup`, else `./lineup-data`.
pub fn default_data_dir() -> PathBuf {
    let from_env = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(data_home) = from_env("XDG_DATA_HOME") {
        return data_home.join("lineup");
    }
    if let Some(home) = from_env("HOME") {
        return home.join(".local/share/lineup");
    }
    PathBuf::from("lineup-data")
}
