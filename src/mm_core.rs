// SPDX-License-Identifier: GPL-2.0

//! The boundary with the kernel's memory-management and migration core.
//!
//! This is the only module that calls resolved (non-exported) kernel functions or the C helpers
//! for static inlines; it turns them into safe types whose lifetimes and destructors carry the
//! kernel's rules:
//!
//! - [`FolioWalk`] holds a page-table lock from `folio_walk_start()` until it is dropped, and is
//!   tied to the `VmaRef` it walks (so to the mmap read lock).
//! - [`FolioList`] owns folios isolated for migration; whatever is still on it when it is dropped
//!   is put back, so no path can leave a folio isolated.
//! - [`LruCache`] disables the per-CPU LRU caches (`lru_cache_disable()`) the first time a
//!   request needs it and enables them again (`lru_cache_enable()`) when the request ends.
//! - [`TargetMm`] is `find_mm_struct()`: the target's mm with a reference, and its cpuset nodes.
//!
//! Lock order (as upstream): `exec_update_lock` (only while finding the target), then the mmap
//! read lock, then the page-table lock, then the LRU or hugetlb lock taken inside isolation.

use crate::{
    ffi::{
        self,
        FolioWalkRaw, //
    },
    symbols::Symbols,
};
use core::{
    cell::Cell,
    marker::PhantomPinned,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    mm::{
        virt::VmaRef,
        MmWithUser, //
    },
    prelude::*,
    sync::aref::ARef,
    task::Task,
    types::Opaque, //
};

/// `NUMA_NO_NODE`.
pub(crate) const NUMA_NO_NODE: c_int = -1;

/// `MAX_NUMNODES` of the running kernel.
pub(crate) const MAX_NUMNODES: c_int = bindings::MAX_NUMNODES as c_int;

/// Returns whether `node` is a valid node id with memory (`node_state(node, N_MEMORY)`).
pub(crate) fn node_has_memory(node: c_int) -> bool {
    // SAFETY: `node_state` is only evaluated for a node id in range.
    (0..MAX_NUMNODES).contains(&node) && unsafe { ffi::mp_node_has_memory(node) }
}

/// Returns whether the caller has `CAP_SYS_NICE`.
pub(crate) fn capable_sys_nice() -> bool {
    // SAFETY: `capable` may be called from any process context.
    unsafe { bindings::capable(bindings::CAP_SYS_NICE as c_int) }
}

/// Returns whether the current system call or ioctl comes from a 32-bit task.
pub(crate) fn in_compat_syscall() -> bool {
    // SAFETY: Reads the current task's syscall state; no requirement.
    unsafe { ffi::mp_in_compat_syscall() }
}

/// A set of NUMA nodes (`nodemask_t`).
#[derive(Clone, Copy)]
pub(crate) struct NodeMask(bindings::nodemask_t);

impl NodeMask {
    /// Returns whether `node` is in the set (`node_isset`); `node` must be in range.
    pub(crate) fn contains(&self, node: c_int) -> bool {
        let Ok(node) = usize::try_from(node) else {
            return false;
        };
        let bits = c_ulong::BITS as usize;
        self.0
            .bits
            .get(node / bits)
            .is_some_and(|word| word & (1 << (node % bits)) != 0)
    }
}

/// What [`Folio::info`] reads of a folio.
pub(crate) struct FolioInfo {
    /// The shared zero page or the huge zero folio.
    pub(crate) zero: bool,
    /// Device memory (`folio_is_zone_device`).
    pub(crate) zone_device: bool,
    /// The node the folio's memory is on.
    pub(crate) nid: c_int,
}

/// A folio seen through a page-table walk.
#[repr(transparent)]
pub(crate) struct Folio(Opaque<bindings::folio>);

impl Folio {
    fn as_raw(&self) -> *mut bindings::folio {
        self.0.get()
    }

