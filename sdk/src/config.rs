//! A plugin's configuration: the JSON object the tenant set for it.

use serde::de::DeserializeOwned;

use crate::PluginError;

/// The tenant's configuration for a plugin, such as `{"tiers": ["vip"]}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    value: serde_json::Value,
}

impl Config {
    /// Parses configuration text; empty text is an empty object.
    pub fn parse(text: &str) -> Result<Config, PluginError> {
        if text.trim().is_empty() {
            return Ok(Config {
                value: serde_json::json!({}),
            });
        }
        serde_json::from_str(text)
            .map(|value| Config { value })
            .map_err(|error| PluginError::InvalidConfig(format!("not JSON: {error}")))
    }

    /// The whole configuration as a typed value.
    pub fn to<T: DeserializeOwned>(&self) -> Result<T, String> {
        // Read from the parsed value in place rather than from a copy of it.
        T::deserialize(&self.value).map_err(|error| error.to_string())
    }

    /// One field as a typed value; `Ok(None)` when it is absent.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, String> {
        match self.value.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|error| format!("`{key}`: {error}")),
        }
    }

    /// One field that must be present.
    pub fn require<T: DeserializeOwned>(&self, key: &str) -> Result<T, String> {
        self.get(key)?.ok_or_else(|| format!("`{key}` is missing"))
    }
}
