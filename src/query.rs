// SPDX-License-Identifier: GPL-2.0

//! The query path: `nodes == NULL` reports the node of each page (`do_pages_stat()`).

use crate::{
    mm_core::FolioWalk,
    symbols::Symbols,
    user::{
        IntArray,
        PagesArray,
        STAT_BIG_CHUNK,
        STAT_CHUNK, //
    },
};
use kernel::{
    mm::{
        virt::VmaRef,
        MmWithUser, //
    },
    prelude::*, //
};

/// The status of the page mapped at `addr` in `vma` (`None`: no vma there): its node, or a
/// negative errno.
fn page_status(syms: &'static Symbols, vma: Option<&VmaRef>, addr: usize) -> i32 {
    let Some(vma) = vma else {
        return EFAULT.to_errno();
    };
    match FolioWalk::start(syms, vma, addr) {
        Some(walk) => {
            let info = walk.folio().info(syms);
            if info.zero {
                EFAULT.to_errno()
            } else if info.zone_device {
                ENOENT.to_errno()
            } else {
                info.nid
            }
        }
        None => ENOENT.to_errno(),
    }
}

/// `do_pages_stat_array()`: the statuses of one chunk, under one mmap read lock.
///
/// Upstream looks each address's vma up in the maple tree; here an address inside the vma
/// found for the entry before reuses it. Under the mmap read lock the vmas cannot change, so
/// the lookup would return that same vma.
fn stat_chunk(syms: &'static Symbols, mm: &MmWithUser, pages: &[usize], status: &mut [i32]) {
    let guard = mm.mmap_read_lock();
    let mut last: Option<&VmaRef> = None;
    for (addr, slot) in pages.iter().zip(status.iter_mut()) {
        let addr = *addr;
        let vma = match last {
            Some(vma) if vma.start() <= addr && addr < vma.end() => Some(vma),
            _ => guard.vma_lookup(addr),
        };
        if vma.is_some() {
            last = vma;
        }
        *slot = page_status(syms, vma, addr);
    }
}

/// Upstream's loop over `nr` entries from `offset`, in chunks of 16: reads a chunk of page
/// pointers, queries it under one mmap read lock, writes its statuses. Returns the number of
/// entries done; fewer than `nr` means a read or write faulted.
fn stat_chunks(
    syms: &'static Symbols,
    mm: &MmWithUser,
    offset: usize,
    nr: usize,
    pages: &PagesArray,
    status: &IntArray,
) -> usize {
    let mut chunk_pages = [0usize; STAT_CHUNK];
    let mut chunk_status = [0i32; STAT_CHUNK];
    let mut done = 0;
    while done < nr {
        let n = (nr - done).min(STAT_CHUNK);
        if pages
            .read_chunk(offset + done, &mut chunk_pages[..n])
            .is_err()
        {
            break;
        }
        stat_chunk(syms, mm, &chunk_pages[..n], &mut chunk_status[..n]);
        if status
            .write_chunk(offset + done, &chunk_status[..n])
            .is_err()
        {
            break;
        }
        done += n;
    }
    done
}

/// Whether the statuses of entries `[offset, offset + nr)` could overwrite their own page
/// pointers (a status array inside the pages array).
fn overlaps(pages: &PagesArray, status: &IntArray, offset: usize, nr: usize) -> bool {
    let (p0, p1) = (pages.addr_of(offset), pages.addr_of(offset + nr));
    let (s0, s1) = (status.addr_of(offset), status.addr_of(offset + nr));
    // Wrapped ranges are treated as overlapping; they fault anyway.
    p1 < p0 || s1 < s0 || (s0 < p1 && p0 < s1)
}

/// `do_pages_stat()`: reports the node of each of `nr_pages` pages.
///
/// Upstream reads 16 page pointers, queries them under one mmap read lock and writes their 16
/// statuses, chunk after chunk. The module takes 64 entries at a time where that cannot change
/// an answer: a 64-bit caller whose status entries do not overlap the page pointers of the same
/// chunk (else a status written for entry `i` could change the pointer read for a later entry
/// of the chunk). If the larger read faults, those 64 entries go through upstream's loop; if the
/// larger write faults, the statuses are written again in upstream's chunks of 16, so exactly
/// the same bytes are written before `-EFAULT`. Queries have no side effect, so querying the
/// entries after a fault changes nothing.
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
    let mut big_pages = [0usize; STAT_BIG_CHUNK];
    let mut big_status = [0i32; STAT_BIG_CHUNK];
    while left > 0 {
        let nr = left.min(STAT_BIG_CHUNK as u64) as usize;
        let done = if nr > STAT_CHUNK
            && !pages.is_compat()
            && !overlaps(&pages, &status, offset, nr)
            && pages.read_chunk(offset, &mut big_pages[..nr]).is_ok()
        {
            stat_chunk(syms, mm, &big_pages[..nr], &mut big_status[..nr]);
            if status.write_chunk(offset, &big_status[..nr]).is_ok() {
                nr
            } else {
                // Upstream's writes, chunk by chunk, up to the one that faults.
                let mut written = 0;
                while written < nr {
                    let n = (nr - written).min(STAT_CHUNK);
                    let chunk = &big_status[written..written + n];
                    if status.write_chunk(offset + written, chunk).is_err() {
                        break;
                    }
                    written += n;
                }
                written
            }
        } else {
            stat_chunks(syms, mm, offset, nr, &pages, &status)
        };
        offset += done;
        left -= done as u64;
        if done < nr {
            break;
        }
    }
    if left > 0 {
        Err(EFAULT)
    } else {
        Ok(0)
    }
}