    /// The node, and whether the folio is a zero page or device memory, in one C call (the
    /// query path asks this of every page).
    pub(crate) fn info(&self, syms: &Symbols) -> FolioInfo {
        #[cfg(CONFIG_TRANSPARENT_HUGEPAGE)]
        // SAFETY: `huge_zero_folio` is the resolved kernel variable; a racy read only compares a
        // pointer, as the kernel's `READ_ONCE` does.
        let huge_zero = unsafe { syms.huge_zero_folio.read_volatile() };
        #[cfg(not(CONFIG_TRANSPARENT_HUGEPAGE))]
        let huge_zero = {
            let _ = syms;
            core::ptr::null_mut()
        };
        // SAFETY: `self` is a live folio.
        let info = unsafe { ffi::mp_folio_info(self.as_raw(), huge_zero) };
        FolioInfo {
            zero: info & ffi::FOLIO_ZERO != 0,
            zone_device: info & ffi::FOLIO_DEVICE != 0,
            nid: (info & !(ffi::FOLIO_ZERO | ffi::FOLIO_DEVICE)) as c_int,
        }
    }

    /// Whether the folio may be mapped by more than one process.
    pub(crate) fn maybe_mapped_shared(&self) -> bool {
        // SAFETY: `self` is a live folio.
        unsafe { ffi::mp_folio_maybe_mapped_shared(self.as_raw()) }
    }

    /// Whether the folio is a hugetlb folio.
    #[cfg(CONFIG_HUGETLB_PAGE)]
    pub(crate) fn is_hugetlb(&self) -> bool {
        // SAFETY: `self` is a live folio.
        unsafe { ffi::mp_folio_test_hugetlb(self.as_raw()) }
    }

    /// The page frame number of the folio's first page.
    pub(crate) fn pfn(&self) -> u64 {
        // SAFETY: `self` is a live folio.
        unsafe { ffi::mp_folio_pfn(self.as_raw()) }
    }

    /// The number of pages in the folio.
    pub(crate) fn nr_pages(&self) -> u64 {
        // SAFETY: `self` is a live folio.
        unsafe { ffi::mp_folio_nr_pages(self.as_raw()) }
    }
}

/// Whether pages of `vma` may be migrated (`vma_migratable`).
pub(crate) fn vma_migratable(syms: &Symbols, vma: &VmaRef) -> bool {
    // SAFETY: `vma` is valid while its `&VmaRef` is (the mmap read lock is held).
    unsafe { (syms.vma_migratable)(vma.as_ptr()) }
}

/// `untagged_addr_remote()`: strips a tag the target mm's address space may carry.
pub(crate) fn untagged_addr_remote(mm: &MmWithUser, addr: usize) -> usize {
    // SAFETY: `mm` is a live mm; callers hold its mmap lock (asserted by the kernel under
    // `CONFIG_DEBUG_VM`).
    unsafe { ffi::mp_untagged_addr_remote(mm.as_raw(), addr as c_ulong) as usize }
}

/// A folio mapped at an address, found by `folio_walk_start()`.
///
/// # Invariants
///
/// `folio` was returned by `folio_walk_start(&raw, vma, ..)`; the walk's page-table lock is held
/// until `drop`, which ends the walk exactly once.
pub(crate) struct FolioWalk<'a> {
    raw: FolioWalkRaw,
    vma: &'a VmaRef,
    folio: NonNull<Folio>,
    syms: &'static Symbols,
}

impl<'a> FolioWalk<'a> {
    /// Walks `vma`'s page tables to the folio mapped at `addr`, the shared zero page included.
    ///
    /// Returns `None` when nothing is mapped there.
    pub(crate) fn start(syms: &'static Symbols, vma: &'a VmaRef, addr: usize) -> Option<Self> {
        let mut raw = FolioWalkRaw(core::mem::MaybeUninit::uninit());
        // SAFETY: `raw` is large and aligned enough for a `struct folio_walk` (checked at load),
        // `vma` is valid under the mmap read lock its reference depends on.
        let folio = unsafe {
            (syms.folio_walk_start)(&mut raw, vma.as_ptr(), addr as c_ulong, ffi::FW_ZEROPAGE)
        };
        // INVARIANT: A non-null result means the walk holds the page-table lock.
        NonNull::new(folio.cast::<Folio>()).map(|folio| Self {
            raw,
            vma,
            folio,
            syms,
        })
    }

    /// The folio found.
    pub(crate) fn folio(&self) -> &Folio {
        // SAFETY: The page-table lock held by the walk keeps the mapping, so the folio, alive.
        unsafe { self.folio.as_ref() }
    }

