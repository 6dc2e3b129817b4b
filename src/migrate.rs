// SPDX-License-Identifier: GPL-2.0

//! The move path: `do_pages_move()`, with or without the ioctl's extensions, in one walk.
//!
//! One walk of the entries serves every [`Policy`]: read `pages[i]` and `nodes[i]`, check the
//! node, look the page up and isolate it onto the batch of its node, migrate the batch with one
//! `migrate_pages()` call, write the statuses. The policies differ only in how many entries are
//! read before the first is looked up, in which order a window's entries are taken, where a
//! batch ends, and how a batch the core failed in part is reported.
//!
//! # Upstream's order (`Policy::UPSTREAM`, `ext_flags == 0`)
//!
//! Entry `i + 1` is read after the status of entry `i` is written. Consecutive entries with the
//! same target node are isolated onto one [`FolioList`]; the batch is migrated when the node
//! changes, when an entry is not queued (already on its node, or failed: its status is written
//! first), and at the end. The return value is upstream's, including the positive count of pages
//! not migrated, which counts the entries not looked at yet.
//!
//! An entry that fails its checks (`-EFAULT` for an unreadable `pages[i]`, `nodes[i]` not read
//! then, `-EFAULT`, `-ENODEV`, `-EACCES`, in that order) ends the request with that error after
//! the batch before it is migrated: upstream's `goto out_flush`, where the entry's error wins
//! over the batch's result. A batch migrated on a change of node, or after an entry not queued,
//! ends the request with its result at once when it fails (`goto out`).
//!
//! # The extensions (`ext_flags`)
//!
//! - `MOVE_PAGES_EXT_GROUP_BY_NODE`: the entries are read [`WINDOW`] at a time; in each window,
//!   all the entries with the same target node form one batch, in the order their node first
//!   appears, instead of one batch per run of equal consecutive targets. Interleaved targets
//!   then cost one `migrate_pages()` call per node and window, not one per entry.
//! - `MOVE_PAGES_EXT_EXACT_STATUS`: every slot of a migrated batch is written, with the node for a
//!   page that moved and the reason for one that did not ([`crate::exact::Fate`]). A failed
//!   batch does not end the request, and the return value is the number of pages that did not
//!   move (0 if every queued page moved).
//!
//! With either, a window's entries are all read (up to the first that fails its checks) before
//! any of them is looked up or any of its statuses is written, batches end with their window, and
//! an entry that is not queued does not end its batch. Everything else is upstream's, entry by
//! entry: the checks and their order, the `out_flush` rule, the per-page statuses of the lookup
//! and isolation. Without `MOVE_PAGES_EXT_EXACT_STATUS`, a batch the core fails gives upstream's
//! answers: its slots are left unwritten and the request returns the error or the number of pages
//! not migrated, counting the entries not looked at yet.

use crate::{
    exact::BatchLog,
    folio::{
        self,
        FolioWalk, //
    },
    isolate::{
        FolioList,
        Isolation,
        LruCache,
        MigrateOutcome, //
    },
    node::{
        self,
        NodeMask,
        NUMA_NO_NODE, //
    },
    symbols::Symbols,
    uapi,
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

/// Entries the extensions read and group at a time (`MOVE_PAGES_EXT_WINDOW`): bounds the memory
/// a request takes (16 bytes each for the entries, 16 for the batch, 24 for the log of a batch)
/// whatever its `nr_pages`.
pub(crate) const WINDOW: usize = uapi::EXT_WINDOW;

/// The address space whose pages a request moves, and how.
#[derive(Clone, Copy)]
pub(crate) struct Space<'a> {
    pub(crate) syms: &'static Symbols,
    /// The target's address space.
    pub(crate) mm: &'a MmWithUser,
    /// `MPOL_MF_MOVE_ALL`: shared pages move too.
    pub(crate) all: bool,
}

/// A move request: its arguments and its target, as the engine reads them.
pub(crate) struct MoveRequest<'a> {
    pub(crate) space: Space<'a>,
    /// The nodes the target's cpuset allows.
    pub(crate) task_nodes: &'a NodeMask,
    pub(crate) nr_pages: u64,
    pub(crate) pages: PagesArray,
    pub(crate) nodes: IntArray,
    pub(crate) status: IntArray,
}

