// SPDX-License-Identifier: GPL-2.0

//! The move path: `do_pages_move()` and the steps it is made of.
//!
//! Consecutive entries with the same target node are isolated onto one [`FolioList`] and moved
//! with one `migrate_pages()` call; the batch is flushed when the node changes, when an entry
//! fails or is already on its node, and at the end. The return value and the status-writing
//! rules are upstream's, including the positive count of pages not migrated.

use crate::{
    mm_core::{
        self,
        BatchLog,
        FolioList,
        FolioWalk,
        Isolation,
        LruCache,
        MigrateOutcome,
        NodeMask,
        NUMA_NO_NODE, //
    },
    symbols::Symbols,
    user::{
        IntArray,
        PagesArray, //
    },
};
use kernel::{
    mm::MmWithUser,
    prelude::*, //
};
use pin_init::stack_pin_init;

/// What the extensions keep of a queued page: the batch's log, and the page's frame number.
pub(crate) struct Track<'a> {
    pub(crate) log: &'a mut BatchLog,
    pub(crate) pfn: u64,
}

/// `__add_folio_for_migration()`: 1 if queued, 0 if already on `node`, else a negative errno.
fn add_folio(
    walk: &FolioWalk<'_>,
    syms: &Symbols,
    node: c_int,
    list: Pin<&FolioList>,
    all: bool,
    track: Option<&mut Track<'_>>,
) -> c_int {
    let folio = walk.folio();
    let info = folio.info(syms);
    if info.zero {
        return EFAULT.to_errno();
    }
    if info.zone_device {
        return ENOENT.to_errno();
    }
    if info.nid == node {
        return 0;
    }
    if folio.maybe_mapped_shared() && !all {
        return EACCES.to_errno();
    }
    match list.isolate(walk) {
        Isolation::Queued => {
            if let Some(track) = track {
                track.log.queued(folio);
                track.pfn = walk.pfn();
            }
            1
        }
        Isolation::Busy => EBUSY.to_errno(),
    }
}

/// `add_folio_for_migration()`: finds the folio at user address `p` and queues it; with
/// `track`, records the queued folio in the log and the page's frame number.
pub(crate) fn add_folio_for_migration(
    syms: &'static Symbols,
    mm: &MmWithUser,
    p: usize,
    node: c_int,
    list: Pin<&FolioList>,
    all: bool,
    track: Option<&mut Track<'_>>,
) -> c_int {
    let guard = mm.mmap_read_lock();
    let addr = mm_core::untagged_addr_remote(mm, p);
    let Some(vma) = guard.vma_lookup(addr) else {
        return EFAULT.to_errno();
    };
    if !mm_core::vma_migratable(syms, vma) {
        return EFAULT.to_errno();
    }
    let ret = match FolioWalk::start(syms, vma, addr) {
        Some(walk) => add_folio(&walk, syms, node, list, all, track),
        None => ENOENT.to_errno(),
    };
    ret
}

/// [`add_folio_for_migration`], with upstream's `lru_cache_disable()` done on first need: when
/// the isolation fails (the folio may sit in a per-CPU LRU batch, off the LRU), the caches are
/// drained and disabled, as upstream has them from the start, and the entry is looked up again.
#[expect(clippy::too_many_arguments)]
pub(crate) fn add_folio_draining(
    syms: &'static Symbols,
    mm: &MmWithUser,
    p: usize,
    node: c_int,
    list: Pin<&FolioList>,
    all: bool,
    lru: &LruCache,
    mut track: Option<&mut Track<'_>>,
) -> c_int {
    let err = add_folio_for_migration(syms, mm, p, node, list, all, track.as_deref_mut());
    if err == EBUSY.to_errno() && lru.disable() {
        return add_folio_for_migration(syms, mm, p, node, list, all, track);
    }
    err
}

/// `move_pages_and_store_status()`: moves the batch `[start, i)` to `node`; on success writes
/// `node` to its status slots, on partial failure returns the number of pages not migrated
/// including the `nr_pages - i` not attempted.
fn move_and_store(
    list: Pin<&FolioList>,
    lru: &LruCache,
    node: c_int,
    status: IntArray,
    start: usize,
    i: usize,
    nr_pages: u64,
) -> c_int {
    if list.is_empty() {
        return 0;
    }
    match list.migrate_to(node, lru) {
        MigrateOutcome::Done => match status.fill(start, node, i - start) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        },
        // Upstream adds an `unsigned long` to an `int`: keep its truncation.
        MigrateOutcome::NotMigrated(n) => {
            (n as u64).wrapping_add(nr_pages.wrapping_sub(i as u64)) as c_int
        }
        MigrateOutcome::Failed(e) => e.to_errno(),
    }
}

/// `do_pages_move()`: moves each page to its node and fills `status`.
#[expect(clippy::too_many_arguments)]
pub(crate) fn do_pages_move(
    syms: &'static Symbols,
    mm: &MmWithUser,
    task_nodes: &NodeMask,
    nr_pages: u64,
    pages: PagesArray,
    nodes: IntArray,
    status: IntArray,
    all: bool,
) -> c_int {
    // Upstream's `lru_cache_disable()` happens on first need (see `LruCache`).
    let lru = LruCache::new(syms);
    stack_pin_init!(let list = FolioList::new(syms));
    let list = list.as_ref();
    let mut current_node = NUMA_NO_NODE;
    let mut start = 0usize;
    let mut i = 0usize;
    let mut err: c_int = 0;

    // Breaking out of this block is upstream's `goto out_flush`; returning is `goto out`.
    'flush: {
        while (i as u64) < nr_pages {
            err = EFAULT.to_errno();
            let Ok(p) = pages.get(i) else {
                break 'flush;
            };
            let Ok(node) = nodes.get(i) else {
                break 'flush;
            };

            err = ENODEV.to_errno();
            if !mm_core::node_has_memory(node) {
                break 'flush;
            }
            err = EACCES.to_errno();
            if !task_nodes.contains(node) {
                break 'flush;
            }

            if current_node == NUMA_NO_NODE {
                current_node = node;
                start = i;
            } else if node != current_node {
                err = move_and_store(list, &lru, current_node, status, start, i, nr_pages);
                if err != 0 {
                    return err;
                }
                start = i;
                current_node = node;
            }

            // Errors in the lookup or isolation are not fatal: they go to the status slot.
            err = add_folio_draining(syms, mm, p, current_node, list, all, &lru, None);
            if err > 0 {
                // Queued for migration.
                i += 1;
                continue;
            }

            // Already on the target node (0): store the node, else the error.
            err = match status.put(i, if err != 0 { err } else { current_node }) {
                Ok(()) => 0,
                Err(e) => e.to_errno(),
            };
            if err != 0 {
                break 'flush;
            }
            err = move_and_store(list, &lru, current_node, status, start, i, nr_pages);
            if err != 0 {
                // Page `i` has been accounted for.
                return if err > 0 { err - 1 } else { err };
            }
            current_node = NUMA_NO_NODE;
            i += 1;
        }
    }
    // Do not overwrite an existing error.
    let err1 = move_and_store(list, &lru, current_node, status, start, i, nr_pages);
    if err >= 0 {
        err1
    } else {
        err
    }
}