    /// The page frame number of the page mapped at the address walked to.
    pub(crate) fn pfn(&self) -> u64 {
        // SAFETY: The walk is live (type invariant), so its `page` is set.
        unsafe { ffi::mp_folio_walk_pfn(&self.raw) }
    }
}

impl Drop for FolioWalk<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the walk is live: release the page-table lock and the
        // pte mapping (the first half of `folio_walk_end()`), then end the vma walk.
        unsafe {
            ffi::mp_folio_walk_unlock(&mut self.raw);
            (self.syms.vma_pgtable_walk_end)(self.vma.as_ptr());
        }
    }
}

/// The per-CPU LRU caches for one request: disabled on first need, enabled again when dropped.
///
/// Upstream's `do_pages_move()` calls `lru_cache_disable()` before anything else: it drains
/// every CPU's LRU batches (a folio in one is off the LRU, so it cannot be isolated, or holds
/// the batch's reference, so it cannot be migrated) and keeps them off for the call. That costs
/// an RCU grace period and work on every CPU even when no page moves. The module does the same,
/// but only when it can matter: when an isolation fails, when a folio about to be migrated holds
/// more references than its mappings, caches and the isolation account for, and when small
/// folios fail to migrate while the caches were on (some batches, `mlock_folio()` and
/// `munlock_folio()` among them, take a reference to a folio that is off the LRU, so one can
/// appear during the migration); the failed folios are then migrated again with the caches
/// drained and disabled. From the first drain on, the state is upstream's.
pub(crate) struct LruCache {
    syms: &'static Symbols,
    disabled: Cell<bool>,
}

impl LruCache {
    /// The caches as they are: nothing is drained yet.
    pub(crate) fn new(syms: &'static Symbols) -> Self {
        Self {
            syms,
            disabled: Cell::new(false),
        }
    }

    /// Drains the per-CPU LRU caches and keeps them disabled until `self` is dropped, unless
    /// that is done already; returns whether it was done now. Sleeps: no lock may be held.
    pub(crate) fn disable(&self) -> bool {
        if self.disabled.get() {
            return false;
        }
        // SAFETY: May sleep; the callers hold no lock (see above).
        unsafe { (self.syms.lru_cache_disable)() };
        self.disabled.set(true);
        true
    }
}

impl Drop for LruCache {
    fn drop(&mut self) {
        if self.disabled.get() {
            // SAFETY: `lru_cache_enable()`: pairs with the `lru_cache_disable()` of `disable`.
            unsafe { ffi::mp_atomic_dec(self.syms.lru_disable_count) };
        }
    }
}

/// The outcome of isolating one folio for migration.
pub(crate) enum Isolation {
    /// The folio is on the list.
    Queued,
    /// The folio could not be isolated (`-EBUSY`).
    Busy,
}

/// What the migration core reported for one batch.
pub(crate) enum MigrateOutcome {
    /// Every folio migrated.
    Done,
    /// This many folios (a large folio split counts as one) were not migrated; they were put
    /// back.
    NotMigrated(c_int),
    /// The core failed with this error; everything was put back.
    Failed(Error),
}

/// A list of folios isolated for migration to one node.
///
/// # Invariants
///
/// `head` is an initialised `list_head` whose entries are folios isolated by
/// [`FolioList::isolate`]; each holds the isolation reference and the `NR_ISOLATED_*` count.
#[pin_data(PinnedDrop)]
pub(crate) struct FolioList {
    #[pin]
    head: Opaque<bindings::list_head>,
    syms: &'static Symbols,
    #[pin]
    _pin: PhantomPinned,
}

