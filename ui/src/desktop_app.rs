//! What the app asks of the desktop app around it: its window has Tauri's
//! bridge, through which the page calls the app's commands.

use js_sys::{Function, Object, Promise, Reflect};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use wasm_bindgen::{JsCast, JsValue};

use crate::api::{ApiError, Client};

/// What the app's `connection` command answers.
#[derive(Deserialize)]
struct Connection {
    /// `http://127.0.0.1:<port>`
    address: String,
    token: String,
}

/// Tauri's bridge, present only in the app's window.
pub fn internals() -> Option<JsValue> {
    let window = web_sys::window()?;
    Reflect::get(&window, &JsValue::from_str("__TAURI_INTERNALS__"))
        .ok()
        .filter(JsValue::is_object)
}

/// Asks the app where its node listens, once the node is up; `None`
/// outside the app.
pub async fn connection() -> Option<Result<Client, ApiError>> {
    let internals = internals()?;
    let connection = invoke::<Connection>(&internals, "connection", json!({}))
        .await
        .map_err(|error| ApiError::Unexpected(format!("the app did not say where its node is: {error}")));
    Some(connection.map(|connection| Client {
        base: connection.address,
        token: Some(connection.token),
    }))
}

/// Saves the identity sealed with `passphrase` in a file the person picks;
/// the file's path, or `None` if they cancelled.
pub async fn export_identity(passphrase: &str) -> Result<Option<String>, String> {
    let internals = internals().ok_or("only the desktop app exports identities")?;
    invoke(&internals, "export_identity", json!({ "passphrase": passphrase })).await
}

/// Takes the identity in a file the person picks; the new public key, or
/// `None` if they cancelled.
pub async fn import_identity(passphrase: &str) -> Result<Option<String>, String> {
    let internals = internals().ok_or("only the desktop app imports identities")?;
    invoke(&internals, "import_identity", json!({ "passphrase": passphrase })).await
}

/// Calls the app's `command` with `arguments`; the error is the app's
/// message.
async fn invoke<T: DeserializeOwned>(
    internals: &JsValue,
    command: &str,
    arguments: Json,
) -> Result<T, String> {
    let failed = |error: JsValue| error.as_string().unwrap_or_else(|| format!("{error:?}"));
    let invoke: Function = Reflect::get(internals, &JsValue::from_str("invoke"))
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    let arguments: JsValue =
        js_sys::JSON::parse(&arguments.to_string()).unwrap_or_else(|_| Object::new().into());
    let promise: Promise = invoke
        .call2(internals, &JsValue::from_str(command), &arguments)
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    let answer = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(failed)?;
    // `undefined` (a command that answers `None`) is no JSON: read it as null.
    let text: String = js_sys::JSON::stringify(&answer)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| "null".into());
    serde_json::from_str(&text).map_err(|error| format!("the app's answer to {command}: {error}"))
}
