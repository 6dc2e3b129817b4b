// SPDX-License-Identifier: GPL-2.0

//! Isolating folios and moving them through the migration core.
//!
//! - [`FolioList`] owns folios isolated for migration; whatever is still on it when it is dropped
//!   is put back, so no path can leave a folio isolated.
//! - [`LruCache`] disables the per-CPU LRU caches (`lru_cache_disable()`) the first time a
//!   request needs it and enables them again (`lru_cache_enable()`) when the request ends.
//! - [`alloc_target`] is the allocation callback `migrate_pages()` calls for each folio: it
//!   allocates on the target node with the kernel's own `alloc_migration_target()` and tells a
//!   [`Watch`] what happened.
//!
//! Lock order (as upstream): the mmap read lock, then the page-table lock of a
//! [`FolioWalk`], then the LRU or hugetlb lock taken inside isolation. `migrate_pages()` and
//! `lru_cache_disable()` run with no lock held.

use crate::{
    ffi,
    folio::{
        Folio,
        FolioWalk, //
    },
    symbols::Symbols,
};
use core::{
    cell::Cell,
    marker::PhantomPinned, //
};
use kernel::{
    bindings,
    clist_create,
    interop::list::CList,
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    types::Opaque, //
};

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
            // SAFETY: `lru_disable_count` is the resolved kernel variable, an `atomic_t` that
            // lives as long as the kernel and is only accessed atomically.
            let count =
                unsafe { Atomic::from_ptr(&raw mut (*self.syms.lru_disable_count).counter) };
            // `lru_cache_enable()`, an `atomic_dec()`: pairs with the `lru_cache_disable()` of
            // `disable`.
            count.add(-1, Relaxed);
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MigrateOutcome {
    /// Every folio migrated.
    Done,
    /// This many folios (a large folio split counts as one) were not migrated; they were put
    /// back.
    NotMigrated(c_int),
    /// The core failed with this error; everything was put back.
    Failed(Error),
}

/// An observer of one [`FolioList::migrate_to`], for exact per-page statuses.
pub(crate) trait Watch {
    /// The allocation callback was asked for a destination for `src` (a queued folio or part of
    /// a split one) and got one (`ok`) or not; called again for a folio the core retries.
    fn allocation(&self, src: &Folio, ok: bool);

    /// The folios on `list` did not move: called once after `migrate_pages()`, before they are
    /// put back (`list` may be empty). An error means they could not be recorded.
    fn not_moved(&mut self, list: &FolioList) -> Result;
}

/// A list of folios isolated for migration to one node.
///
/// # Invariants
///
/// `head` is an initialised `list_head` whose entries are folios (linked by `folio->lru`)
/// isolated by [`FolioList::isolate`]; each holds the isolation reference and the
/// `NR_ISOLATED_*` count. Only the owner of the list changes it.
#[pin_data(PinnedDrop)]
pub(crate) struct FolioList {
    #[pin]
    head: Opaque<bindings::list_head>,
    syms: &'static Symbols,
    #[pin]
    _pin: PhantomPinned,
}

/// Where `folio->lru` is in a `struct folio`.
const LRU_OFFSET: usize = core::mem::offset_of!(
    bindings::folio,
    __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.lru
);

/// The entries of a [`FolioList`]: folios linked by `folio->lru`.
pub(crate) type Folios = CList<Folio, LRU_OFFSET>;

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

    /// The folios on the list.
    pub(crate) fn folios(&self) -> &Folios {
        // SAFETY: `head` is an initialised list of folios linked by `lru` that only the owner,
        // who borrows `self` for the result's lifetime, changes (type invariants); the isolation
        // references keep the folios alive meanwhile. `Folio` is transparent over `folio`.
        unsafe {
            clist_create!(
                self.head(),
                Folio,
                bindings::folio,
                __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.lru
            )
        }
    }

    /// Whether the list is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.folios().is_empty()
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
    /// Hugetlb folios are never in an LRU batch.
    fn has_extra_refs(&self) -> bool {
        self.folios()
            .iter()
            .any(|f| !f.is_hugetlb() && f.has_extra_refs())
    }

    /// Whether the list holds exactly `failed` folios, each a small one (what a per-CPU batch can
    /// hold a reference to). A large folio that failed, or was split, is left as it is: its
    /// count would not be upstream's if it went through the core twice.
    fn only_small_folios(&self, failed: c_int) -> bool {
        let mut n = 0usize;
        for folio in self.folios().iter() {
            if folio.is_large() {
                return false;
            }
            n += 1;
        }
        usize::try_from(failed) == Ok(n)
    }

    /// Migrates every folio on the list to `node` through `migrate_pages()`, allocating with
    /// [`alloc_target`]; whatever did not move is put back, so the list is empty afterwards.
    /// If a folio holds an extra reference, `lru` drains the per-CPU LRU caches first. `watch`,
    /// if any, sees each allocation and the folios that did not move.
    pub(crate) fn migrate_to(
        self: Pin<&Self>,
        node: c_int,
        lru: &LruCache,
        watch: Option<&mut dyn Watch>,
    ) -> MigrateOutcome {
        if self.has_extra_refs() {
            // A per-CPU LRU batch may hold a reference: drain as upstream does up front.
            lru.disable();
        }
        let target = Target {
            nid: node,
            allocated: Cell::new(0),
            alloc_failed: Cell::new(0),
            watch: watch.as_deref().map(|w| w as &dyn Watch),
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
        let mut outcome = match err {
            0 => MigrateOutcome::Done,
            n if n > 0 => MigrateOutcome::NotMigrated(n),
            e => MigrateOutcome::Failed(Error::from_errno(e)),
        };
        if let Some(watch) = watch {
            if let Err(e) = watch.not_moved(self.get_ref()) {
                outcome = MigrateOutcome::Failed(e);
            }
        }
        if err != 0 {
            pr_debug!(
                "batch to node {}: migrate_pages() returned {}; {} of {} target allocations failed\n",
                node,
                err,
                alloc_failed,
                allocated + alloc_failed
            );
        }
        self.putback();
        outcome
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
    watch: Option<&'a dyn Watch>,
}

/// The allocation callback (`new_folio_t`) the migration core calls for each folio it moves.
///
/// Allocates the destination on the target node with the kernel's `alloc_migration_target()`
/// and the control `do_move_pages_to_node()` gives it (`GFP_HIGHUSER_MOVABLE | __GFP_THISNODE`,
/// `MR_SYSCALL`): the gfp rules for large, highmem and hugetlb sources are the kernel's own.
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
    let Ok(syms) = crate::symbols::get() else {
        return core::ptr::null_mut();
    };
    // SAFETY: `src` is a folio being migrated; `alloc_migration_target` is the resolved kernel
    // function, `new_folio_t` as the helper's parameter.
    let dst = unsafe {
        ffi::mp_alloc_migration_target(Some(syms.alloc_migration_target), src, target.nid)
    };
    if dst.is_null() {
        target.alloc_failed.set(target.alloc_failed.get() + 1);
    } else {
        target.allocated.set(target.allocated.get() + 1);
    }
    if let Some(watch) = target.watch {
        // SAFETY: The migration core holds `src` while it moves it (type invariants of `Folio`).
        watch.allocation(unsafe { Folio::from_raw(src) }, !dst.is_null());
    }
    dst
}
