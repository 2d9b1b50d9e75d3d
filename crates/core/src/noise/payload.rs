//! The part of an alert's raw body that `payload.` conditions read, and nothing else.
//!
//! Parsing a whole body into a `serde_json::Value` for a rule or two allocates every key and
//! string in it, per alert, which measured as most of what 50 rules cost ingest. A service's
//! payload paths are known when its rules compile ([`Paths`]), so the body is read in one pass
//! that builds only the values on those paths and skips the rest without allocating
//! (`IgnoredAny`). What comes out is a pruned `Value` the rules read exactly as they would the
//! whole one: an object keeps only the keys on a path, an array the elements up to the last
//! index on one (others as `null`), and a path's end keeps its whole value (so an object or a
//! number compares as its JSON text, as before). Invalid JSON gives nothing, as before.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::rules::Step;

/// The payload paths of a rule set, as a tree of keys and indices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paths {
    /// A path ends here: keep the whole value.
    whole: bool,
    keys: BTreeMap<String, Paths>,
    indices: BTreeMap<usize, Paths>,
}

impl Paths {
    pub fn add(&mut self, steps: &[Step]) {
        match steps.split_first() {
            None => self.whole = true,
            Some((Step::Key(k), rest)) => self.keys.entry(k.clone()).or_default().add(rest),
            Some((Step::Index(i), rest)) => self.indices.entry(*i).or_default().add(rest),
        }
    }

    /// `raw` pruned to these paths; `None` when it is not one JSON document.
    pub fn extract(&self, raw: &str) -> Option<Value> {
        let mut de = serde_json::Deserializer::from_str(raw);
        let v = Prune(self).deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(v)
    }
}

struct Prune<'p>(&'p Paths);

impl<'de> DeserializeSeed<'de> for Prune<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.0.whole {
            Value::deserialize(d)
        } else {
            d.deserialize_any(self)
        }
    }
}

/// A scalar where a path goes on: nothing to read below it.
macro_rules! not_navigable {
    ($($name:ident: $t:ty),*) => {
        $(fn $name<E: de::Error>(self, _: $t) -> Result<Value, E> { Ok(Value::Null) })*
    };
}

impl<'de> Visitor<'de> for Prune<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    not_navigable!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(hit) = map.next_key_seed(KeyOf(self.0))? {
            match hit {
                Some((key, paths)) => {
                    let v = map.next_value_seed(Prune(paths))?;
                    out.insert(key.to_owned(), v);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let last = self.0.indices.keys().next_back().copied();
        let mut out = Vec::new();
        for i in 0.. {
            let got = match self.0.indices.get(&i) {
                Some(p) => seq.next_element_seed(Prune(p))?,
                None => seq.next_element::<IgnoredAny>()?.map(|_| Value::Null),
            };
            let Some(v) = got else { break };
            if last.is_some_and(|l| i <= l) {
                out.push(v);
            }
        }
        Ok(Value::Array(out))
    }
}

/// A map key: the paths below it when one goes through it, without allocating for the others.
struct KeyOf<'p>(&'p Paths);

impl<'de, 'p> DeserializeSeed<'de> for KeyOf<'p> {
    type Value = Option<(&'p str, &'p Paths)>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'p> Visitor<'de> for KeyOf<'p> {
    type Value = Option<(&'p str, &'p Paths)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.keys.get_key_value(key).map(|(k, p)| (k.as_str(), p)))
    }
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
