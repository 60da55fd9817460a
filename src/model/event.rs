//! Events, with every timestamp fallback Kubernetes versions use.

use std::sync::Arc;

use serde::Deserialize;

use super::de;
use super::time::Time;

/// A core/v1 or events.k8s.io/v1 event as kubectl prints it: the fields analysis reads (a
/// bundle holds thousands of events, more than any other object).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Event {
    #[serde(deserialize_with = "de::nullable")]
    pub metadata: EventMeta,
    #[serde(deserialize_with = "de::nullable")]
    pub involved_object: ObjectRef,
    /// events.k8s.io/v1 spells `involvedObject` as `regarding`.
    #[serde(deserialize_with = "de::nullable")]
    pub regarding: Option<Box<ObjectRef>>,
    #[serde(deserialize_with = "de::string")]
    pub reason: String,
    #[serde(deserialize_with = "de::string")]
    pub message: String,
    /// events.k8s.io/v1 spells `message` as `note`.
    #[serde(deserialize_with = "de::opt_string")]
    pub note: Option<String>,
    #[serde(rename = "type", deserialize_with = "de::string")]
    pub kind: String,
    #[serde(deserialize_with = "de::opt_i64")]
    pub count: Option<i64>,
    #[serde(deserialize_with = "de::time")]
    pub first_timestamp: Option<Time>,
    #[serde(deserialize_with = "de::time")]
    pub last_timestamp: Option<Time>,
    #[serde(deserialize_with = "de::time")]
    pub event_time: Option<Time>,
    #[serde(deserialize_with = "de::nullable")]
    pub series: Option<Box<EventSeries>>,
    /// Where in the bundle this event was read from (set by the format reader; shared by the
    /// events of one file).
    #[serde(skip)]
    pub source_path: Arc<str>,
}

/// `metadata` of an event.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct EventMeta {
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::string")]
    pub namespace: String,
    #[serde(deserialize_with = "de::string")]
    pub uid: String,
    #[serde(deserialize_with = "de::time")]
    pub creation_timestamp: Option<Time>,
}

/// `involvedObject` / `regarding`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectRef {
    #[serde(deserialize_with = "de::string")]
    pub kind: String,
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::string")]
    pub namespace: String,
    #[serde(deserialize_with = "de::string")]
    pub uid: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub field_path: Option<String>,
}

/// `series` of a deduplicated event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EventSeries {
    #[serde(deserialize_with = "de::opt_i64")]
    pub count: Option<i64>,
    #[serde(deserialize_with = "de::time")]
    pub last_observed_time: Option<Time>,
}

impl Event {
    /// When the event was last seen: `lastTimestamp`, else `eventTime`, else
    /// `series.lastObservedTime`, else `metadata.creationTimestamp`.
    #[must_use]
    pub fn time(&self) -> Option<Time> {
        self.last_timestamp
            .or(self.event_time)
            .or_else(|| self.series.as_ref().and_then(|s| s.last_observed_time))
            .or(self.metadata.creation_timestamp)
    }

    /// How many times it was seen (`count`, else `series.count`, else 1).
    #[must_use]
    pub fn occurrences(&self) -> i64 {
        self.count
            .or_else(|| self.series.as_ref().and_then(|s| s.count))
            .unwrap_or(1)
            .max(1)
    }

    /// The object the event is about (`involvedObject`, else `regarding`).
    #[must_use]
    pub fn object(&self) -> &ObjectRef {
        match &self.regarding {
            Some(r) if self.involved_object.name.is_empty() => r,
            _ => &self.involved_object,
        }
    }

    /// The event text (`message`, else `note`).
    #[must_use]
    pub fn text(&self) -> &str {
        if self.message.is_empty() {
            self.note.as_deref().unwrap_or("")
        } else {
            &self.message
        }
    }

    /// The container named by `fieldPath` (`spec.containers{api}` → `api`), if any.
    #[must_use]
    pub fn container(&self) -> Option<&str> {
        let path = self.object().field_path.as_deref()?;
        let start = path.find('{')? + 1;
        let end = path[start..].find('}')? + start;
        Some(&path[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_fallbacks() {
        let yaml = "reason: BackOff\nlastTimestamp: null\neventTime: 2026-11-28T04:00:00.123456Z\n";
        let e: Event = serde_yaml_ng::from_str(yaml).unwrap();
        assert_eq!(e.time().unwrap().to_string(), "2026-11-28T04:00:00Z");
        let yaml = "series: {count: 4, lastObservedTime: 2026-11-28T04:10:00Z}\nmetadata: {creationTimestamp: 2026-11-28T03:00:00Z}\n";
        let e: Event = serde_yaml_ng::from_str(yaml).unwrap();
        assert_eq!(e.time().unwrap().to_string(), "2026-11-28T04:10:00Z");
        assert_eq!(e.occurrences(), 4);
    }

    #[test]
    fn field_path_container() {
        let yaml =
            "involvedObject: {kind: Pod, name: p, fieldPath: 'spec.initContainers{migrate}'}\n";
        let e: Event = serde_yaml_ng::from_str(yaml).unwrap();
        assert_eq!(e.container(), Some("migrate"));
    }
}
