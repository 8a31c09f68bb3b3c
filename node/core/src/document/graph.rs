//! The operation graph of one document and the order in which p2panda-rs 0.9
//! walks it. Every node must walk it in exactly this order to materialise the
//! same fields, so the order is specified here, not left to a library.
//!
//! The walk is a depth-first descent from the CREATE: from each operation it
//! moves on to the smallest (by id) child not yet walked and puts the other
//! children on a stack, so the largest waiting child is taken up next. A merge
//! (an operation with several `previous`) is entered only when all of its
//! parents are walked; otherwise the descent stops there. An operation taken
//! from the stack is walked without that check, and may be walked twice; the
//! reference behaves so and the walk reproduces it.
//!
//! On some graphs of concurrent edits the reference gives up (its repeated
//! visits trip its cycle check). There Lineup walks the same way but causally:
//! each operation once, after all it builds on, so every document materialises.

use std::collections::HashMap;

use super::{OperationId, ReduceError};

/// How a walk treats an operation it takes from its stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WalkMode {
    /// As p2panda-rs: walk it, even twice or before its parents.
    Reference,
    /// Only once, and only after its parents.
    Causal,
}

/// A document's operations as a graph: who builds on whom.
#[derive(Debug)]
pub(crate) struct Graph {
    ids: Vec<OperationId>,
    previous: Vec<Vec<usize>>,
    /// Children of each node, sorted by id.
    next: Vec<Vec<usize>>,
    root: usize,
}

impl Graph {
    /// Builds the graph of operations given as `(id, previous ids)`.
    pub(crate) fn new<'a>(
        operations: impl ExactSizeIterator<Item = (OperationId, &'a [OperationId])>,
    ) -> Result<Self, ReduceError> {
        let mut ids = Vec::with_capacity(operations.len());
        let mut previous_ids = Vec::with_capacity(operations.len());
        for (id, previous) in operations {
            ids.push(id);
            previous_ids.push(previous);
        }
        let index: HashMap<OperationId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        if index.len() != ids.len() {
            return Err(ReduceError::DuplicateOperation);
        }
        let mut previous = vec![Vec::new(); ids.len()];
        let mut next = vec![Vec::new(); ids.len()];
        for (node, links) in previous_ids.iter().enumerate() {
            for link in links.iter() {
                match index.get(link) {
                    Some(&parent) if parent != node => {
                        previous[node].push(parent);
                        next[parent].push(node);
                    }
                    _ => return Err(ReduceError::UnknownPrevious(ids[node])),
                }
            }
        }
        for children in &mut next {
            children.sort_unstable_by_key(|&child| ids[child]);
        }
        let mut roots = (0..ids.len()).filter(|&node| previous[node].is_empty());
        let root = roots.next().ok_or(ReduceError::NoCreate)?;
        if roots.next().is_some() {
            return Err(ReduceError::MultipleCreates);
        }
        Ok(Self {
            ids,
            previous,
            next,
            root,
        })
    }