/// How a request moves its pages: upstream's way or with the extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Entries read and checked before the first of them is looked up.
    window: usize,
    /// A window's entries are taken node by node, in the order each node first appears.
    group: bool,
    /// Every page of a batch gets its true status, and a failed batch does not end the request.
    exact: bool,
    /// Upstream's batches: an entry that is not queued ends its batch, and batches do not end
    /// with their window. Their entries are consecutive.
    upstream_batches: bool,
}

impl Policy {
    /// `do_pages_move()` of Linux 7.3.
    pub(crate) const UPSTREAM: Self = Self {
        window: 1,
        group: false,
        exact: false,
        upstream_batches: true,
    };

    /// The policy of the extension flags `ext` (known flags only; 0 is [`Self::UPSTREAM`]).
    /// `MOVE_PAGES_EXT_PARALLEL` implies the exact statuses; how the entries are shared among
    /// threads is [`crate::parallel`]'s.
    pub(crate) fn from_ext(ext: u32) -> Self {
        if ext == 0 {
            return Self::UPSTREAM;
        }
        Self {
            window: WINDOW,
            group: ext & uapi::EXT_GROUP_BY_NODE != 0,
            exact: ext & (uapi::EXT_EXACT_STATUS | uapi::EXT_PARALLEL) != 0,
            upstream_batches: false,
        }
    }
}

/// How a move request ends: `do_pages_move()`'s return value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Moved {
    /// The number of pages not migrated, an `int` as upstream computes it (it may have wrapped:
    /// see [`crate::request::syscall_return`]).
    Count(c_int),
    /// An error.
    Error(Error),
}

/// A page queued for migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Queued {
    /// The page frame number of the page at the entry's address.
    pub(crate) pfn: u64,
    /// The first page frame number of its folio, and the folio's size in pages.
    pub(crate) folio: (u64, u64),
}

/// What the lookup of one entry did: `__add_folio_for_migration()`'s 1, 0 or `-errno`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// The folio is isolated on the batch.
    Queued(Queued),
    /// The page is already on the target node.
    OnNode,
    /// The page cannot be moved: `-EFAULT` (no vma, a vma that cannot migrate, a zero page),
    /// `-ENOENT` (nothing mapped, device memory), `-EACCES` (shared, without
    /// `MPOL_MF_MOVE_ALL`), `-EBUSY` (not isolated).
    Failed(Error),
}

impl Added {
    /// The status slot of an entry for `node` that was not queued; `None` for a queued one (its
    /// status is the batch's).
    pub(crate) fn status(self, node: c_int) -> Option<c_int> {
        match self {
            Added::Queued(_) => None,
            Added::OnNode => Some(node),
            Added::Failed(e) => Some(e.to_errno()),
        }
    }
}

/// `__add_folio_for_migration()`.
fn add_folio(space: &Space<'_>, walk: &FolioWalk<'_>, node: c_int, list: Pin<&FolioList>) -> Added {
    let folio = walk.folio();
    let info = folio.info(space.syms);
    if info.zero {
        return Added::Failed(EFAULT);
    }
    if info.zone_device {
        return Added::Failed(ENOENT);
    }
    if info.nid == node {
        return Added::OnNode;
    }
    if folio.maybe_mapped_shared() && !space.all {
        return Added::Failed(EACCES);
    }
    match list.isolate(walk) {
        Isolation::Queued => Added::Queued(Queued {
            pfn: walk.pfn(),
            folio: (folio.pfn(), folio.nr_pages()),
        }),
        Isolation::Busy => Added::Failed(EBUSY),
    }
}

/// `add_folio_for_migration()`: finds the folio at user address `p` and queues it for `node`.
fn add_folio_for_migration(
    space: &Space<'_>,
    p: usize,
    node: c_int,
    list: Pin<&FolioList>,
) -> Added {
    let guard = space.mm.mmap_read_lock();
    let addr = folio::untagged_addr_remote(space.mm, p);
    let Some(vma) = guard.vma_lookup(addr) else {
        return Added::Failed(EFAULT);
    };
    if !folio::vma_migratable(space.syms, vma) {
        return Added::Failed(EFAULT);
    }
    let added = match FolioWalk::start(space.syms, vma, addr) {
        Some(walk) => add_folio(space, &walk, node, list),
        None => Added::Failed(ENOENT),
    };
    added
}

