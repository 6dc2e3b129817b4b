// SPDX-License-Identifier: GPL-2.0

//! The user arrays of a request: `pages`, `nodes` and `status`.
//!
//! Every access goes through `uaccess` with the same granularity as upstream (one element for
//! `get_user`/`put_user`, one chunk for `copy_{from,to}_user`), so a fault in the middle of an
//! array stops at the same element and leaves the same partial writes as the native syscall.

use kernel::{
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

/// The `pages` array: user pointers, 8 bytes each, or 4 bytes each for a 32-bit caller (the
/// layout the syscall's compat path reads).
#[derive(Clone, Copy)]
pub(crate) struct PagesArray {
    base: usize,
    compat: bool,
}

impl PagesArray {
    /// The array at user address `base`; `compat` for a 32-bit caller.
    pub(crate) fn new(base: usize, compat: bool) -> Self {
        Self { base, compat }
    }

    fn elem_size(&self) -> usize {
        if self.compat {
            4
        } else {
            8
        }
    }

    /// The user address of element `i`.
    pub(crate) fn addr_of(&self, i: usize) -> usize {
        self.base.wrapping_add(i.wrapping_mul(self.elem_size()))
    }

    /// Whether this is a 32-bit caller's array.
    pub(crate) fn is_compat(&self) -> bool {
        self.compat
    }

    /// `get_user()` of element `i`.
    pub(crate) fn get(&self, i: usize) -> Result<usize> {
        let addr = self.base.wrapping_add(i.wrapping_mul(self.elem_size()));
        let mut reader = UserSlice::new(UserPtr::from_addr(addr), self.elem_size()).reader();
        if self.compat {
            Ok(reader.read::<u32>()? as usize)
        } else {
            Ok(reader.read::<u64>()? as usize)
        }
    }

    /// Reads `out.len()` elements from element `first` on: one `copy_from_user()` for a native
    /// caller, a `get_user()` per element for a 32-bit one (as `get_compat_pages_array()`).
    pub(crate) fn read_chunk(&self, first: usize, out: &mut [usize]) -> Result {
        if self.compat {
            for (i, slot) in out.iter_mut().enumerate() {
                *slot = self.get(first + i)?;
            }
            return Ok(());
        }
        let mut bytes = [0u8; 8 * STAT_BIG_CHUNK];
        let len = out.len() * 8;
        let bytes = bytes.get_mut(..len).ok_or(EINVAL)?;
        let addr = self.base.wrapping_add(first.wrapping_mul(8));
        UserSlice::new(UserPtr::from_addr(addr), len)
            .reader()
            .read_slice(bytes)?;
        for (i, slot) in out.iter_mut().enumerate() {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            *slot = u64::from_ne_bytes(raw) as usize;
        }
        Ok(())
    }
}

/// The number of pages the query path handles per chunk (`DO_PAGES_STAT_CHUNK_NR`).
pub(crate) const STAT_CHUNK: usize = 16;
/// The larger chunk the query path uses where the answers cannot differ (see `query.rs`).
pub(crate) const STAT_BIG_CHUNK: usize = 4 * STAT_CHUNK;

/// A user array of `int` (`nodes` or `status`).
#[derive(Clone, Copy)]
pub(crate) struct IntArray {
    base: usize,
}

impl IntArray {
    /// The array at user address `base`.
    pub(crate) fn new(base: usize) -> Self {
        Self { base }
    }

    fn ptr(&self, i: usize) -> UserPtr {
        UserPtr::from_addr(self.addr_of(i))
    }

    /// The user address of element `i`.
    pub(crate) fn addr_of(&self, i: usize) -> usize {
        self.base.wrapping_add(i.wrapping_mul(4))
    }

    /// `get_user()` of element `i`.
    pub(crate) fn get(&self, i: usize) -> Result<i32> {
        UserSlice::new(self.ptr(i), 4).reader().read::<i32>()
    }

    /// `put_user()` of element `i`.
    pub(crate) fn put(&self, i: usize, value: i32) -> Result {
        UserSlice::new(self.ptr(i), 4).writer().write(&value)
    }

    /// `store_status()`: writes `value` to `nr` elements from `start`, stopping at the first
    /// fault.
    pub(crate) fn fill(&self, start: usize, value: i32, nr: usize) -> Result {
        for i in start..start + nr {
            self.put(i, value)?;
        }
        Ok(())
    }

    /// `copy_to_user()` of `values` from element `first` on.
    pub(crate) fn write_chunk(&self, first: usize, values: &[i32]) -> Result {
        let mut bytes = [0u8; 4 * STAT_BIG_CHUNK];
        let len = values.len() * 4;
        let bytes = bytes.get_mut(..len).ok_or(EINVAL)?;
        for (i, v) in values.iter().enumerate() {
            bytes[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
        }
        UserSlice::new(self.ptr(first), len)
            .writer()
            .write_slice(bytes)
    }
}
