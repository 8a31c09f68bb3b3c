//! Encoding operations to the CBOR that p2panda-rs writes.

use ciborium::Value as Cbor;

use super::{EncodedOperation, Operation, Value, OPERATION_VERSION};
use crate::cbor;
use crate::document::DocumentViewId;
use crate::hash::Hash;

impl Operation {
    /// Encodes the operation.
    pub fn encode(&self) -> EncodedOperation {
        let mut items = vec![
            Cbor::from(OPERATION_VERSION),
            Cbor::from(self.action.code()),
            Cbor::Text(self.schema_id.to_string()),
        ];
        if let Some(previous) = &self.previous {
            items.push(view_id(previous));
        }
        if let Some(fields) = &self.fields {
            // BTreeMap iterates in name order: the canonical order.
            let entries = fields
                .iter()
                .map(|(name, value)| (Cbor::Text(name.clone()), encode_value(value)))
                .collect();
            items.push(Cbor::Map(entries));
        }
        EncodedOperation::from_bytes(cbor::encode(&Cbor::Array(items)))
    }
}

fn hash(hash: &Hash) -> Cbor {
    Cbor::Bytes(hash.to_bytes().to_vec())
}

fn view_id(view_id: &DocumentViewId) -> Cbor {
    Cbor::Array(view_id.operations().iter().map(|id| hash(&id.0)).collect())
}

pub(super) fn encode_value(value: &Value) -> Cbor {
    match value {
        Value::Bool(value) => Cbor::Bool(*value),
        Value::Int(value) => Cbor::from(*value),
        Value::Float(value) => Cbor::Float(*value),
        Value::Str(value) => Cbor::Text(value.clone()),
        Value::Bytes(value) => Cbor::Bytes(value.clone()),
        Value::Relation(document) => hash(&document.0),
        Value::RelationList(documents) => Cbor::Array(documents.iter().map(|id| hash(&id.0)).collect()),
        Value::PinnedRelation(view) => view_id(view),
        Value::PinnedRelationList(views) => Cbor::Array(views.iter().map(view_id).collect()),
    }
}