/// The number of base pages and the node of the folio mapped at user address `p`, if there is
/// one: what moving the page at `p` is likely to cost and where from, for sharing a request
/// among threads.
pub(crate) fn folio_at(space: &Space<'_>, p: usize) -> Option<(u64, c_int)> {
    let guard = space.mm.mmap_read_lock();
    let addr = folio::untagged_addr_remote(space.mm, p);
    let found = guard
        .vma_lookup(addr)
        .and_then(|vma| FolioWalk::start(space.syms, vma, addr))
        .map(|walk| (walk.folio().nr_pages(), walk.folio().info(space.syms).nid));
    found
}

/// [`add_folio_for_migration`], with upstream's `lru_cache_disable()` done on first need: when
/// the isolation fails (the folio may sit in a per-CPU LRU batch, off the LRU), the caches are
/// drained and disabled, as upstream has them from the start, and the entry is looked up again.
fn add_folio_draining(
    space: &Space<'_>,
    p: usize,
    node: c_int,
    list: Pin<&FolioList>,
    lru: &LruCache,
) -> Added {
    let added = add_folio_for_migration(space, p, node, list);
    if added == Added::Failed(EBUSY) && lru.disable() {
        return add_folio_for_migration(space, p, node, list);
    }
    added
}

/// An entry read and checked: its user address, target node and place in its window.
///
/// 16 bytes: a window's entries are allocated before the request's first page, and the page
/// allocations a request makes up front are part of what it costs under memory pressure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) addr: usize,
    pub(crate) node: c_int,
    /// The entry's index minus its window's first (in a slice of a parallel request: its index
    /// in the slice).
    pub(crate) slot: u32,
}

const _: () = assert!(core::mem::size_of::<Entry>() <= 16);

impl Entry {
    pub(crate) const EMPTY: Self = Self {
        addr: 0,
        node: NUMA_NO_NODE,
        slot: 0,
    };
}

/// Upstream's checks of entry `i`, in its order: `pages[i]` is read (`-EFAULT`), then
/// `nodes[i]` (`-EFAULT`), the node must have memory (`-ENODEV`) and be in the target's cpuset
/// (`-EACCES`).
pub(crate) fn read_entry(req: &MoveRequest<'_>, i: usize, slot: u32) -> Result<Entry> {
    let addr = req.pages.get(i).map_err(|_| EFAULT)?;
    let node = req.nodes.get(i).map_err(|_| EFAULT)?;
    check_entry(req, addr, node, slot)
}

/// The checks of [`read_entry`] on an entry already read: `addr` and `node` from the arrays.
pub(crate) fn check_entry(
    req: &MoveRequest<'_>,
    addr: usize,
    node: c_int,
    slot: u32,
) -> Result<Entry> {
    if !node::has_memory(node) {
        return Err(ENODEV);
    }
    if !req.task_nodes.contains(node) {
        return Err(EACCES);
    }
    Ok(Entry { addr, node, slot })
}

/// The entries of a window in the order they are taken: with `group`, node by node in the order
/// each node first appears, each node's entries in their order; else as they are. Each entry
/// taken is marked in the window (its node set to [`NUMA_NO_NODE`]).
struct BatchOrder<'w> {
    window: &'w mut [Entry],
    group: bool,
    /// The first entry not taken yet (without `group`: the next entry).
    first: usize,
    /// With `group`: the node whose entries are being taken, and where the search for its next
    /// entry goes on.
    node: Option<(c_int, usize)>,
}

impl<'w> BatchOrder<'w> {
    fn new(window: &'w mut [Entry], group: bool) -> Self {
        Self {
            window,
            group,
            first: 0,
            node: None,
        }
    }
}

