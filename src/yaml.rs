//! The one place that knows which YAML crate parses bundles, so it can be swapped.
//!
//! `serde_yaml_ng` was measured fastest on kubectl-shaped YAML (see README, design notes); its
//! libyaml core caps nesting depth (128) and alias expansion, so hostile input is an error,
//! not a stack overflow or a memory blow-up.

use serde::de::DeserializeOwned;

/// A generic YAML value, used only when a file is not in kubectl's list shape.
pub(crate) type Value = serde_yaml_ng::Value;

/// A YAML parse error with its location, as one line of text.
pub(crate) fn describe(err: &serde_yaml_ng::Error) -> String {
    let text = err.to_string();
    text.lines().next().unwrap_or("invalid YAML").to_owned()
}

/// Parses one YAML document into `T`.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_yaml_ng::from_str(text).map_err(|e| describe(&e))
}

/// Converts a generic value into `T`.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_yaml_ng::from_value(value).map_err(|e| describe(&e))
}

/// Every document of a (possibly multi-document) YAML stream, as generic values. A document
/// that fails to parse ends the stream with its error: libyaml cannot resynchronize after it.
pub(crate) fn documents(text: &str) -> Vec<Result<Value, String>> {
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        match <Value as serde::Deserialize>::deserialize(doc) {
            Ok(v) => out.push(Ok(v)),
            Err(e) => {
                out.push(Err(describe(&e)));
                break;
            }
        }
    }
    out
}
