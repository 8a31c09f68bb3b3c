//! Reading a document's fields into typed values, with errors that name the
//! schema and the field.

use std::collections::BTreeMap;

use jiff::Timestamp;
use lineup_core::{DocumentId, PublicKey, Value};

/// A document's fields by name, as the node materialises them.
pub type Fields = BTreeMap<String, Value>;

/// A field that is missing or holds what its schema does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{schema}.{field}: {problem}")]
pub struct FieldError {
    /// The schema's name.
    pub schema: &'static str,
    /// The field's name.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// Reads the fields of one document of schema `schema`.
pub(crate) struct Reader<'a> {
    schema: &'static str,
    fields: &'a Fields,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(schema: &'static str, fields: &'a Fields) -> Self {
        Self { schema, fields }
    }

    fn error(&self, field: &'static str, problem: impl Into<String>) -> FieldError {
        FieldError {
            schema: self.schema,
            field,
            problem: problem.into(),
        }
    }

    fn get(&self, field: &'static str) -> Result<&'a Value, FieldError> {
        self.fields.get(field).ok_or_else(|| self.error(field, "missing"))
    }

    fn wrong(&self, field: &'static str, expected: &str, value: &Value) -> FieldError {
        self.error(field, format!("expected {expected}, found {}", value.type_name()))
    }

    pub(crate) fn str(&self, field: &'static str) -> Result<String, FieldError> {
        match self.get(field)? {
            Value::Str(text) => Ok(text.clone()),
            other => Err(self.wrong(field, "str", other)),
        }
    }

    pub(crate) fn int(&self, field: &'static str) -> Result<i64, FieldError> {
        match self.get(field)? {
            Value::Int(number) => Ok(*number),
            other => Err(self.wrong(field, "int", other)),
        }
    }

    /// A count: an `int` from 0 up.
    pub(crate) fn count(&self, field: &'static str) -> Result<u32, FieldError> {
        let number = self.int(field)?;
        u32::try_from(number).map_err(|_| self.error(field, format!("{number} is not a count")))
    }

    pub(crate) fn bool(&self, field: &'static str) -> Result<bool, FieldError> {
        match self.get(field)? {
            Value::Bool(flag) => Ok(*flag),
            other => Err(self.wrong(field, "bool", other)),
        }
    }

    /// A UTC instant, in seconds since 1970.
    pub(crate) fn time(&self, field: &'static str) -> Result<Timestamp, FieldError> {
        let seconds = self.int(field)?;
        Timestamp::from_second(seconds).map_err(|_| self.error(field, format!("{seconds} is not a time")))
    }

    /// A UTC instant, or none when 0.
    pub(crate) fn optional_time(&self, field: &'static str) -> Result<Option<Timestamp>, FieldError> {
        match self.int(field)? {
            0 => Ok(None),
            _ => self.time(field).map(Some),
        }
    }

    pub(crate) fn relation(&self, field: &'static str) -> Result<DocumentId, FieldError> {
        match self.get(field)? {
            Value::Relation(id) => Ok(*id),
            other => Err(self.wrong(field, "relation", other)),
        }
    }

    pub(crate) fn relation_list(&self, field: &'static str) -> Result<Vec<DocumentId>, FieldError> {
        match self.get(field)? {
            Value::RelationList(ids) => Ok(ids.clone()),
            other => Err(self.wrong(field, "relation_list", other)),
        }
    }

    /// None or one document, as a relation list of at most one.
    pub(crate) fn optional_relation(&self, field: &'static str) -> Result<Option<DocumentId>, FieldError> {
        match self.relation_list(field)?.as_slice() {
            [] => Ok(None),
            [id] => Ok(Some(*id)),
            more => Err(self.error(
                field,
                format!("{} documents where at most one belongs", more.len()),
            )),
        }
    }

    /// A public key, as hex.
    pub(crate) fn key(&self, field: &'static str) -> Result<PublicKey, FieldError> {
        let text = self.str(field)?;
        text.parse()
            .map_err(|_| self.error(field, format!("{text:?} is not a public key")))
    }

    /// A public key, or none when empty.
    pub(crate) fn optional_key(&self, field: &'static str) -> Result<Option<PublicKey>, FieldError> {
        match self.str(field)?.as_str() {
            "" => Ok(None),
            _ => self.key(field).map(Some),
        }
    }

    /// One of a few words.
    pub(crate) fn choice<T: Choice>(&self, field: &'static str) -> Result<T, FieldError> {
        let text = self.str(field)?;
        T::ALL
            .iter()
            .copied()
            .find(|choice| choice.word() == text)
            .ok_or_else(|| {
                let words: Vec<&str> = T::ALL.iter().map(|choice| choice.word()).collect();
                self.error(field, format!("{text:?} is not one of {}", words.join(", ")))
            })
    }
}

/// A field that holds one of a few words.
pub trait Choice: Copy + 'static {
    /// Every choice.
    const ALL: &'static [Self];
    /// The word a field holds for it.
    fn word(self) -> &'static str;
}

/// Writes typed values into fields.
#[derive(Default)]
pub(crate) struct Writer(Fields);

impl Writer {
    pub(crate) fn str(mut self, field: &str, text: &str) -> Self {
        self.0.insert(field.to_owned(), Value::Str(text.to_owned()));
        self
    }

    pub(crate) fn int(mut self, field: &str, number: i64) -> Self {
        self.0.insert(field.to_owned(), Value::Int(number));
        self
    }

    pub(crate) fn bool(mut self, field: &str, flag: bool) -> Self {
        self.0.insert(field.to_owned(), Value::Bool(flag));
        self
    }

    pub(crate) fn time(self, field: &str, time: Timestamp) -> Self {
        self.int(field, time.as_second())
    }

    pub(crate) fn optional_time(self, field: &str, time: Option<Timestamp>) -> Self {
        self.int(field, time.map_or(0, |time| time.as_second()))
    }

    pub(crate) fn relation(mut self, field: &str, id: DocumentId) -> Self {
        self.0.insert(field.to_owned(), Value::Relation(id));
        self
    }

    pub(crate) fn relation_list(mut self, field: &str, ids: &[DocumentId]) -> Self {
        self.0.insert(field.to_owned(), Value::RelationList(ids.to_vec()));
        self
    }

    pub(crate) fn optional_relation(self, field: &str, id: Option<DocumentId>) -> Self {
        self.relation_list(field, id.as_slice())
    }

    pub(crate) fn key(self, field: &str, key: &PublicKey) -> Self {
        self.str(field, &key.to_string())
    }

    pub(crate) fn optional_key(self, field: &str, key: Option<&PublicKey>) -> Self {
        self.str(field, &key.map(PublicKey::to_string).unwrap_or_default())
    }

    pub(crate) fn choice<T: Choice>(self, field: &str, choice: T) -> Self {
        self.str(field, choice.word())
    }

    pub(crate) fn done(self) -> Fields {
        self.0
    }
}
