//! Finding what overlaps, by sorting and sweeping instead of comparing every
//! pair: a festival has hundreds of slots and shifts.

use jiff::Timestamp;

use super::Overlap;

/// Something that takes time, in a group (an area, an artist, a resource)
/// whose members must not overlap.
pub(super) struct Timed<G, I> {
    /// What it must not share.
    pub(super) group: G,
    /// When it starts.
    pub(super) start: Timestamp,
    /// When it ends (not included).
    pub(super) end: Timestamp,
    /// Which it is.
    pub(super) id: I,
}

/// Two members of a group that overlap.
pub(super) struct Pair<G, I> {
    /// Their group.
    pub(super) group: G,
    /// The one that starts first (then ends first, then has the lower id).
    pub(super) first: I,
    /// The other.
    pub(super) second: I,
    /// When both happen.
    pub(super) overlap: Overlap,
}

/// Every pair of members of a group that overlap, each once, as `finding`
/// describes it; sorted and without repeats, whatever order `items` came in.
/// Empty spans overlap nothing.
pub(super) fn overlapping<G, I, F>(mut items: Vec<Timed<G, I>>, finding: impl Fn(Pair<G, I>) -> F) -> Vec<F>
where
    G: Ord + Copy,
    I: Ord + Copy,
    F: Ord,
{
    items.retain(|item| item.start < item.end);
    items.sort_by_key(|item| (item.group, item.start, item.end, item.id));

    let mut found = Vec::new();
    // Those of the current group that have started and not yet ended, by
    // start: everything in here overlaps the next item unless it ended first.
    let mut running: Vec<&Timed<G, I>> = Vec::new();
    for item in &items {
        if running.first().is_some_and(|first| first.group != item.group) {
            running.clear();
        }
        running.retain(|earlier| earlier.end > item.start);
        for earlier in &running {
            // The same document given twice does not clash with itself.
            if earlier.id != item.id {
                found.push(finding(Pair {
                    group: item.group,
                    first: earlier.id,
                    second: item.id,
                    overlap: Overlap {
                        start: item.start,
                        end: earlier.end.min(item.end),
                    },
                }));
            }
        }
        running.push(item);
    }
    found.sort();
    found.dedup();
    found
}
