// SPDX-License-Identifier: GPL-2.0

//! The query path: `nodes == NULL` reports the node of each page (`do_pages_stat()`).

use crate::{
    mm_core::FolioWalk,
    symbols::Symbols,
    user::{
        IntArray,
        PagesArray,
        STAT_CHUNK, //
    },
};
use kernel::{
    mm::MmWithUser,
    prelude::*, //
};

/// The status of the page mapped at `addr`: its node, or a negative errno.
fn page_status(syms: &'static Symbols, guard: &kernel::mm::MmapReadGuard<'_>, addr: usize) -> i32 {
    let Some(vma) = guard.vma_lookup(addr) else {
        return EFAULT.to_errno();
    };
    match FolioWalk::start(syms, vma, addr) {
        Some(walk) => {
            let folio = walk.folio();
            if folio.is_zero(syms) {
                EFAULT.to_errno()
            } else if folio.is_zone_device() {
                ENOENT.to_errno()
            } else {
                folio.nid()
            }
        }
        None => ENOENT.to_errno(),
    }
}

/// `do_pages_stat_array()`: the statuses of one chunk, under one mmap read lock.
fn stat_chunk(syms: &'static Symbols, mm: &MmWithUser, pages: &[usize], status: &mut [i32]) {
    let guard = mm.mmap_read_lock();
    for (addr, slot) in pages.iter().zip(status.iter_mut()) {
        *slot = page_status(syms, &guard, *addr);
    }
}

/// `do_pages_stat()`: reports the node of each of `nr_pages` pages, in chunks of 16.
///
/// Returns `-EFAULT` when an array cannot be read or written; chunks before the fault have been
/// written, as upstream.
pub(crate) fn do_pages_stat(
    syms: &'static Symbols,
    mm: &MmWithUser,
    nr_pages: u64,
    pages: PagesArray,
    status: IntArray,
) -> Result<isize> {
    let mut left = nr_pages;
    let mut offset = 0usize;
    let mut chunk_pages = [0usize; STAT_CHUNK];
    let mut chunk_status = [0i32; STAT_CHUNK];
    while left > 0 {
        let nr = left.min(STAT_CHUNK as u64) as usize;
        if pages.read_chunk(offset, &mut chunk_pages[..nr]).is_err() {
            break;
        }
        stat_chunk(syms, mm, &chunk_pages[..nr], &mut chunk_status[..nr]);
        if status.write_chunk(offset, &chunk_status[..nr]).is_err() {
            break;
        }
        offset += nr;
        left -= nr as u64;
    }
    if left > 0 {
        Err(EFAULT)
    } else {
        Ok(0)
    }
}