impl FolioList {
    /// Creates an empty list.
    pub(crate) fn new(syms: &'static Symbols) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `INIT_LIST_HEAD` initialises the pinned slot in place.
            head <- unsafe {
                Opaque::ffi_init(|slot: *mut bindings::list_head| bindings::INIT_LIST_HEAD(slot))
            },
            syms,
            _pin: PhantomPinned,
        })
    }

    fn head(&self) -> *mut bindings::list_head {
        self.head.get()
    }

    /// Whether the list is empty.
    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head();
        // SAFETY: `head` is initialised (type invariant); reading `next` is `list_empty()`.
        unsafe { (*head).next == head }
    }

    /// Isolates the walked folio from the LRU (or the hugetlb active list) onto this list.
    pub(crate) fn isolate(self: Pin<&Self>, walk: &FolioWalk<'_>) -> Isolation {
        let folio = walk.folio().as_raw();
        #[cfg(CONFIG_HUGETLB_PAGE)]
        if walk.folio().is_hugetlb() {
            // SAFETY: `folio` is live under the walk's page-table lock; `head` is initialised.
            if unsafe { (self.syms.folio_isolate_hugetlb)(folio, self.head()) } {
                // INVARIANT: `folio_isolate_hugetlb` queued it with a reference.
                return Isolation::Queued;
            }
            return Isolation::Busy;
        }
        // Without `CONFIG_HUGETLB_PAGE` no folio is a hugetlb folio.
        // SAFETY: `folio` is live under the walk's page-table lock.
        if unsafe { (self.syms.folio_isolate_lru)(folio) } {
            // SAFETY: The folio is isolated and ours to queue and account.
            // INVARIANT: It is queued with its isolation reference and counted.
            unsafe { ffi::mp_folio_isolated_lru(folio, self.head()) };
            return Isolation::Queued;
        }
        Isolation::Busy
    }

    /// Whether a folio on the list holds references beyond its mappings, caches and isolation
    /// (a per-CPU LRU batch may hold one): migrating it would fail until the caches are drained.
    fn has_extra_refs(&self) -> bool {
        // SAFETY: The list is initialised and holds isolated folios (type invariant), which
        // stay live while they are on it.
        unsafe { ffi::mp_list_has_extra_refs(self.head()) }
    }

    /// Migrates every folio on the list to `node` through `migrate_pages()`, allocating with
    /// [`alloc_target`]; whatever did not move is put back, so the list is empty afterwards.
    /// If a folio holds an extra reference, `lru` drains the per-CPU LRU caches first.
    pub(crate) fn migrate_to(self: Pin<&Self>, node: c_int, lru: &LruCache) -> MigrateOutcome {
        self.migrate_logged(node, lru, None)
    }

    /// [`Self::migrate_to`], recording in `log` (which holds every folio on the list) what
    /// happened to each folio. `-ENOMEM` if the log cannot hold the folios that did not move.
    pub(crate) fn migrate_to_logged(
        self: Pin<&Self>,
        node: c_int,
        lru: &LruCache,
        log: &mut BatchLog,
    ) -> MigrateOutcome {
        log.folios.sort_unstable_by_key(|f| f.0);
        log.failed.clear();
        log.known = false;
        self.migrate_logged(node, lru, Some(log))
    }

    fn migrate_logged(
        self: Pin<&Self>,
        node: c_int,
        lru: &LruCache,
        log: Option<&mut BatchLog>,
    ) -> MigrateOutcome {
        if self.has_extra_refs() {
            // A per-CPU LRU batch may hold a reference: drain as upstream does up front.
            lru.disable();
        }
        let target = Target {
            nid: node,
            allocated: Cell::new(0),
            alloc_failed: Cell::new(0),
            log: log.as_deref(),
        };
        let mut err = self.migrate_pages(&target);
        if err > 0 && self.only_small_folios(err) && lru.disable() {
            // The caches were on during the call: a reference that a per-CPU batch took
            // meanwhile (`mlock_folio()` on a fault into a locked mapping, `munlock_folio()`,
            // ...) stays until the batch is drained, where upstream, with the caches disabled
            // for the whole request, drops it at once. They are drained now; the folios that
            // failed go through the core again, and what fails then fails as upstream's.
            err = self.migrate_pages(&target);
        }
        let (allocated, alloc_failed) = (target.allocated.get(), target.alloc_failed.get());
        if err == 0 {
            if let Some(log) = log {
                log.known = true;
            }
            return MigrateOutcome::Done;
        }
        if let Some(log) = log {
            if let Err(e) = self.failed_ranges(&mut log.failed) {
                self.putback();
                return MigrateOutcome::Failed(e);
            }
            log.known = true;
        }
        pr_debug!(
            "batch to node {}: migrate_pages() returned {}; {} of {} target allocations failed\n",
            node,
            err,
            alloc_failed,
            allocated + alloc_failed
        );
        self.putback();
        if err > 0 {
            MigrateOutcome::NotMigrated(err)
        } else {
            MigrateOutcome::Failed(Error::from_errno(err))
        }
    }

    /// `migrate_pages()` of the list to `target`, with the rules of `do_move_pages_to_node()`.
    fn migrate_pages(self: Pin<&Self>, target: &Target<'_>) -> c_int {
        // SAFETY: The list holds isolated folios (type invariant); `alloc_target` reads `private`
        // as the `Target` that outlives the call; `MIGRATE_SYNC` may sleep, and no lock is held.
        unsafe {
            (self.syms.migrate_pages)(
                self.head(),
                Some(alloc_target),
                None,
                core::ptr::from_ref(target) as c_ulong,
                bindings::migrate_mode_MIGRATE_SYNC,
                bindings::migrate_reason_MR_SYSCALL,
                core::ptr::null_mut(),
            )
        }
    }

    /// Whether the list holds exactly `failed` folios, each a small one (what a per-CPU batch can
    /// hold a reference to). A large folio that failed, or was split, is left as it is: its
    /// count would not be upstream's if it went through the core twice.
    fn only_small_folios(&self, failed: c_int) -> bool {
        // SAFETY: The list is initialised and holds isolated folios (type invariant).
        let small = unsafe { ffi::mp_list_nr_small(self.head()) };
        usize::try_from(failed) == Ok(small)
    }

    /// Puts the `(first pfn, pages)` of every folio on the list into `out`, sorted.
    fn failed_ranges(&self, out: &mut KVec<(u64, u64)>) -> Result {
        // SAFETY: The list is initialised; with `max` 0 nothing is written, folios are counted.
        let n = unsafe { ffi::mp_list_folio_ranges(self.head(), core::ptr::null_mut(), 0) };
        let mut raw = KVec::<u64>::from_elem(0, 2 * n, GFP_KERNEL)?;
        // SAFETY: `raw` has room for `n` pairs; the list does not change meanwhile (it is ours).
        unsafe { ffi::mp_list_folio_ranges(self.head(), raw.as_mut_ptr(), n) };
        out.clear();
        out.reserve(n, GFP_KERNEL)?;
        for pair in raw.chunks(2) {
            out.push((pair[0], pair[1]), GFP_KERNEL)?;
        }
        out.sort_unstable_by_key(|f| f.0);
        Ok(())
    }

    fn putback(&self) {
        if !self.is_empty() {
            // SAFETY: The entries are isolated folios (type invariant); `putback_movable_pages`
            // returns each to its LRU or hugetlb list, drops the references and the counts, and
            // leaves the list empty.
            unsafe { (self.syms.putback_movable_pages)(self.head()) };
        }
    }
}