impl Iterator for BatchOrder<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        if !self.group {
            let e = *self.window.get(self.first)?;
            self.first += 1;
            return Some(e);
        }
        loop {
            if let Some((node, next)) = self.node.as_mut() {
                while let Some(e) = self.window.get_mut(*next) {
                    *next += 1;
                    if e.node == *node {
                        let taken = *e;
                        e.node = NUMA_NO_NODE;
                        return Some(taken);
                    }
                }
            }
            // Every entry of the node is taken: on to the node of the first entry left.
            while self.window.get(self.first)?.node == NUMA_NO_NODE {
                self.first += 1;
            }
            self.node = Some((self.window[self.first].node, self.first));
        }
    }
}

/// The queued entries of the batch.
enum Members {
    /// Upstream's batches: entries `first..first + len`.
    Run { first: usize, len: usize },
    /// The extensions' batches: `(index, page frame number)` of each entry, in the order queued.
    Listed(KVec<(usize, u64)>),
}

impl Members {
    fn push(&mut self, i: usize, pfn: u64) -> Result {
        match self {
            Members::Run { first, len } => {
                if *len == 0 {
                    *first = i;
                }
                *len += 1;
                Ok(())
            }
            // Within capacity: a batch holds at most a window's entries.
            Members::Listed(v) => v.push_within_capacity((i, pfn)).map_err(|_| ENOMEM),
        }
    }

    fn clear(&mut self) {
        match self {
            Members::Run { len, .. } => *len = 0,
            Members::Listed(v) => v.clear(),
        }
    }

    /// `store_status()` of every entry: `value`, stopping at the first fault.
    fn store(&self, status: &mut Sink<'_>, value: c_int) -> Result {
        match self {
            Members::Run { first, len } => status.fill(*first, value, *len),
            Members::Listed(v) => v.iter().try_for_each(|&(i, _)| status.put(i, value)),
        }
    }
}

/// Where the statuses of a walk go.
pub(crate) enum Sink<'a> {
    /// The request's `status` array.
    User(IntArray),
    /// A kernel buffer indexed by the entries' slots: a slice of a parallel request, whose
    /// caller copies it out.
    Kernel(&'a mut [c_int]),
}

impl Sink<'_> {
    /// `store_status()` of one entry.
    fn put(&mut self, i: usize, value: c_int) -> Result {
        match self {
            Sink::User(a) => a.put(i, value),
            Sink::Kernel(s) => {
                *s.get_mut(i).ok_or(EINVAL)? = value;
                Ok(())
            }
        }
    }

    /// `store_status()` of `nr` entries from `start`, stopping at the first fault.
    fn fill(&mut self, start: usize, value: c_int, nr: usize) -> Result {
        match self {
            Sink::User(a) => a.fill(start, value, nr),
            Sink::Kernel(_) => (start..start + nr).try_for_each(|i| self.put(i, value)),
        }
    }
}

/// How a batch ended, for the request.
enum Flushed {
    /// Go on.
    Continue,
    /// End the request with this.
    End(Moved),
}

/// The state of one request's walk (or of one slice of a parallel request).
struct Mover<'a> {
    space: &'a Space<'a>,
    /// The request's `nr_pages`, for upstream's count of entries not looked at.
    nr_pages: u64,
    status: Sink<'a>,
    /// Entries whose folio could not be isolated or was not mapped, left for a later pass
    /// instead of given `-EBUSY` or `-ENOENT` (a slice of a parallel request: another thread
    /// may hold that folio isolated, or have it under migration, mapped by a migration entry).
    retry: Option<&'a mut KVec<Entry>>,
    policy: Policy,
    lru: LruCache,
    list: Pin<&'a FolioList>,
    /// The target node of the current batch, [`NUMA_NO_NODE`] between batches.
    node: c_int,
    members: Members,
    /// With [`Policy::exact`]: the folios of the batch and their fates.
    log: Option<BatchLog>,
    /// Entries looked at so far (status written, or queued).
    seen: u64,
    /// With [`Policy::exact`]: pages that did not move.
    not_moved: c_int,
}

