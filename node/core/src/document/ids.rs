//! The ids of operations, documents and document views.

use std::fmt;
use std::str::FromStr;

use crate::hash::{Hash, HashError};

/// The id of an operation: the hash of the entry that carries it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OperationId(pub Hash);

/// The id of a document: the id of its CREATE operation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentId(pub Hash);

macro_rules! hash_id {
    ($name:ident) => {
        impl $name {
            /// The underlying hash.
            pub fn hash(&self) -> &Hash {
                &self.0
            }
        }

        impl From<Hash> for $name {
            fn from(hash: Hash) -> Self {
                Self(hash)
            }
        }

        impl FromStr for $name {
            type Err = HashError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

hash_id!(OperationId);
hash_id!(DocumentId);

impl From<OperationId> for DocumentId {
    fn from(id: OperationId) -> Self {
        Self(id.0)
    }
}

/// A version of a document: the operations at the tips of its graph, sorted.
/// Written as their ids joined with `_`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentViewId(Vec<OperationId>);

/// Why a list of operation ids is not a view id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewIdError {
    /// A view has at least one operation.
    #[error("expected one or more operation ids")]
    Empty,
    /// The ids are not in ascending order, or one repeats.
    #[error("expected sorted operation ids in document view id")]
    Unsorted,
    /// One of the ids is not a hash.
    #[error(transparent)]
    InvalidHash(#[from] HashError),
}

impl DocumentViewId {
    /// The view of the given graph tips, in any order; duplicates are dropped.
    /// `None` when there are none.
    pub fn from_tips(tips: impl IntoIterator<Item = OperationId>) -> Option<Self> {
        let mut tips: Vec<OperationId> = tips.into_iter().collect();
        tips.sort_unstable();
        tips.dedup();
        (!tips.is_empty()).then_some(Self(tips))
    }

    /// A view id read from outside, which must already be sorted and free of repeats.
    pub fn from_sorted(ids: Vec<OperationId>) -> Result<Self, ViewIdError> {
        if ids.is_empty() {
            return Err(ViewIdError::Empty);
        }
        if ids.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(ViewIdError::Unsorted);
        }
        Ok(Self(ids))
    }

    /// The graph tips, sorted.
    pub fn operations(&self) -> &[OperationId] {
        &self.0
    }
}

impl From<OperationId> for DocumentViewId {
    fn from(id: OperationId) -> Self {
        Self(vec![id])
    }
}

impl FromStr for DocumentViewId {
    type Err = ViewIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let ids = text
            .split('_')
            .map(|part| part.parse::<OperationId>())
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_sorted(ids)
    }
}

impl fmt::Display for DocumentViewId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, id) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("_")?;
            }
            id.fmt(f)?;
        }
        Ok(())
    }
}

impl fmt::Debug for DocumentViewId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentViewId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(seed: &str) -> OperationId {
        OperationId(Hash::of(seed.as_bytes()))
    }

    #[test]
    fn view_ids_are_sorted_and_joined_with_underscores() {
        let (a, b) = (id("a"), id("b"));
        let view = DocumentViewId::from_tips([a, b, a]).unwrap();
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        assert_eq!(view.operations(), [low, high]);
        assert_eq!(view.to_string(), format!("{low}_{high}"));
        assert_eq!(view.to_string().parse::<DocumentViewId>(), Ok(view));
    }

    #[test]
    fn rejects_unsorted_repeated_and_empty_view_ids() {
        let (a, b) = (id("a"), id("b"));
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        assert_eq!(
            DocumentViewId::from_sorted(vec![high, low]),
            Err(ViewIdError::Unsorted)
        );
        assert_eq!(
            DocumentViewId::from_sorted(vec![low, low]),
            Err(ViewIdError::Unsorted)
        );
        assert_eq!(DocumentViewId::from_sorted(vec![]), Err(ViewIdError::Empty));
        assert_eq!(DocumentViewId::from_tips([]), None);
    }
}
