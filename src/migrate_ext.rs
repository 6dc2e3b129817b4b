// SPDX-License-Identifier: GPL-2.0

//! The move path with the opt-in extensions of the ioctl (`ext_flags`).
//!
//! - [`EXT_GROUP_BY_NODE`]: the entries are taken in windows of [`WINDOW`]; in each window, all
//!   the entries with the same target node form one batch, in the order their node first
//!   appears, instead of one batch per run of equal consecutive targets. Interleaved targets
//!   then cost one `migrate_pages()` call per node and window, not one per entry.
//! - [`EXT_EXACT_STATUS`]: every slot of a migrated batch is written, with the node for a page
//!   that moved and the reason for one that did not: `-ENOMEM` (its destination could not be
//!   allocated), `-EBUSY` (it had a destination but the migration core gave up on it, e.g.
//!   extra references or writeback), `-EAGAIN` (the core aborted the batch before it). A failed
//!   batch does not end the request, and the return value is the number of pages that did not
//!   move for one of these reasons (0 if every queued page moved).
//!
//! Everything else is upstream's, entry by entry: the checks of each entry and their order
//! (`-EFAULT` for an unreadable entry, `nodes[i]` not read when `pages[i]` cannot be, `-ENODEV`,
//! `-EACCES`), which end the request after the entries before it are moved, with that error
//! even when the last batch flushed before it fails (upstream's `out_flush`); the per-page
//! statuses of the lookup and isolation (`-EFAULT`, `-ENOENT`, `-EACCES`, `-EBUSY`, or the
//! node for a page already there). Without
//! [`EXT_EXACT_STATUS`], a batch the core fails gives upstream's answers: its slots are left
//! unwritten and the request returns the error or the number of pages not migrated, counting
//! the entries not looked at yet.
//!
//! The one rule of their own about user memory: the `pages` and `nodes` entries of a window are
//! all read (up to the first that fails its checks) before any of them is looked up or any of
//! its statuses is written. A status write that changes a later entry of the same window, or
//! the page it points to, is not seen by that entry, where upstream, which reads entry `i + 1`
//! after writing the status of entry `i`, would see it.

use crate::{
    migrate::{
        self,
        Track, //
    },
    mm_core::{
        self,
        BatchLog,
        FolioList,
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

/// `MOVE_PAGES_EXT_GROUP_BY_NODE`.
pub(crate) const EXT_GROUP_BY_NODE: u32 = 1 << 0;
/// `MOVE_PAGES_EXT_EXACT_STATUS`.
pub(crate) const EXT_EXACT_STATUS: u32 = 1 << 1;

/// Entries read and grouped at a time: bounds the memory a request takes (16 bytes each for the
/// entries, 24 for the log of a batch) whatever its `nr_pages`.
pub(crate) const WINDOW: usize = 1024;

/// An entry of the window: its user address and target node, or [`NUMA_NO_NODE`] once handled.
struct Entry {
    addr: usize,
    node: c_int,
}

/// The state of one request: where its statuses go and how far it got.
struct Mover<'a> {
    syms: &'static Symbols,
    mm: &'a MmWithUser,
    status: IntArray,
    all: bool,
    exact: bool,
    lru: LruCache,
    log: BatchLog,
    /// `(entry index, page frame number)` of each page queued in the current batch.
    queued: KVec<(usize, u64)>,
    /// Entries looked at so far (status written, or queued in a batch).
    seen: u64,
    /// With [`EXT_EXACT_STATUS`]: pages that did not move.
    not_moved: c_int,
}

/// How a batch ended, for the request.
enum Flushed {
    /// Go on.
    Continue,
    /// End the request with this value (a count of pages not migrated or a negative errno).
    End(c_int),
}

impl Mover<'_> {
    /// Looks up entry `i` and queues its folio for `node` on `list`, or writes its status.
    fn add(&mut self, list: Pin<&FolioList>, i: usize, addr: usize, node: c_int) -> Result {
        let mut track = Track {
            log: &mut self.log,
            pfn: 0,
        };
        let err = migrate::add_folio_draining(
            self.syms,
            self.mm,
            addr,
            node,
            list,
            self.all,
            &self.lru,
            Some(&mut track),
        );
        let pfn = track.pfn;
        self.seen += 1;
        if err > 0 {
            self.queued.push((i, pfn), GFP_KERNEL)?;
            return Ok(());
        }
        self.status.put(i, if err != 0 { err } else { node })
    }

    /// Migrates the current batch to `node` and writes its statuses.
    fn flush(&mut self, list: Pin<&FolioList>, node: c_int, nr_pages: u64) -> Flushed {
        if list.is_empty() {
            self.log.clear();
            self.queued.clear();
            return Flushed::Continue;
        }
        let outcome = if self.exact {
            list.migrate_to_logged(node, &self.lru, &mut self.log)
        } else {
            list.migrate_to(node, &self.lru)
        };
        let mut ret = Flushed::Continue;
        if self.exact && !self.log.known() {
            // The pages that did not move could not be listed: no exact answer to give.
            ret = Flushed::End(match outcome {
                MigrateOutcome::Failed(e) => e.to_errno(),
                _ => ENOMEM.to_errno(),
            });
        } else if self.exact {
            for &(i, pfn) in self.queued.iter() {
                let value = match self.log.fate(pfn) {
                    None => node,
                    Some(e) => {
                        self.not_moved += 1;
                        e.to_errno()
                    }
                };
                if let Err(e) = self.status.put(i, value) {
                    ret = Flushed::End(e.to_errno());
                    break;
                }
            }
        } else {
            ret = match outcome {
                MigrateOutcome::Done => self
                    .queued
                    .iter()
                    .find_map(|&(i, _)| self.status.put(i, node).err())
                    .map_or(Flushed::Continue, |e| Flushed::End(e.to_errno())),
                // As upstream: the batch's slots stay unwritten, and the count includes the
                // entries not looked at yet.
                MigrateOutcome::NotMigrated(n) => {
                    Flushed::End((n as u64).wrapping_add(nr_pages - self.seen) as c_int)
                }
                MigrateOutcome::Failed(e) => Flushed::End(e.to_errno()),
            };
        }
        self.log.clear();
        self.queued.clear();
        ret
    }
}