impl<'a> Mover<'a> {
    fn new(
        space: &'a Space<'a>,
        nr_pages: u64,
        status: Sink<'a>,
        policy: Policy,
        list: Pin<&'a FolioList>,
    ) -> Result<Self> {
        let members = if policy.upstream_batches {
            Members::Run { first: 0, len: 0 }
        } else {
            Members::Listed(KVec::with_capacity(policy.window, GFP_KERNEL)?)
        };
        let log = if policy.exact {
            Some(BatchLog::with_capacity(policy.window)?)
        } else {
            None
        };
        Ok(Self {
            space,
            nr_pages,
            status,
            retry: None,
            policy,
            // Upstream's `lru_cache_disable()` happens on first need (see `LruCache`).
            lru: LruCache::new(space.syms),
            list,
            node: NUMA_NO_NODE,
            members,
            log,
            seen: 0,
            not_moved: 0,
        })
    }

    /// Looks entry `i` (at user address `addr`) up and queues its folio on the batch, or writes
    /// its status. Whether it was queued; an error if its status (or its record) could not be
    /// written.
    fn add(&mut self, i: usize, addr: usize) -> Result<bool> {
        let added = add_folio_draining(self.space, addr, self.node, self.list, &self.lru);
        self.seen += 1;
        if let (Added::Failed(EBUSY | ENOENT), Some(retry)) = (added, self.retry.as_mut()) {
            let slot = u32::try_from(i).map_err(|_| EINVAL)?;
            retry.push(
                Entry {
                    addr,
                    node: self.node,
                    slot,
                },
                GFP_KERNEL,
            )?;
            return Ok(false);
        }
        if let Some(value) = added.status(self.node) {
            return self.status.put(i, value).map(|()| false);
        }
        if let Added::Queued(q) = added {
            self.members.push(i, q.pfn)?;
            if let Some(log) = self.log.as_mut() {
                log.queued(q.folio.0, q.folio.1)?;
            }
        }
        Ok(true)
    }

    /// `move_pages_and_store_status()`: migrates the batch to its node and writes its statuses.
    fn flush(&mut self) -> Flushed {
        let flushed = if self.list.is_empty() {
            Flushed::Continue
        } else {
            self.migrate()
        };
        self.members.clear();
        if let Some(log) = self.log.as_mut() {
            log.clear();
        }
        flushed
    }

    fn migrate(&mut self) -> Flushed {
        let node = self.node;
        let Some(log) = self.log.as_mut() else {
            return match self.list.migrate_to(node, &self.lru, None) {
                MigrateOutcome::Done => match self.members.store(&mut self.status, node) {
                    Ok(()) => Flushed::Continue,
                    Err(e) => Flushed::End(Moved::Error(e)),
                },
                // As upstream: the batch's slots stay unwritten, and the count includes the
                // entries not looked at yet, truncated to an `int` as upstream's `err += nr_pages
                // - i` does.
                MigrateOutcome::NotMigrated(n) => Flushed::End(Moved::Count(
                    (n as u64).wrapping_add(self.nr_pages.wrapping_sub(self.seen)) as c_int,
                )),
                MigrateOutcome::Failed(e) => Flushed::End(Moved::Error(e)),
            };
        };
        log.begin();
        let outcome = self.list.migrate_to(node, &self.lru, Some(&mut *log));
        if !log.known() {
            // The pages that did not move could not be listed: no exact answer to give.
            return Flushed::End(Moved::Error(match outcome {
                MigrateOutcome::Failed(e) => e,
                _ => ENOMEM,
            }));
        }
        let Members::Listed(members) = &self.members else {
            return Flushed::Continue;
        };
        for &(i, pfn) in members.iter() {
            let fate = log.fate(pfn);
            if fate != crate::exact::Fate::Moved {
                self.not_moved += 1;
            }
            if let Err(e) = self.status.put(i, fate.status(node)) {
                return Flushed::End(Moved::Error(e));
            }
        }
        Flushed::Continue
    }

