//! Label and field selectors as the API server reads them from `labelSelector` and
//! `fieldSelector` (the syntax of k8s.io/apimachinery `labels.Parse` and `fields.ParseSelector`).

use serde_json::Value;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LabelSelector(Vec<Label>);

impl LabelSelector {
    /// Parses `app=web,tier!=db,env in (a,b),!legacy,track`.
    ///
    /// # Errors
    /// The message an API server gives for a selector it cannot parse.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in split_outside_parens(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            out.push(parse_requirement(part).ok_or_else(|| {
                format!("unable to parse requirement: invalid label selector: {part:?}")
            })?);
        }
        Ok(Self(out))
    }

    /// Whether an object's labels satisfy every requirement.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|req| match req {
            Label::Equals(k, v) => get(k) == Some(v.as_str()),
            Label::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Label::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Label::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Label::Exists(k) => get(k).is_some(),
            Label::NotExists(k) => get(k).is_none(),
        })
    }
}

fn split_outside_parens(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 317
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn parse_requirement(part: &str) -> Option<Label> {
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        return valid_key(key).then(|| Label::NotExists(key.to_owned()));
    }
    for (op, make) in [
        ("!=", Label::NotEquals as fn(String, String) -> Label),
        ("==", Label::Equals),
        ("=", Label::Equals),
    ] {
        if let Some((k, v)) = part.split_once(op) {
            let (k, v) = (k.trim(), v.trim());
            return (valid_key(k) && valid_value(v)).then(|| make(k.to_owned(), v.to_owned()));
        }
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if let [key, rest] = words[..] {
        let rest = rest.trim();
        let (notin, values) = if let Some(v) = rest.strip_prefix("notin") {
            (true, v)
        } else {
            (false, rest.strip_prefix("in")?)
        };
        let values = values.trim().strip_prefix('(')?.strip_suffix(')')?;
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_owned()).collect();
        if !valid_key(key) || !values.iter().all(|v| valid_value(v)) {
            return None;
        }
        return Some(if notin {
            Label::NotIn(key.to_owned(), values)
        } else {
            Label::In(key.to_owned(), values)
        });
    }
    valid_key(part).then(|| Label::Exists(part.to_owned()))
}

/// A parsed field selector: `field=value`, `field==value`, `field!=value`, comma-separated,
/// every one must hold. Fields are dotted paths into the object (`metadata.name`,
/// `involvedObject.uid`, `spec.nodeName`, `status.phase`); a missing field is the empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses a field selector.
    ///
    /// # Errors
    /// The message an API server gives for a term it cannot parse.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (field, equal, value) = if let Some((f, v)) = term.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = term.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = term.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{text}'; can't understand '{term}'"
                ));
            };
            let field = field.trim();
            if field.is_empty()
                || !field
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
            {
                return Err(format!("field label not supported: {field}"));
            }
            out.push((field.to_owned(), equal, value.trim().to_owned()));
        }
        Ok(Self(out))
    }

    /// Whether the object's fields satisfy every term.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let found = field
                .split('.')
                .try_fold(object, |v, k| v.get(k))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            (found == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors() {
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}});
        let yes = [
            "app=web",
            "app==web,tier",
            "tier!=db",
            "app in (web, api)",
            "app notin (db)",
            "!legacy",
            "",
        ];
        for s in yes {
            assert!(LabelSelector::parse(s).unwrap().matches(&pod), "{s}");
        }
        let no = [
            "app=api",
            "legacy",
            "app in (db)",
            "!app",
            "app notin (web)",
        ];
        for s in no {
            assert!(!LabelSelector::parse(s).unwrap().matches(&pod), "{s}");
        }
        for bad in ["app=we b", "=web", "app in web", "a$b"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_selectors() {
        let event = json!({"involvedObject": {"name": "web-1", "kind": "Pod", "uid": "u1"},
                           "metadata": {"name": "web-1.abc", "namespace": "shop"}, "count": 3});
        let yes =
            "involvedObject.name=web-1,involvedObject.namespace=,involvedObject.uid=u1,count=3";
        assert!(FieldSelector::parse(yes).unwrap().matches(&event));
        assert!(
            FieldSelector::parse("metadata.name!=x")
                .unwrap()
                .matches(&event)
        );
        assert!(
            !FieldSelector::parse("involvedObject.kind=Node")
                .unwrap()
                .matches(&event)
        );
        assert!(FieldSelector::parse("nonsense").is_err());
        assert!(FieldSelector::parse("a b=c").is_err());
    }
}
