//! Favourite slots stay on this device: publishing them would tell the whole
//! festival who wants to see what.

use std::collections::BTreeSet;

use leptos::prelude::*;
use lineup_core::DocumentId;

/// This device's favourite slots of one festival, kept in the browser.
#[derive(Debug, Clone, Copy)]
pub struct Favourites {
    festival: DocumentId,
    slots: RwSignal<BTreeSet<DocumentId>>,
}

impl Favourites {
    /// The favourites kept for a festival.
    pub fn of(festival: DocumentId) -> Self {
        let kept = storage()
            .and_then(|storage| storage.get_item(&key(&festival)).ok().flatten())
            .map(|text| parse(&text))
            .unwrap_or_default();
        Self {
            festival,
            slots: RwSignal::new(kept),
        }
    }

    /// Every favourite slot.
    pub fn all(&self) -> BTreeSet<DocumentId> {
        self.slots.get()
    }

    /// Whether a slot is a favourite.
    pub fn contains(&self, slot: &DocumentId) -> bool {
        self.slots.with(|slots| slots.contains(slot))
    }

    /// Adds a slot, or takes it out.
    pub fn toggle(&self, slot: DocumentId) {
        self.slots.update(|slots| {
            if !slots.remove(&slot) {
                slots.insert(slot);
            }
        });
        if let Some(storage) = storage() {
            let _ = storage.set_item(&key(&self.festival), &self.slots.with_untracked(write));
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn key(festival: &DocumentId) -> String {
    format!("lineup.favourites.{festival}")
}

fn write(slots: &BTreeSet<DocumentId>) -> String {
    slots
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Ids that no longer parse (a stranger edited the storage) are dropped.
fn parse(text: &str) -> BTreeSet<DocumentId> {
    text.split(',').filter_map(|id| id.trim().parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_favourites_read_back_and_garbage_is_dropped() {
        let id: DocumentId = "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543"
            .parse()
            .expect("an id");
        let slots = BTreeSet::from([id]);
        assert_eq!(parse(&write(&slots)), slots);
        assert_eq!(parse(&format!("{id},nonsense,")), slots);
    }
}