    /// The node ids that no operation builds on: the document's current view.
    pub(crate) fn tips(&self) -> impl Iterator<Item = OperationId> + '_ {
        (0..self.ids.len())
            .filter(|&node| self.next[node].is_empty())
            .map(|node| self.ids[node])
    }

    /// The order in which the operations are applied, as indices into the
    /// input: the reference's order wherever the reference gives one.
    pub(crate) fn walk(&self) -> Vec<usize> {
        self.walk_with_end().0
    }

    /// The walk, and the operation where an operation that builds on it alone
    /// simply extends the walk: the last one walked, if the walk is the
    /// reference's and walked it only once. (A new child of an operation walked
    /// earlier, or a graph walked causally, can change the whole order.)
    pub(crate) fn walk_with_end(&self) -> (Vec<usize>, Option<usize>) {
        match self.reference_walk() {
            Some(order) => {
                let end = order
                    .last()
                    .copied()
                    .filter(|last| order.iter().filter(|node| *node == last).count() == 1);
                (order, end)
            }
            None => (self.causal_walk(), None),
        }
    }

    /// The walk of p2panda-rs 0.9. `None` where the reference gives up: when
    /// repeated visits exceed the number of operations ("cycle detected") or a
    /// merge cannot be entered with nothing left on the stack.
    fn reference_walk(&self) -> Option<Vec<usize>> {
        self.descend(WalkMode::Reference)
    }

    /// The same descent, made causal: an operation is walked once, and only
    /// after everything it builds on. Lineup uses it where the reference walk
    /// gives up, so that every valid document materialises.
    fn causal_walk(&self) -> Vec<usize> {
        // A causal walk never gives up.
        self.descend(WalkMode::Causal).unwrap_or_default()
    }

    /// The depth-first descent both walks share; `mode` says what happens to
    /// an operation taken from the stack.
    fn descend(&self, mode: WalkMode) -> Option<Vec<usize>> {
        let count = self.ids.len();
        let mut walked = vec![false; count];
        let mut order = Vec::with_capacity(count);
        let mut stack = vec![self.root];
        let ready = |node: usize, walked: &[bool]| self.previous[node].iter().all(|&parent| walked[parent]);
        while let Some(mut current) = stack.pop() {
            match mode {
                // The reference walks whatever it pops, and gives up once it
                // has walked more than there is.
                WalkMode::Reference if order.len() > count => return None,
                // Causally, an operation walked already, or not ready yet, is
                // taken up again when its last parent is walked.
                WalkMode::Causal if walked[current] || !ready(current, &walked) => continue,
                _ => {}
            }
            walked[current] = true;
            order.push(current);
            loop {
                let waiting: Vec<usize> = self.next[current]
                    .iter()
                    .copied()
                    .filter(|&child| !walked[child])
                    .collect();
                let Some((&next, others)) = waiting.split_first() else {
                    break;
                };
                stack.extend_from_slice(others);
                if self.previous[next].len() > 1 {
                    // A merge is entered from the stack, once all its parents are walked.
                    if ready(next, &walked) {
                        stack.push(next);
                    } else if mode == WalkMode::Reference && stack.is_empty() {
                        return None;
                    }
                    break;
                }
                walked[next] = true;
                order.push(next);
                current = next;
            }
        }
        Some(order)
    }

    /// The subgraph of `tips` and everything they build on: a document's history
    /// up to the view `tips`. Fails with the first tip that is not in the graph.
    pub(crate) fn ancestors(&self, tips: &[OperationId]) -> Result<Vec<bool>, OperationId> {
        let mut keep = vec![false; self.ids.len()];
        let mut stack = Vec::with_capacity(tips.len());
        for tip in tips {
            stack.push(self.ids.iter().position(|id| id == tip).ok_or(*tip)?);
        }
        while let Some(node) = stack.pop() {
            if !keep[node] {
                keep[node] = true;
                stack.extend_from_slice(&self.previous[node]);
            }
        }
        Ok(keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hash;

    /// Operation ids whose order is their index: ids are sorted by hash, so the
    /// test sorts a batch of hashes and hands them out in order.
    fn ordered_ids(count: usize) -> Vec<OperationId> {
        let mut ids: Vec<OperationId> = (0..count).map(|i| OperationId(Hash::of(&[i as u8]))).collect();
        ids.sort();
        ids
    }

    fn walk(links: &[&[usize]]) -> Result<Vec<usize>, ReduceError> {
        walk_graph(links).map(|graph| graph.walk())
    }

    fn walk_graph(links: &[&[usize]]) -> Result<Graph, ReduceError> {
        let ids = ordered_ids(links.len());
        let previous: Vec<Vec<OperationId>> = links
            .iter()
            .map(|parents| parents.iter().map(|&p| ids[p]).collect())
            .collect();
        Graph::new(ids.iter().copied().zip(previous.iter().map(Vec::as_slice)))
    }

    #[test]
    fn walks_a_chain_in_order() {
        assert_eq!(walk(&[&[], &[0], &[1], &[2]]).unwrap(), [0, 1, 2, 3]);
    }

    #[test]
    fn takes_the_smallest_branch_first_then_the_largest_waiting() {
        // 0 has children 1, 2, 3: after the branch through 1, the stack holds
        // 2 then 3, so 3 comes before 2.
        assert_eq!(walk(&[&[], &[0], &[0], &[0]]).unwrap(), [0, 1, 3, 2]);
    }

    #[test]
    fn enters_a_merge_once_all_parents_are_walked() {
        // 0 -> 1 -> 3, 0 -> 2 -> 3 (merge)
        assert_eq!(walk(&[&[], &[0], &[0], &[1, 2]]).unwrap(), [0, 1, 2, 3]);
    }

    #[test]
    fn walks_an_operation_twice_where_the_reference_does() {
        // 2 builds on 0 and 1: it waits on the stack as 0's second child and is
        // entered again from 1, then popped and applied a second time.
        let graph = walk_graph(&[&[], &[0], &[0, 1], &[2]]).unwrap();
        assert_eq!(graph.walk(), [0, 1, 2, 3, 2]);
    }

    #[test]
    fn falls_back_to_a_causal_walk_where_the_reference_gives_up() {
        let links: &[&[usize]] = &[&[], &[0], &[0, 1], &[0, 1], &[3], &[4], &[5]];
        let graph = walk_graph(links).unwrap();
        assert_eq!(graph.reference_walk(), None);
        assert_eq!(graph.walk(), [0, 1, 2, 3, 4, 5, 6]);
    }

    proptest::proptest! {
        #[test]
        fn the_causal_walk_applies_each_operation_once_after_its_parents(
            masks in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..30),
        ) {
            let links: Vec<Vec<usize>> = std::iter::once(vec![])
                .chain(masks.iter().enumerate().map(|(index, mask)| {
                    let node = index + 1;
                    let parents: Vec<usize> =
                        (0..node.min(8)).filter(|bit| mask & (1 << bit) != 0).map(|bit| node - 1 - bit).collect();
                    if parents.is_empty() { vec![node - 1] } else { parents }
                }))
                .collect();
            let refs: Vec<&[usize]> = links.iter().map(Vec::as_slice).collect();
            let order = walk_graph(&refs).unwrap().causal_walk();
            let mut seen = vec![false; links.len()];
            for &node in &order {
                proptest::prop_assert!(links[node].iter().all(|&parent| seen[parent]));
                proptest::prop_assert!(!seen[node]);
                seen[node] = true;
            }
            proptest::prop_assert!(seen.iter().all(|&walked| walked));
        }
    }

    #[test]
    fn rejects_graphs_that_are_not_one_document() {
        assert_eq!(walk(&[&[], &[]]).unwrap_err(), ReduceError::MultipleCreates);
        assert_eq!(walk(&[&[1], &[0]]).unwrap_err(), ReduceError::NoCreate);
        assert!(matches!(
            walk(&[&[], &[1]]).unwrap_err(),
            ReduceError::UnknownPrevious(_)
        ));
    }

    #[test]
    fn ancestors_stop_at_the_given_tips() {
        let ids = ordered_ids(4);
        let previous = [vec![], vec![ids[0]], vec![ids[0]], vec![ids[1], ids[2]]];
        let graph = Graph::new(ids.iter().copied().zip(previous.iter().map(Vec::as_slice))).unwrap();
        assert_eq!(graph.ancestors(&[ids[1]]).unwrap(), [true, true, false, false]);
        assert_eq!(
            graph.ancestors(&[ids[1], ids[2]]).unwrap(),
            [true, true, true, false]
        );
        let elsewhere = OperationId(Hash::of(b"elsewhere"));
        assert_eq!(graph.ancestors(&[ids[1], elsewhere]), Err(elsewhere));
    }
}
