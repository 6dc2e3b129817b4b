// SPDX-License-Identifier: GPL-2.0

//! Folios, and finding the one mapped at an address.
//!
//! [`FolioWalk`] holds a page-table lock from `folio_walk_start()` until it is dropped, and is
//! tied to the `VmaRef` it walks (so to the mmap read lock); the [`Folio`] it found lives as long
//! as it does.

use crate::{
    ffi::{
        self,
        FolioWalkRaw, //
    },
    symbols::Symbols,
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    mm::{
        virt::VmaRef,
        MmWithUser, //
    },
    prelude::*,
    types::Opaque, //
};

/// What [`Folio::info`] reads of a folio.
pub(crate) struct FolioInfo {
    /// The shared zero page or the huge zero folio.
    pub(crate) zero: bool,
    /// Device memory (`folio_is_zone_device`).
    pub(crate) zone_device: bool,
    /// The node the folio's memory is on.
    pub(crate) nid: c_int,
}

/// A `struct folio`.
///
/// # Invariants
///
/// A `&Folio` is only made for a folio that stays allocated, as a folio, for the reference's
/// lifetime: one mapped under a page-table lock ([`FolioWalk::folio`]), one the caller holds a
/// reference to (isolated on a [`crate::isolate::FolioList`]), or one the migration core is
/// moving (the allocation callback's source).
#[repr(transparent)]
pub(crate) struct Folio(Opaque<bindings::folio>);

impl Folio {
    /// The folio at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is a folio that stays allocated, as a folio, for `'a` (see the type invariants).
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::folio) -> &'a Self {
        // SAFETY: `Folio` is a transparent wrapper of `struct folio`; the caller guarantees the
        // folio lives for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::folio {
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
        // SAFETY: `self` is a live folio (type invariants).
        let info = unsafe { ffi::mp_folio_info(self.as_raw(), huge_zero) };
        FolioInfo {
            zero: info & ffi::FOLIO_ZERO != 0,
            zone_device: info & ffi::FOLIO_DEVICE != 0,
            nid: (info & !(ffi::FOLIO_ZERO | ffi::FOLIO_DEVICE)) as c_int,
        }
    }

    /// Whether the folio may be mapped by more than one process.
    pub(crate) fn maybe_mapped_shared(&self) -> bool {
        // SAFETY: `self` is a live folio (type invariants).
        unsafe { ffi::mp_folio_maybe_mapped_shared(self.as_raw()) }
    }

    /// Whether the folio is a hugetlb folio.
    pub(crate) fn is_hugetlb(&self) -> bool {
        // SAFETY: `self` is a live folio (type invariants).
        unsafe { ffi::mp_folio_test_hugetlb(self.as_raw()) }
    }

    /// Whether the folio has more than one page (a THP or a hugetlb folio).
    pub(crate) fn is_large(&self) -> bool {
        // SAFETY: `self` is a live folio (type invariants).
        unsafe { ffi::mp_folio_test_large(self.as_raw()) }
    }

    /// Whether the folio holds references beyond its mappings, its page or swap cache,
    /// `PG_private` and one more, the caller's (as `lru_cache_drain_for_folio()` counts them): a
    /// per-CPU LRU batch may hold one.
    pub(crate) fn has_extra_refs(&self) -> bool {
        // SAFETY: `self` is a live folio (type invariants).
        unsafe { ffi::mp_folio_extra_refs(self.as_raw()) }
    }

    /// The page frame number of the folio's first page.
    pub(crate) fn pfn(&self) -> u64 {
        // SAFETY: `self` is a live folio (type invariants).
        unsafe { ffi::mp_folio_pfn(self.as_raw()) }
    }

    /// The number of pages in the folio.
    pub(crate) fn nr_pages(&self) -> u64 {
        // SAFETY: `self` is a live folio (type invariants).
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
    /// The address walked to.
    addr: usize,
    folio: NonNull<Folio>,
    syms: &'static Symbols,
}

/// What [`FolioWalk::next`] finds at another address.
pub(crate) enum Next<'w> {
    /// This folio is mapped there.
    Folio(&'w Folio),
    /// Nothing is mapped there (a walk of its own finds nothing either).
    Nothing,
    /// Only a walk of its own can tell (a special or PFN mapping).
    Unknown,
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
            addr,
            folio,
            syms,
        })
    }

    /// Whether [`Self::next`] can answer for `addr`: an address of the walk's vma in the page
    /// table the walk holds locked, or in the huge mapping it found.
    pub(crate) fn covers(&self, addr: usize) -> bool {
        // SAFETY: The walk is live (type invariant).
        let span = unsafe { ffi::mp_folio_walk_span(&self.raw) } as usize;
        self.vma.start() <= addr
            && addr < self.vma.end()
            && addr & !(span - 1) == self.addr & !(span - 1)
    }

    /// What is mapped at `addr`, an address [`Self::covers`], as a walk of its own would find
    /// it (`folio_walk_start()` with `FW_ZEROPAGE`), without one: the page table the walk
    /// holds is read at `addr`'s entry, or the huge mapping found is the answer.
    pub(crate) fn next(&self, addr: usize) -> Next<'_> {
        if !self.covers(addr) {
            return Next::Unknown;
        }
        // SAFETY: The walk is live (type invariant).
        if !unsafe { ffi::mp_folio_walk_is_pte(&self.raw) } {
            // One huge mapping covers the span: its folio is mapped at every address of it.
            return Next::Folio(self.folio());
        }
        // SAFETY: The walk holds the page table mapped and locked (type invariant), and `addr`
        // is an address of the walk's vma in that table (checked above).
        let folio = unsafe {
            ffi::mp_folio_walk_pte(
                &self.raw,
                self.vma.as_ptr(),
                self.addr as c_ulong,
                addr as c_ulong,
            )
        };
        if folio.is_null() {
            return Next::Nothing;
        }
        if kernel::error::from_err_ptr(folio).is_err() {
            return Next::Unknown;
        }
        // SAFETY: A folio mapped in the table the walk holds locked stays mapped, so alive, while
        // `self` is borrowed (the type invariants of `Folio`); `Folio` is transparent.
        Next::Folio(unsafe { &*folio.cast::<Folio>() })
    }

    /// The folio found.
    pub(crate) fn folio(&self) -> &Folio {
        // SAFETY: The page-table lock held by the walk keeps the mapping, so the folio, alive
        // while `self` is borrowed (the type invariants of `Folio`).
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
