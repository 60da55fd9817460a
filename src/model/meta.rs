//! `metadata` shared by every object.

use super::map::Map;

use serde::Deserialize;

use super::de;
use super::time::Time;

/// The metadata fields analysis reads. `managedFields` is deliberately absent.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::string")]
    pub namespace: String,
    #[serde(deserialize_with = "de::string")]
    pub uid: String,
    pub labels: Map,
    /// Only the annotations analysis reads (`KEPT_ANNOTATIONS`): others, such as
    /// `kubectl.kubernetes.io/last-applied-configuration`, can be kilobytes per object.
    #[serde(deserialize_with = "kept_annotations")]
    pub annotations: Map,
    #[serde(deserialize_with = "de::list")]
    pub owner_references: Vec<OwnerRef>,
    #[serde(deserialize_with = "de::time")]
    pub creation_timestamp: Option<Time>,
    #[serde(deserialize_with = "de::time")]
    pub deletion_timestamp: Option<Time>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub generation: Option<i64>,
}

/// The annotations any rule or correlation reads.
pub const KEPT_ANNOTATIONS: [&str; 1] = ["deployment.kubernetes.io/revision"];

fn kept_annotations<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
    Map::deserialize_keeping(d, |k| KEPT_ANNOTATIONS.contains(&k))
}

/// `metadata.ownerReferences[]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct OwnerRef {
    #[serde(deserialize_with = "de::string")]
    pub kind: String,
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::string")]
    pub uid: String,
    #[serde(deserialize_with = "de::opt_bool")]
    pub controller: Option<bool>,
}

impl ObjectMeta {
    /// The controlling owner (`controller: true`), else the first owner.
    #[must_use]
    pub fn controller(&self) -> Option<&OwnerRef> {
        self.owner_references
            .iter()
            .find(|o| o.controller == Some(true))
            .or_else(|| self.owner_references.first())
    }
}