#[pinned_drop]
impl PinnedDrop for FolioList {
    fn drop(self: Pin<&mut Self>) {
        self.putback();
    }
}

/// The target of one `migrate_pages()` call, passed to [`alloc_target`] as `private`.
struct Target<'a> {
    nid: c_int,
    allocated: Cell<u32>,
    alloc_failed: Cell<u32>,
    /// Where the outcome of each folio's allocation goes, for exact statuses.
    log: Option<&'a BatchLog>,
}

/// What happened to one queued folio in `migrate_pages()`, as far as the allocation callback saw.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// No destination was asked for: the batch was aborted before this folio.
    NotAttempted,
    /// A destination was allocated (the last time it was asked for).
    Allocated,
    /// The destination's allocation failed (the last time it was asked for).
    AllocFailed,
}

/// The folios of one batch and their fates, for the exact-status extension: the allocation
/// callback records each folio's allocation, and the folios the migration core left on the list
/// are the ones that did not move.
pub(crate) struct BatchLog {
    /// `(first pfn, pages, fate)` of each queued folio; sorted by pfn during the migration.
    folios: KVec<(u64, u64, Cell<Fate>)>,
    /// `(first pfn, pages)` of each folio (or part of a split one) that did not move, sorted.
    failed: KVec<(u64, u64)>,
    /// Whether `failed` is known for the last migration (it could not be if allocating it
    /// failed).
    known: bool,
}