    /// Looks up and queues the entries of a window (`base` plus each entry's slot is its
    /// index), in the policy's order, migrating each batch as it ends. `Some` if the request
    /// ends.
    fn take(&mut self, base: usize, window: &mut [Entry]) -> Option<Moved> {
        for e in BatchOrder::new(window, self.policy.group) {
            if e.node != self.node {
                // A change of node: the batch is migrated; a failure ends the request with the
                // batch's result (upstream's `goto out`).
                if let Flushed::End(moved) = self.flush() {
                    return Some(moved);
                }
                self.node = e.node;
            }
            match self.add(base + e.slot as usize, e.addr) {
                Ok(true) => (),
                Ok(false) if self.policy.upstream_batches => {
                    // Upstream migrates the batch after an entry not queued; its count already
                    // accounts for that entry.
                    if let Flushed::End(moved) = self.flush() {
                        return Some(moved);
                    }
                    self.node = NUMA_NO_NODE;
                }
                Ok(false) => (),
                Err(e) => {
                    // `goto out_flush`: the batch is migrated, the error is returned.
                    let _ = self.flush();
                    return Some(Moved::Error(e));
                }
            }
        }
        None
    }

    /// The extensions' end of a window: its last batch is migrated. `Some` if the request ends.
    fn end_window(&mut self) -> Option<Moved> {
        match self.flush() {
            Flushed::End(moved) => Some(moved),
            Flushed::Continue => {
                self.node = NUMA_NO_NODE;
                None
            }
        }
    }

    /// `out_flush` with no error: the last batch's result.
    fn finish(&mut self) -> Moved {
        match self.flush() {
            Flushed::End(moved) => moved,
            Flushed::Continue => Moved::Count(self.not_moved),
        }
    }

    /// The walk of `req` (see the module documentation), with `buf` for a window's entries.
    fn run(&mut self, req: &MoveRequest<'_>, buf: &mut [Entry]) -> Moved {
        let nr_pages = req.nr_pages;
        let mut base = 0usize;
        while (base as u64) < nr_pages {
            let n = (nr_pages - base as u64).min(buf.len() as u64) as usize;
            // Read and check the window's entries; one that fails ends the request once the
            // entries before it are handled.
            let mut read = 0;
            let mut end = None;
            while read < n {
                match read_entry(req, base + read, read as u32) {
                    Ok(e) => buf[read] = e,
                    Err(e) => {
                        end = Some(e);
                        break;
                    }
                }
                read += 1;
            }
            if let Some(moved) = self.take(base, &mut buf[..read]) {
                return moved;
            }
            if let Some(e) = end {
                // `goto out_flush`: the entry's error wins over the last batch's result.
                let _ = self.flush();
                return Moved::Error(e);
            }
            if !self.policy.upstream_batches {
                if let Some(moved) = self.end_window() {
                    return moved;
                }
            }
            base += n;
        }
        self.finish()
    }
}

/// `do_pages_move()`: moves each page of `req` to its node and fills its statuses, by `policy`.
///
/// Upstream's policy allocates nothing; the extensions allocate their window, batch and log
/// once, before the first entry.
pub(crate) fn do_pages_move(req: &MoveRequest<'_>, policy: Policy) -> Moved {
    stack_pin_init!(let list = FolioList::new(req.space.syms));
    let mut one = [Entry::EMPTY; 1];
    let mut many;
    let buf: &mut [Entry] = if policy.window == 1 {
        &mut one
    } else {
        many = match KVec::from_elem(Entry::EMPTY, policy.window, GFP_KERNEL) {
            Ok(v) => v,
            Err(_) => return Moved::Error(ENOMEM),
        };
        &mut many
    };
    match Mover::new(
        &req.space,
        req.nr_pages,
        Sink::User(req.status),
        policy,
        list.as_ref(),
    ) {
        Ok(mut mover) => mover.run(req, buf),
        Err(e) => Moved::Error(e),
    }
}

