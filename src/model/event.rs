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

/// A container probe, as events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    /// The probe of a message's first word: `Liveness`, `Readiness`, `Startup` (any case).
    fn from_word(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "liveness" => Some(Self::Liveness),
            "readiness" => Some(Self::Readiness),
            "startup" => Some(Self::Startup),
            _ => None,
        }
    }
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

    /// The probe an `Unhealthy` event reports failing: its message starts "Liveness probe
    /// failed: …" (or "… probe errored: …" when the probe could not run), also as `kubectl get
    /// events` printed it, behind the container's `spec.containers{app}: ` field path.
    #[must_use]
    pub fn failed_probe(&self) -> Option<ProbeKind> {
        if self.reason != "Unhealthy" {
            return None;
        }
        let text = self.text().trim_start();
        let text = if text.starts_with("spec.") {
            text.split_once("}: ").map_or(text, |(_, message)| message)
        } else {
            text
        };
        let (word, rest) = text.split_once(' ')?;
        let kind = ProbeKind::from_word(word)?;
        let rest = rest.to_ascii_lowercase();
        (rest.starts_with("probe failed") || rest.starts_with("probe errored")).then_some(kind)
    }

    /// The probe a `Killing` event says the kubelet restarts the container for, in the words
    /// kubelets have used: "Container app failed liveness probe, will be restarted" (1.14 on),
    /// "Killing container with id docker://app:Container failed liveness probe.. Container will
    /// be killed and recreated." (1.9 to 1.13), and "… container \"app\" is unhealthy, it will
    /// be killed and re-created." (up to 1.8, when only liveness probes restarted containers).
    #[must_use]
    pub fn killed_for_probe(&self) -> Option<ProbeKind> {
        if self.reason != "Killing" {
            return None;
        }
        let text = self.text().to_ascii_lowercase();
        if text.contains("failed liveness probe") {
            Some(ProbeKind::Liveness)
        } else if text.contains("failed startup probe") {
            Some(ProbeKind::Startup)
        } else if text.contains("is unhealthy, it will be killed") {
            Some(ProbeKind::Liveness)
        } else {
            None
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

    fn event(reason: &str, message: &str) -> Event {
        Event {
            reason: reason.to_owned(),
            message: message.to_owned(),
            ..Event::default()
        }
    }

    #[test]
    fn the_probe_an_unhealthy_event_reports() {
        for (message, probe) in [
            (
                "Liveness probe failed: HTTP probe failed with statuscode: 404",
                ProbeKind::Liveness,
            ),
            (
                "spec.containers{app}: Liveness probe failed: Get \"http://10.42.1.203:80/api/v2/app/version\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                ProbeKind::Liveness,
            ),
            (
                "Liveness probe errored: rpc error: code = DeadlineExceeded desc = context deadline exceeded",
                ProbeKind::Liveness,
            ),
            ("Liveness probe failed: ", ProbeKind::Liveness),
            (
                "Startup probe failed: HTTP probe failed with statuscode: 404",
                ProbeKind::Startup,
            ),
            (
                "Readiness probe failed: dial tcp 10.42.0.186:3001: connect: connection refused",
                ProbeKind::Readiness,
            ),
        ] {
            assert_eq!(
                event("Unhealthy", message).failed_probe(),
                Some(probe),
                "{message}"
            );
        }
        // Not a probe failure: another reason, or a message that only mentions a probe.
        for (reason, message) in [
            (
                "ProbeWarning",
                "Liveness probe warning: Probe terminated redirects",
            ),
            (
                "Unhealthy",
                "Stopping container app: liveness probe configuration changed",
            ),
            (
                "Killing",
                "Container app failed liveness probe, will be restarted",
            ),
        ] {
            assert_eq!(event(reason, message).failed_probe(), None, "{message}");
        }
    }

    #[test]
    fn the_probe_a_killing_event_restarts_for() {
        for (message, probe) in [
            (
                "Container webhook failed liveness probe, will be restarted",
                Some(ProbeKind::Liveness),
            ),
            (
                "spec.containers{app}: Container app failed liveness probe, will be restarted",
                Some(ProbeKind::Liveness),
            ),
            (
                "Killing container with id docker://kube-router:Container failed liveness probe.. Container will be killed and recreated.",
                Some(ProbeKind::Liveness),
            ),
            (
                "Killing container with id docker://livenesstest:pod \"livenesstest_default(ca69e447-1a98-11e8-a441-f44c7f1da78a)\" container \"livenesstest\" is unhealthy, it will be killed and re-created.",
                Some(ProbeKind::Liveness),
            ),
            (
                "Container kafka failed startup probe, will be restarted",
                Some(ProbeKind::Startup),
            ),
            ("Stopping container app", None),
            ("Container app definition changed, will be restarted", None),
            (
                "Killing container with id docker://app:Need to kill Pod",
                None,
            ),
        ] {
            assert_eq!(
                event("Killing", message).killed_for_probe(),
                probe,
                "{message}"
            );
        }
    }

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