impl BatchLog {
    /// An empty log with room for `n` folios.
    pub(crate) fn with_capacity(n: usize) -> Result<Self> {
        Ok(Self {
            folios: KVec::with_capacity(n, GFP_KERNEL)?,
            failed: KVec::new(),
            known: false,
        })
    }

    /// Forgets the last batch.
    pub(crate) fn clear(&mut self) {
        self.folios.clear();
        self.failed.clear();
        self.known = false;
    }

    /// Whether the fates of the last migration are known (see [`Self::fate`]).
    pub(crate) fn known(&self) -> bool {
        self.known
    }

    /// Records a folio queued by [`FolioList::isolate`]; the log must have room for it (a batch
    /// never holds more folios than the capacity it was created with).
    pub(crate) fn queued(&mut self, folio: &Folio) {
        let entry = (folio.pfn(), folio.nr_pages(), Cell::new(Fate::NotAttempted));
        if self.folios.push_within_capacity(entry).is_err() {
            // Not reached; if it were, the folio's fate would read `-EAGAIN` on failure.
            pr_warn!("batch log full\n");
        }
    }

    /// The index of the queued folio that holds `pfn` (the folios are sorted by then).
    fn find(&self, pfn: u64) -> Option<usize> {
        let i = self.folios.partition_point(|f| f.0 <= pfn).checked_sub(1)?;
        (pfn < self.folios[i].0 + self.folios[i].1).then_some(i)
    }

    /// Called by the allocation callback for the source folio starting at `pfn` (a queued folio
    /// or part of a split one).
    fn allocation(&self, pfn: u64, ok: bool) {
        if let Some(i) = self.find(pfn) {
            self.folios[i].2.set(if ok {
                Fate::Allocated
            } else {
                Fate::AllocFailed
            });
        }
    }

    /// What happened to the page `pfn` of a queued folio: `None` if it moved, else why not:
    /// `-ENOMEM` (its destination could not be allocated), `-EAGAIN` (the batch was aborted
    /// before it), `-EBUSY` (it had a destination, but the migration core gave up on it).
    pub(crate) fn fate(&self, pfn: u64) -> Option<Error> {
        let i = self.failed.partition_point(|f| f.0 <= pfn).checked_sub(1)?;
        if pfn >= self.failed[i].0 + self.failed[i].1 {
            return None;
        }
        Some(match self.find(pfn).map(|f| self.folios[f].2.get()) {
            Some(Fate::AllocFailed) => ENOMEM,
            Some(Fate::Allocated) => EBUSY,
            _ => EAGAIN,
        })
    }
}

