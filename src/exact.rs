// SPDX-License-Identifier: GPL-2.0

//! The record behind `MOVE_PAGES_EXT_EXACT_STATUS`: what happened to each queued folio of a
//! batch, so that every page gets a true status.
//!
//! The allocation callback reports each folio's allocation ([`Watch::allocation`]), and the
//! folios the migration core left on the list are the ones that did not move
//! ([`Watch::not_moved`]). A page's [`Fate`] follows.

use crate::{
    folio::Folio,
    isolate::{
        FolioList,
        Watch, //
    },
};
use core::cell::Cell;
use kernel::prelude::*;

/// What the allocation callback saw of one queued folio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alloc {
    /// No destination was asked for: the batch was aborted before this folio.
    NotAsked,
    /// A destination was allocated (the last time it was asked for).
    Allocated,
    /// The destination's allocation failed (the last time it was asked for).
    Failed,
}

/// What happened to one queued page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// It moved.
    Moved,
    /// It did not move: `-ENOMEM` (its destination could not be allocated), `-EBUSY` (it had a
    /// destination, but the migration core gave up on it), `-EAGAIN` (the batch was aborted
    /// before it).
    NotMoved(Error),
}

impl Fate {
    /// The status slot of a page of a batch to `node`.
    pub(crate) fn status(self, node: c_int) -> c_int {
        match self {
            Fate::Moved => node,
            Fate::NotMoved(e) => e.to_errno(),
        }
    }
}

/// The folios of one batch and their fates.
pub(crate) struct BatchLog {
    /// `(first pfn, pages, allocation)` of each queued folio; sorted by pfn during the migration.
    folios: KVec<(u64, u64, Cell<Alloc>)>,
    /// `(first pfn, pages)` of each folio (or part of a split one) that did not move, sorted.
    failed: KVec<(u64, u64)>,
    /// Whether `failed` is known for the last migration (it is not if recording it failed).
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

    /// Records a queued folio of `pages` pages from `pfn`. A batch never holds more folios than
    /// the capacity the log was created with, so this does not allocate.
    pub(crate) fn queued(&mut self, pfn: u64, pages: u64) -> Result {
        self.folios
            .push_within_capacity((pfn, pages, Cell::new(Alloc::NotAsked)))
            .map_err(|_| ENOMEM)
    }

    /// Gets ready for the migration of the folios recorded.
    pub(crate) fn begin(&mut self) {
        self.folios.sort_unstable_by_key(|f| f.0);
        self.failed.clear();
        self.known = false;
    }

    /// The index of the queued folio that holds `pfn` (the folios are sorted by then).
    fn find(&self, pfn: u64) -> Option<usize> {
        let i = self.folios.partition_point(|f| f.0 <= pfn).checked_sub(1)?;
        (pfn < self.folios[i].0 + self.folios[i].1).then_some(i)
    }

    /// Records that the allocation for the source folio starting at `pfn` succeeded or not.
    fn allocation_at(&self, pfn: u64, ok: bool) {
        if let Some(i) = self.find(pfn) {
            self.folios[i]
                .2
                .set(if ok { Alloc::Allocated } else { Alloc::Failed });
        }
    }

    /// Records the `(first pfn, pages)` of the folios that did not move.
    fn not_moved_ranges(&mut self, ranges: impl Iterator<Item = (u64, u64)>) -> Result {
        self.failed.clear();
        for range in ranges {
            self.failed.push(range, GFP_KERNEL)?;
        }
        self.failed.sort_unstable_by_key(|f| f.0);
        self.known = true;
        Ok(())
    }

    /// What happened to the page `pfn` of a queued folio in the last migration.
    pub(crate) fn fate(&self, pfn: u64) -> Fate {
        let Some(i) = self.failed.partition_point(|f| f.0 <= pfn).checked_sub(1) else {
            return Fate::Moved;
        };
        if pfn >= self.failed[i].0 + self.failed[i].1 {
            return Fate::Moved;
        }
        Fate::NotMoved(match self.find(pfn).map(|f| self.folios[f].2.get()) {
            Some(Alloc::Failed) => ENOMEM,
            Some(Alloc::Allocated) => EBUSY,
            _ => EAGAIN,
        })
    }
}

impl Watch for BatchLog {
    fn allocation(&self, src: &Folio, ok: bool) {
        self.allocation_at(src.pfn(), ok);
    }

    fn not_moved(&mut self, list: &FolioList) -> Result {
        self.not_moved_ranges(list.folios().iter().map(|f| (f.pfn(), f.nr_pages())))
    }
}

#[kunit_tests(move_pages_exact)]
mod tests {
    use super::*;

    /// A log of folios `(pfn, pages)`, migrated: `allocs` per folio, `failed` left over.
    fn log(folios: &[(u64, u64)], allocs: &[Option<bool>], failed: &[(u64, u64)]) -> BatchLog {
        let Ok(mut log) = BatchLog::with_capacity(folios.len()) else {
            panic!("no memory for a test log");
        };
        for &(pfn, pages) in folios {
            assert!(log.queued(pfn, pages).is_ok());
        }
        log.begin();
        for (&(pfn, _), alloc) in folios.iter().zip(allocs) {
            if let Some(ok) = alloc {
                log.allocation_at(pfn, *ok);
            }
        }
        assert!(log.not_moved_ranges(failed.iter().copied()).is_ok());
        log
    }

    #[test]
    fn moved_pages_are_moved() {
        let l = log(&[(100, 1), (300, 512)], &[Some(true), Some(true)], &[]);
        assert!(l.known());
        assert_eq!(l.fate(100), Fate::Moved);
        assert_eq!(l.fate(300), Fate::Moved);
        assert_eq!(l.fate(811), Fate::Moved);
    }

    #[test]
    fn each_failure_has_its_reason() {
        // Queued out of order: the log sorts them.
        let l = log(
            &[(500, 1), (100, 1), (200, 1)],
            &[None, Some(false), Some(true)],
            &[(100, 1), (200, 1), (500, 1)],
        );
        assert_eq!(l.fate(100), Fate::NotMoved(ENOMEM));
        assert_eq!(l.fate(200), Fate::NotMoved(EBUSY));
        assert_eq!(l.fate(500), Fate::NotMoved(EAGAIN));
    }

    #[test]
    fn a_split_folio_fails_page_by_range() {
        // A THP of 512 pages split; its second half did not move.
        let l = log(&[(1024, 512)], &[Some(true)], &[(1280, 256)]);
        assert_eq!(l.fate(1024), Fate::Moved);
        assert_eq!(l.fate(1279), Fate::Moved);
        assert_eq!(l.fate(1280), Fate::NotMoved(EBUSY));
        assert_eq!(l.fate(1535), Fate::NotMoved(EBUSY));
        assert_eq!(l.fate(1536), Fate::Moved);
    }

    #[test]
    fn status_is_the_node_or_the_errno() {
        assert_eq!(Fate::Moved.status(3), 3);
        assert_eq!(Fate::NotMoved(ENOMEM).status(3), -12);
        assert_eq!(Fate::NotMoved(EBUSY).status(0), -16);
        assert_eq!(Fate::NotMoved(EAGAIN).status(1), -11);
    }

    #[test]
    fn the_log_never_grows_past_its_capacity() {
        let mut l = log(&[(1, 1)], &[None], &[]);
        l.clear();
        assert!(!l.known());
        assert!(l.queued(7, 1).is_ok());
        assert_eq!(l.queued(8, 1), Err(ENOMEM));
    }
}
