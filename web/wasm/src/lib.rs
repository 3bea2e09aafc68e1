//! The browser's entry points into the `analysis` crate.
//!
//! This crate is deliberately thin: every number and every figure comes from
//! `analysis`, exactly as natively. What lives here is only the boundary:
//! bytes and strings in, JSON and SVG strings out, errors converted to one
//! JavaScript `Error` each (see [`to_js`]) and Rust panics routed to the page
//! (see [`init`]).

use std::fmt::Display;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Set by `web/js/app.js` before the module is initialised; shows the
    /// message in the page. `catch`: if it is missing or throws, the panic
    /// hook still returns normally.
    #[wasm_bindgen(catch, js_namespace = globalThis, js_name = __pywebbenchPanic)]
    fn page_panic(message: &str) -> Result<(), JsValue>;
}

/// The one place where Rust errors become JavaScript errors: the message is
/// the error's `Display`, which the analysis crate writes as one line naming
/// the cause and the fix.
fn to_js(e: impl Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Install the panic hook. Called once by the page after the module loads.
#[wasm_bindgen]
pub fn init() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("internal error in the analysis module (please report it): {info}");
        let _ = page_panic(&message);
    }));
}

/// The schema version of the run files this build reads.
#[wasm_bindgen]
pub fn schema_version() -> u32 {
    analysis::schema::SCHEMA_VERSION
}

/// Parse `manifest.json` and return it re-serialised (validates it).
#[wasm_bindgen]
pub fn parse_manifest(bytes: &[u8]) -> Result<String, JsError> {
    let manifest: analysis::schema::Manifest = serde_json::from_slice(bytes).map_err(to_js)?;
    serde_json::to_string(&manifest).map_err(to_js)
}