/// Whether every entry of `window` from `first` on has been handled: the batch just flushed was
/// the window's last, the one upstream flushes at `out_flush` after an entry error.
fn last_batch(window: &[Entry], first: usize) -> bool {
    window[first..].iter().all(|e| e.node == NUMA_NO_NODE)
}

/// `do_pages_move()` with the extensions `ext` (see the module documentation).
#[expect(clippy::too_many_arguments)]
pub(crate) fn do_pages_move_ext(
    syms: &'static Symbols,
    mm: &MmWithUser,
    task_nodes: &NodeMask,
    nr_pages: u64,
    pages: PagesArray,
    nodes: IntArray,
    status: IntArray,
    all: bool,
    ext: u32,
) -> c_int {
    let group = ext & EXT_GROUP_BY_NODE != 0;
    let (mut window, log, queued) = match (
        KVec::<Entry>::with_capacity(WINDOW, GFP_KERNEL),
        BatchLog::with_capacity(WINDOW),
        KVec::with_capacity(WINDOW, GFP_KERNEL),
    ) {
        (Ok(w), Ok(l), Ok(q)) => (w, l, q),
        _ => return ENOMEM.to_errno(),
    };
    let mut mover = Mover {
        syms,
        mm,
        status,
        all,
        exact: ext & EXT_EXACT_STATUS != 0,
        lru: LruCache::new(syms),
        log,
        queued,
        seen: 0,
        not_moved: 0,
    };
    stack_pin_init!(let list = FolioList::new(syms));
    let list = list.as_ref();

    let mut base = 0usize;
    while (base as u64) < nr_pages {
        let n = (nr_pages - base as u64).min(WINDOW as u64) as usize;
        // Read and check the window's entries as upstream does, one by one; an entry that
        // fails ends the request once the entries before it are moved.
        window.clear();
        let mut end = 0;
        for i in base..base + n {
            // As upstream: `nodes[i]` is not read when `pages[i]` cannot be.
            let Ok(addr) = pages.get(i) else {
                end = EFAULT.to_errno();
                break;
            };
            let Ok(node) = nodes.get(i) else {
                end = EFAULT.to_errno();
                break;
            };
            if !mm_core::node_has_memory(node) {
                end = ENODEV.to_errno();
                break;
            }
            if !task_nodes.contains(node) {
                end = EACCES.to_errno();
                break;
            }
            if window.push(Entry { addr, node }, GFP_KERNEL).is_err() {
                end = ENOMEM.to_errno();
                break;
            }
        }

        // Batches: each node in the order it first appears with all its entries (grouped),
        // or each run of consecutive entries with the same node.
        let mut first = 0;
        while first < window.len() {
            let node = window[first].node;
            if node == NUMA_NO_NODE {
                first += 1;
                continue;
            }
            let mut k = first;
            while k < window.len() {
                let e = &window[k];
                if e.node == node {
                    let addr = e.addr;
                    window[k].node = NUMA_NO_NODE;
                    if let Err(e) = mover.add(list, base + k, addr, node) {
                        // The status slot could not be written: as upstream, move what is
                        // queued and end with the error.
                        let _ = mover.flush(list, node, nr_pages);
                        return e.to_errno();
                    }
                } else if !group && e.node != NUMA_NO_NODE {
                    break;
                }
                k += 1;
            }
            match mover.flush(list, node, nr_pages) {
                Flushed::Continue => (),
                // Upstream's `out_flush`: the entry error that ended the window wins over the
                // result of the window's last batch; an earlier batch's result is returned as
                // upstream returns it on a change of node, before it reads the failing entry.
                Flushed::End(_) if end < 0 && last_batch(&window, first) => return end,
                Flushed::End(ret) => return ret,
            }
            first += 1;
        }
        if end != 0 {
            return end;
        }
        base += n;
    }
    mover.not_moved
}
