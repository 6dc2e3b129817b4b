// SPDX-License-Identifier: GPL-2.0

//! The query path: `nodes == NULL` reports the node of each page (`do_pages_stat()`).

use crate::{
    folio::{
        Folio,
        FolioWalk,
        Next, //
    },
    symbols::Symbols,
    user::{
        IntArray,
        PagesArray, //
    },
};
use kernel::{
    mm::{
        virt::VmaRef,
        MmWithUser, //
    },
    prelude::*, //
};

/// The number of pages upstream's query handles per chunk (`DO_PAGES_STAT_CHUNK_NR`).
const STAT_CHUNK: usize = 16;

/// The status of a page where `folio` is mapped: its node, or a negative errno.
fn folio_status(syms: &'static Symbols, folio: &Folio) -> i32 {
    let info = folio.info(syms);
    if info.zero {
        EFAULT.to_errno()
    } else if info.zone_device {
        ENOENT.to_errno()
    } else {
        info.nid
    }
}

/// `do_pages_stat_array()`: the statuses of one chunk, under one mmap read lock.
///
/// Upstream looks each address's vma up in the maple tree and walks the page tables to it;
/// here an address inside the vma found for the entry before reuses it (under the mmap read
/// lock the vmas cannot change, so the lookup would return that same vma), and the entries
/// that follow an entry in the same page table (or the same huge mapping) are read from the
/// table its walk holds locked, without a walk of their own: one page-table entry read per
/// entry. An entry the table alone cannot answer for (a special or PFN mapping, such as the
/// zero page) ends the run and gets a walk of its own. Holding the table's lock over a run
/// answers for every entry of the run at one instant, which a sequence of walks may also have
/// seen.
fn stat_chunk(syms: &'static Symbols, mm: &MmWithUser, pages: &[usize], status: &mut [i32]) {
    let guard = mm.mmap_read_lock();
    let mut last: Option<&VmaRef> = None;
    let mut i = 0;
    while i < pages.len() {
        let addr = pages[i];
        let vma = match last {
            Some(vma) if vma.start() <= addr && addr < vma.end() => Some(vma),
            _ => guard.vma_lookup(addr),
        };
        let Some(vma) = vma else {
            status[i] = EFAULT.to_errno();
            i += 1;
            continue;
        };
        last = Some(vma);
        let Some(walk) = FolioWalk::start(syms, vma, addr) else {
            status[i] = ENOENT.to_errno();
            i += 1;
            continue;
        };
        status[i] = folio_status(syms, walk.folio());
        i += 1;
        while let Some(&next) = pages.get(i) {
            status[i] = match walk.next(next) {
                Next::Folio(folio) => folio_status(syms, folio),
                Next::Nothing => ENOENT.to_errno(),
                Next::Unknown => break,
            };
            i += 1;
        }
    }
}

/// Upstream's loop over `nr` entries from `offset`, in chunks of 16: reads a chunk of page
/// pointers, queries it under one mmap read lock, writes its statuses. `EFAULT` when a read or
/// write faults; the chunks before it have been written.
fn stat_chunks(
    syms: &'static Symbols,
    mm: &MmWithUser,
    offset: usize,
    nr: usize,
    pages: &PagesArray,
    status: &IntArray,
) -> Result {
    let mut chunk_pages = [0usize; STAT_CHUNK];
    let mut chunk_status = [0i32; STAT_CHUNK];
    let mut done = 0;
    while done < nr {
        let n = (nr - done).min(STAT_CHUNK);
        pages.read_chunk(offset + done, &mut chunk_pages[..n])?;
        stat_chunk(syms, mm, &chunk_pages[..n], &mut chunk_status[..n]);
        status.write_chunk(offset + done, &chunk_status[..n])?;
        done += n;
    }
    Ok(())
}

/// Entries the query path takes at a time when no user access needs a page fault: 32 of
/// upstream's chunks, so one read of the page pointers and one mmap read lock for 512 entries
/// (a page table's worth of consecutive pages).
const BIG_CHUNK: usize = 32 * STAT_CHUNK;

/// How far [`stat_big_chunk`] got.
enum BigChunk {
    /// Every status was written.
    Done,
    /// The page pointers could not be read without a page fault: nothing was done.
    NotRead,
    /// The chunks (of [`STAT_CHUNK`] entries) before `chunk` were written; `status` holds the
    /// statuses of `chunk`, which could not be written without a page fault.
    WriteFaults {
        chunk: usize,
        status: [i32; STAT_CHUNK],
    },
}

