//! Who is looking: the node this app talks to, whether this browser holds
//! its owner token, and the node's own key (the person's identity).

use lineup_core::PublicKey;
use serde::Deserialize;
use serde_json::json;

use crate::api::{ApiError, Client};
use crate::desktop_app;

/// Where the owner token is kept in this browser.
const TOKEN_KEY: &str = "lineup.owner-token";

/// What the node says about itself, and about this browser.
#[derive(Debug, Clone, PartialEq)]
pub struct Me {
    /// The node's key: the identity of the person who owns it.
    pub public_key: PublicKey,
    /// Whether this browser holds the right owner token: it may act for the
    /// node's key. A visitor's browser does not.
    pub owner: bool,
    /// Whether other machines may read this node (share on the LAN).
    pub shared: bool,
    /// What another node's user pastes to add this node by hand.
    pub peer_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThisNode {
    public_key: String,
    owner: bool,
    shared: bool,
    peer_code: Option<String>,
}

impl Me {
    /// Asks the node.
    pub async fn load(client: &Client) -> Result<Self, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            this_node: ThisNode,
        }
        let answer: Answer = client
            .query("{ thisNode { publicKey owner shared peerCode } }", json!({}))
            .await?;
        let node = answer.this_node;
        Ok(Self {
            public_key: node
                .public_key
                .parse()
                .map_err(|_| ApiError::Unexpected(format!("{} is no public key", node.public_key)))?,
            owner: node.owner,
            shared: node.shared,
            peer_code: node.peer_code,
        })
    }
}

/// The client for this app's node. In the desktop app, the app says where
/// its node listens and hands over the owner token; in a browser, it is the
/// node that served the page, with the owner token if this browser was
/// given one.
pub async fn connect() -> Result<Client, ApiError> {
    match desktop_app::connection().await {
        Some(connection) => connection,
        None => Ok(served_page()),
    }
}

/// Whether the app runs in the desktop app's window, not in a browser.
pub fn in_desktop_app() -> bool {
    desktop_app::internals().is_some()
}

/// The client for the node that served this page. A token in the address
/// (`#token=...`, the node's owner link) is kept and taken out of the
/// address, so it is not shared by copying the address bar.
fn served_page() -> Client {
    let Some(window) = web_sys::window() else {
        return Client {
            base: String::new(),
            token: None,
        };
    };
    let location = window.location();
    let base = location.origin().unwrap_or_default();
    let storage = window.local_storage().ok().flatten();
    let from_link = location
        .hash()
        .ok()
        .and_then(|hash| token_in_fragment(&hash).map(str::to_owned));
    if let Some(token) = &from_link {
        if let Some(storage) = &storage {
            let _ = storage.set_item(TOKEN_KEY, token);
        }
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
        }
    }
    let token = from_link.or_else(|| storage.and_then(|storage| storage.get_item(TOKEN_KEY).ok().flatten()));
    Client { base, token }
}

/// Forgets the owner token: this browser becomes a visitor's.
pub fn forget_token() {
    if let Some(storage) = web_sys::window().and_then(|window| window.local_storage().ok().flatten()) {
        let _ = storage.remove_item(TOKEN_KEY);
    }
}

/// The token in an address's fragment (`#token=...`).
fn token_in_fragment(fragment: &str) -> Option<&str> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|part| part.strip_prefix("token="))
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_the_owner_link() {
        assert_eq!(token_in_fragment("#token=abc"), Some("abc"));
        assert_eq!(token_in_fragment("#x=1&token=abc"), Some("abc"));
        assert_eq!(token_in_fragment("#token="), None);
        assert_eq!(token_in_fragment(""), None);
    }
}
