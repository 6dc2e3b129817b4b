// SPDX-License-Identifier: GPL-2.0

//! NUMA node ids and node sets, as a request checks them.

use crate::ffi;
use kernel::{
    bindings,
    prelude::*, //
};

/// `NUMA_NO_NODE`.
pub(crate) const NUMA_NO_NODE: c_int = -1;

/// `MAX_NUMNODES` of the running kernel.
pub(crate) const MAX_NUMNODES: c_int = bindings::MAX_NUMNODES as c_int;

/// Whether `node` is a node id the kernel's node masks can hold: `node_state()` and
/// `node_isset()` are only evaluated for these.
pub(crate) fn in_range(node: c_int) -> bool {
    (0..MAX_NUMNODES).contains(&node)
}

/// Returns whether `node` is a valid node id with memory (`node_state(node, N_MEMORY)`).
pub(crate) fn has_memory(node: c_int) -> bool {
    // SAFETY: `node_state` is only evaluated for a node id in range.
    in_range(node) && unsafe { ffi::mp_node_has_memory(node) }
}

/// A set of NUMA nodes (`nodemask_t`).
#[derive(Clone, Copy)]
pub(crate) struct NodeMask(bindings::nodemask_t);

impl NodeMask {
    /// The set `mask`.
    pub(crate) fn from_raw(mask: bindings::nodemask_t) -> Self {
        Self(mask)
    }

    /// Returns whether `node` is in the set (`node_isset`); a node id out of range is not.
    pub(crate) fn contains(&self, node: c_int) -> bool {
        if !in_range(node) {
            return false;
        }
        let node = node as usize;
        let bits = c_ulong::BITS as usize;
        self.0
            .bits
            .get(node / bits)
            .is_some_and(|word| word & (1 << (node % bits)) != 0)
    }

    /// Returns whether every node with memory is in the set.
    pub(crate) fn holds_every_memory_node(&self) -> bool {
        (0..MAX_NUMNODES).all(|node| !has_memory(node) || self.contains(node))
    }
}

#[kunit_tests(move_pages_node)]
mod tests {
    use super::*;

    fn mask_of(nodes: &[c_int]) -> NodeMask {
        let mut raw = bindings::nodemask_t::default();
        let bits = c_ulong::BITS as usize;
        for &n in nodes {
            raw.bits[n as usize / bits] |= 1 << (n as usize % bits);
        }
        NodeMask::from_raw(raw)
    }

    #[test]
    fn mask_holds_exactly_its_nodes() {
        let mask = mask_of(&[0, 2, MAX_NUMNODES - 1]);
        assert!(mask.contains(0));
        assert!(!mask.contains(1));
        assert!(mask.contains(2));
        assert!(mask.contains(MAX_NUMNODES - 1));
        assert!(!mask_of(&[]).contains(0));
    }

    #[test]
    fn out_of_range_ids_are_in_no_mask() {
        let mut raw = bindings::nodemask_t::default();
        raw.bits.iter_mut().for_each(|w| *w = c_ulong::MAX);
        let mask = NodeMask::from_raw(raw);
        for node in [
            NUMA_NO_NODE,
            c_int::MIN,
            MAX_NUMNODES,
            MAX_NUMNODES + 1,
            c_int::MAX,
        ] {
            assert!(!in_range(node));
            assert!(!mask.contains(node));
            assert!(!has_memory(node));
        }
    }

    #[test]
    fn some_node_has_memory() {
        // A running kernel has memory on at least one node.
        assert!((0..MAX_NUMNODES).any(has_memory));
    }
}