/// The allocation callback (`new_folio_t`) the migration core calls for each folio it moves.
///
/// Allocates the destination on the target node with the rules of `alloc_migration_target()`
/// for `move_pages(2)`: `GFP_HIGHUSER_MOVABLE | __GFP_THISNODE`, the source's order for large
/// folios, the hstate's pool for hugetlb; and records the outcome.
///
/// # Safety
///
/// `src` must be a folio being migrated and `private` the address of a live [`Target`].
unsafe extern "C" fn alloc_target(
    src: *mut bindings::folio,
    private: c_ulong,
) -> *mut bindings::folio {
    // SAFETY: By the function's contract `private` points to a live `Target`, used only by this
    // thread (the migration core calls back synchronously).
    let target = unsafe { &*(private as *const Target<'_>) };
    let dst = alloc_on_node(src, target.nid);
    if dst.is_null() {
        target.alloc_failed.set(target.alloc_failed.get() + 1);
    } else {
        target.allocated.set(target.allocated.get() + 1);
    }
    if let Some(log) = target.log {
        // SAFETY: `src` is a live folio the migration core is moving.
        log.allocation(unsafe { ffi::mp_folio_pfn(src) }, !dst.is_null());
    }
    dst
}

fn alloc_on_node(src: *mut bindings::folio, nid: c_int) -> *mut bindings::folio {
    #[cfg(CONFIG_HUGETLB_PAGE)]
    // SAFETY: `src` is the folio being migrated (contract of `alloc_target`).
    if unsafe { ffi::mp_folio_test_hugetlb(src) } {
        let Ok(syms) = crate::symbols::get() else {
            return core::ptr::null_mut();
        };
        // SAFETY: `src` is a hugetlb folio being migrated; `alloc_migration_target` is the
        // resolved kernel function, which the helper calls with `do_move_pages_to_node()`'s
        // control (the hstate's gfp rules and pool fallback are hugetlb internals).
        return unsafe { ffi::mp_alloc_migration_target(syms.alloc_migration_target, src, nid) };
    }
    let mut order: c_uint = 0;
    // SAFETY: `src` is a live folio; `order` is a valid out-pointer.
    let gfp = unsafe { ffi::mp_migration_gfp(src, &mut order) };
    // SAFETY: `__folio_alloc()` with no nodemask; any gfp, order and node are accepted.
    unsafe { ffi::mp_folio_alloc(gfp, order, nid) }
}

/// The mm of the process a request targets, and the nodes its cpuset allows.
pub(crate) struct TargetMm {
    /// The target's address space, with a user reference (`mmget`).
    pub(crate) mm: ARef<MmWithUser>,
    /// `cpuset_mems_allowed()` of the target task.
    pub(crate) mems: NodeMask,
}

fn cpuset_mems_allowed(syms: &Symbols, task: *mut bindings::task_struct) -> NodeMask {
    #[cfg(CONFIG_CPUSETS)]
    // SAFETY: `task` is a live task with a reference held by the caller.
    let mask = unsafe { (syms.cpuset_mems_allowed)(task) };
    #[cfg(not(CONFIG_CPUSETS))]
    // SAFETY: Reads the kernel's possible-node mask.
    let mask = {
        let _ = (syms, task);
        unsafe { bindings::node_states[bindings::node_states_N_POSSIBLE as usize] }
    };
    NodeMask(mask)
}

/// `find_mm_struct()`: the target mm of a request for `pid` (0 is the caller itself).
pub(crate) fn find_mm_struct(syms: &'static Symbols, pid: bindings::pid_t) -> Result<TargetMm> {
    if pid == 0 {
        // The caller itself: no permission check is needed.
        let current = kernel::current!();
        let mm = current.mm().ok_or(EINVAL)?;
        return Ok(TargetMm {
            mm: ARef::from(mm),
            mems: cpuset_mems_allowed(syms, current.as_ptr()),
        });
    }

    // SAFETY: Looks a task up in the caller's pid namespace; returns it with a reference.
    let raw = unsafe { (syms.find_get_task_by_vpid)(pid) };
    let task = NonNull::new(raw.cast::<Task>()).ok_or(ESRCH)?;
    // SAFETY: `find_get_task_by_vpid` returned a reference that `ARef` now owns.
    let task: ARef<Task> = unsafe { ARef::from_raw(task) };
    let raw = task.as_ptr();

    // SAFETY: `raw` is a live task; `signal` is valid for the task's life.
    let lock = unsafe { &raw mut (*(*raw).signal).exec_update_lock };
    // SAFETY: `lock` is a valid, initialised rw_semaphore.
    if unsafe { bindings::down_read_killable(lock) } != 0 {
        return Err(EINTR);
    }
    let result = target_of_locked_task(syms, raw);
    // SAFETY: Taken above.
    unsafe { bindings::up_read(lock) };
    result
}

/// The part of `find_mm_struct()` done under the target's `exec_update_lock`.
fn target_of_locked_task(syms: &Symbols, task: *mut bindings::task_struct) -> Result<TargetMm> {
    // SAFETY: `task` is live and its `exec_update_lock` is held for read.
    if !unsafe { (syms.ptrace_may_access)(task, bindings::PTRACE_MODE_READ_REALCREDS) } {
        return Err(EPERM);
    }
    #[cfg(CONFIG_SECURITY)]
    {
        // SAFETY: `task` is live.
        let ret = unsafe { (syms.security_task_movememory)(task) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
    }
    let mems = cpuset_mems_allowed(syms, task);
    // SAFETY: `task` is live; `get_task_mm` returns its mm with a user reference, or null.
    let mm = NonNull::new(unsafe { bindings::get_task_mm(task) }).ok_or(EINVAL)?;
    // SAFETY: `get_task_mm` took the user reference that `ARef` now owns; `MmWithUser` is a
    // transparent wrapper of `mm_struct`.
    let mm = unsafe { ARef::from_raw(mm.cast::<MmWithUser>()) };
    Ok(TargetMm { mm, mems })
}
