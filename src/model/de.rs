//! Lenient field deserializers: bundles are hand-edited and come from odd kubectl versions.
//!
//! A wrong type in one field must not lose the object: `restartCount: "3"` is 3, a `null`
//! where an object is expected is the default, a timestamp that does not parse is `None`.

use std::collections::BTreeMap;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, Visitor};

use super::time::Time;

/// `null` becomes `T::default()`; any other value must deserialize as `T`.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list where `null` is empty and `null` elements are dropped (`containerStatuses: [null]`
/// loses nothing else of the object).
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let raw = Option::<Vec<Option<T>>>::deserialize(d)?.unwrap_or_default();
    // Sized exactly: `flatten().collect()` cannot know the length and over-allocates (a
    // one-element list got room for four), which adds up over a large cluster.
    let mut out = Vec::with_capacity(raw.iter().flatten().count());
    out.extend(raw.into_iter().flatten());
    Ok(out)
}

/// A scalar of any type as text: strings, numbers and booleans; anything else is `None`.
#[derive(Debug, Default)]
pub(crate) struct Scalar(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Scalar, D2::Error> {
                Scalar::deserialize(d)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// An optional string that also accepts numbers and booleans (`value: 8080`).
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Scalar::deserialize(d)?.0)
}

/// A string that also accepts numbers and booleans; `null` and non-scalars are empty.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Scalar::deserialize(d)?.0.unwrap_or_default())
}

/// An optional integer that also accepts `"3"`; anything unparseable is `None`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Scalar::deserialize(d)?.0.and_then(|s| {
        let s = s.trim();
        s.parse::<i64>().ok().or_else(|| {
            #[allow(clippy::cast_possible_truncation)]
            s.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| f as i64)
        })
    }))
}

/// An integer that also accepts `"3"`; `null` or garbage is 0.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_i64(d)?.unwrap_or(0))
}

/// A boolean that also accepts `"true"`; anything else is `None`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Scalar::deserialize(d)?.0.and_then(|s| match s.trim() {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }))
}

/// A boolean that also accepts `"true"`; anything else is `false`.
pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt_bool(d)?.unwrap_or(false))
}

/// A timestamp; `null`, a wrong type or an unparseable string is `None`.
pub(crate) fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
    Ok(Scalar::deserialize(d)?.0.as_deref().and_then(Time::parse))
}

/// The keys of a map, values ignored (ConfigMap and Secret `data`).
pub(crate) fn keys<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    // A map type is needed to walk the keys; the values are skipped unparsed.
    #[allow(clippy::zero_sized_map_values)]
    let raw = Option::<BTreeMap<String, IgnoredAny>>::deserialize(d)?.unwrap_or_default();
    Ok(raw.into_keys().collect())
}

/// A list of strings where items may be numbers; `null` is empty.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let raw = Option::<Vec<Scalar>>::deserialize(d)?.unwrap_or_default();
    Ok(raw.into_iter().filter_map(|s| s.0).collect())
}