/// Moves `entries`, already read and checked (each one's `slot` is its index in `status`), by
/// `policy` (the extensions' policies only): one slice of a parallel request, on whichever
/// thread runs it. The entries are taken a window at a time; `stop` is asked before each
/// window, and a `true` ends the slice with `-EINTR`.
///
/// With `retry`, an entry whose folio cannot be isolated, or that maps no folio, is pushed there
/// (status not written) instead of getting `-EBUSY` or `-ENOENT`: another slice may hold the
/// folio isolated or under migration (a large folio or a page named twice), so the caller looks
/// it up again once every slice is done.
pub(crate) fn move_entries(
    space: &Space<'_>,
    policy: Policy,
    entries: &mut [Entry],
    status: &mut [c_int],
    retry: Option<&mut KVec<Entry>>,
    stop: &dyn Fn() -> bool,
) -> Moved {
    if policy.upstream_batches {
        return Moved::Error(EINVAL);
    }
    stack_pin_init!(let list = FolioList::new(space.syms));
    let nr = entries.len() as u64;
    let mut mover = match Mover::new(space, nr, Sink::Kernel(status), policy, list.as_ref()) {
        Ok(mover) => mover,
        Err(e) => return Moved::Error(e),
    };
    mover.retry = retry;
    for window in entries.chunks_mut(policy.window) {
        if stop() {
            return Moved::Error(EINTR);
        }
        if let Some(moved) = mover.take(0, window) {
            return moved;
        }
        if let Some(moved) = mover.end_window() {
            return moved;
        }
    }
    mover.finish()
}

#[kunit_tests(move_pages_migrate)]
mod tests {
    use super::*;

    /// The `(slot, node)` of each entry of a window of `nodes`, in the order taken.
    fn order(nodes: &[c_int], group: bool) -> KVec<(u32, c_int)> {
        let mut w = KVec::new();
        for (slot, &node) in nodes.iter().enumerate() {
            let e = Entry {
                addr: 0x1000 * slot,
                node,
                slot: slot as u32,
            };
            assert!(w.push(e, GFP_KERNEL).is_ok());
        }
        let mut out = KVec::new();
        for e in BatchOrder::new(&mut w, group) {
            assert_eq!(e.addr, 0x1000 * e.slot as usize);
            assert!(out.push((e.slot, e.node), GFP_KERNEL).is_ok());
        }
        assert_eq!(out.len(), nodes.len());
        out
    }

    #[test]
    fn grouping_takes_each_node_in_order_of_first_appearance() {
        let o = order(&[1, 0, 1, 2, 0, 1], true);
        assert_eq!(&o[..], &[(0, 1), (2, 1), (5, 1), (1, 0), (4, 0), (3, 2)]);
    }

    #[test]
    fn without_grouping_the_order_is_the_entries() {
        let o = order(&[1, 0, 1, 2, 0, 1], false);
        assert_eq!(&o[..], &[(0, 1), (1, 0), (2, 1), (3, 2), (4, 0), (5, 1)]);
    }

    #[test]
    fn grouping_keeps_sorted_and_single_node_windows() {
        let o = order(&[3, 3, 3], true);
        assert_eq!(&o[..], &[(0, 3), (1, 3), (2, 3)]);
        let o = order(&[0, 0, 1, 1], true);
        assert_eq!(&o[..], &[(0, 0), (1, 0), (2, 1), (3, 1)]);
        let o = order(&[2, 1, 0], true);
        assert_eq!(&o[..], &[(0, 2), (1, 1), (2, 0)]);
        assert!(order(&[], true).is_empty());
        assert!(order(&[], false).is_empty());
    }

    #[test]
    fn status_of_an_entry_not_queued() {
        assert_eq!(Added::OnNode.status(2), Some(2));
        assert_eq!(Added::Failed(EFAULT).status(2), Some(-14));
        assert_eq!(Added::Failed(EBUSY).status(0), Some(-16));
        let q = Queued {
            pfn: 5,
            folio: (4, 2),
        };
        assert_eq!(Added::Queued(q).status(1), None);
    }

    #[test]
    fn policies_of_the_extension_flags() {
        assert_eq!(Policy::from_ext(0), Policy::UPSTREAM);
        let g = Policy::from_ext(uapi::EXT_GROUP_BY_NODE);
        assert!(g.group && !g.exact && !g.upstream_batches && g.window == WINDOW);
        let x = Policy::from_ext(uapi::EXT_EXACT_STATUS);
        assert!(!x.group && x.exact && !x.upstream_batches);
        let both = Policy::from_ext(uapi::EXT_GROUP_BY_NODE | uapi::EXT_EXACT_STATUS);
        assert!(both.group && both.exact);
    }
}