/// Queries `big.len()` entries from `offset` under one mmap read lock, with user accesses that
/// handle no page fault.
///
/// Upstream reads and queries chunk `k + 1` after it has written the statuses of chunk `k`. A user
/// access that needs a page fault can change the address space being queried: a read or write
/// populates a page never touched, a write replaces a zero-page mapping or breaks a copy-on-write,
/// a userfaultfd handler can do anything. Accesses that handle no fault change nothing but the
/// bytes written, and the statuses do not overlap the page pointers (checked by the caller), so
/// doing the reads first and the writes last gives upstream's answers. The first access that
/// would need a fault stops this; the caller continues at that point in upstream's order.
///
fn stat_big_chunk(
    syms: &'static Symbols,
    mm: &MmWithUser,
    offset: usize,
    big: &mut Big,
    nr: usize,
    pages: &PagesArray,
    status: &IntArray,
) -> BigChunk {
    let (big_pages, big_status) = (&mut big.pages[..nr], &mut big.status[..nr]);
    if !pages.read_chunk_nofault(offset, big_pages) {
        return BigChunk::NotRead;
    }
    stat_chunk(syms, mm, big_pages, big_status);
    for (chunk, values) in big_status.chunks(STAT_CHUNK).enumerate() {
        // A failed write may have written a prefix of `values`: the same bytes upstream's
        // `copy_to_user()` of this chunk writes first.
        if !status.write_chunk_nofault(offset + chunk * STAT_CHUNK, values) {
            let mut status = [0i32; STAT_CHUNK];
            for (slot, value) in status.iter_mut().zip(values) {
                *slot = *value;
            }
            return BigChunk::WriteFaults { chunk, status };
        }
    }
    BigChunk::Done
}

/// The buffers of [`stat_big_chunk`]: [`BIG_CHUNK`] page pointers and statuses at most.
struct Big {
    pages: KVec<usize>,
    status: KVec<i32>,
}

impl Big {
    /// Buffers for `nr` entries, or `None`: then the query takes upstream's chunks only, which
    /// need no allocation.
    fn new(nr: usize) -> Option<Self> {
        Some(Self {
            pages: KVec::from_elem(0, nr, GFP_KERNEL).ok()?,
            status: KVec::from_elem(0, nr, GFP_KERNEL).ok()?,
        })
    }
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
/// statuses, chunk after chunk. The module takes 512 entries at a time as long as that cannot
/// change an answer (see [`stat_big_chunk`]): a 64-bit caller, status entries that do not overlap
/// the page pointers of the same 512, and no user access that needs a page fault. From the first
/// access that would need one, the 512 entries go on in upstream's order and chunks.
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
    let mut big = if nr_pages > STAT_CHUNK as u64 && !pages.is_compat() {
        Big::new(nr_pages.min(BIG_CHUNK as u64) as usize)
    } else {
        None
    };
    while left > 0 {
        let nr = left.min(BIG_CHUNK as u64) as usize;
        let mut done = 0;
        let fits = big.as_ref().is_some_and(|b| b.pages.len() >= nr);
        if let Some(b) = big
            .as_mut()
            .filter(|_| fits && nr > STAT_CHUNK && !overlaps(&pages, &status, offset, nr))
        {
            match stat_big_chunk(syms, mm, offset, b, nr, &pages, &status) {
                BigChunk::Done => done = nr,
                BigChunk::NotRead => (),
                BigChunk::WriteFaults {
                    chunk,
                    status: values,
                } => {
                    // Upstream's write of this chunk, faults handled.
                    let first = chunk * STAT_CHUNK;
                    let n = (nr - first).min(STAT_CHUNK);
                    status.write_chunk(offset + first, &values[..n])?;
                    done = first + n;
                }
            }
        }
        stat_chunks(syms, mm, offset + done, nr - done, &pages, &status)?;
        offset += nr;
        left -= nr as u64;
    }
    Ok(0)
}

#[kunit_tests(move_pages_query)]
mod tests {
    use super::*;

    fn native(pages: usize) -> PagesArray {
        PagesArray::new(pages, false)
    }

    #[test]
    fn separate_arrays_do_not_overlap() {
        // 64 pointers at 0x10000 (512 bytes), 64 statuses right after them, or before.
        assert!(!overlaps(&native(0x10000), &IntArray::new(0x10200), 0, 64));
        assert!(!overlaps(
            &native(0x10000),
            &IntArray::new(0x10000 - 256),
            0,
            64
        ));
        // Entries 64..128: the statuses at 0x10100 + 256 cover 0x10200..0x10300, the pointers
        // 0x10200..0x10400.
        assert!(overlaps(&native(0x10000), &IntArray::new(0x10100), 64, 64));
    }

    #[test]
    fn statuses_inside_the_pointers_overlap() {
        assert!(overlaps(&native(0x10000), &IntArray::new(0x10000), 0, 64));
        assert!(overlaps(&native(0x10000), &IntArray::new(0x101fc), 0, 64));
        // The last status slot touches the first pointer's last byte.
        assert!(overlaps(
            &native(0x10004),
            &IntArray::new(0x10004 - 252),
            0,
            64
        ));
        assert!(!overlaps(
            &native(0x10004),
            &IntArray::new(0x10004 - 256),
            0,
            64
        ));
    }

    #[test]
    fn wrapping_ranges_count_as_overlapping() {
        let top = usize::MAX - 100;
        assert!(overlaps(&native(top), &IntArray::new(0x10000), 0, 64));
        assert!(overlaps(&native(0x10000), &IntArray::new(top), 0, 64));
    }
}
