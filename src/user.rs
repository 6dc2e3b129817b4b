// SPDX-License-Identifier: GPL-2.0

//! The user arrays of a request: `pages`, `nodes` and `status`.
//!
//! Every access goes through `uaccess` with the same granularity as upstream (one element for
//! `get_user`/`put_user`, one chunk for `copy_{from,to}_user`), so a fault in the middle of an
//! array stops at the same element and leaves the same partial writes as the native syscall.
//!
//! The `*_nofault` accessors do not handle a page fault: they fail instead, so they cannot
//! populate a page, break a copy-on-write, wait for userfaultfd or change any address space in
//! any other way. The query path uses them to take larger chunks than upstream only where no
//! user access upstream makes between its chunks could have changed an answer.

use crate::ffi;
use kernel::{
    bindings,
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

/// Returns whether the current system call or ioctl comes from a 32-bit task, whose `pages`
/// array holds 4-byte pointers.
pub(crate) fn in_compat_syscall() -> bool {
    // SAFETY: Reads the current task's syscall state; no requirement.
    unsafe { ffi::mp_in_compat_syscall() }
}

/// `copy_from_user_nofault()` of `out.len()` bytes at user address `addr`: whether every byte was
/// read with no page fault to handle.
fn read_nofault(addr: usize, out: &mut [u8]) -> bool {
    // SAFETY: `out` is a kernel buffer of `out.len()` writable bytes; the function checks the user
    // range itself and, with page faults disabled, only reads it.
    let ret = unsafe {
        bindings::copy_from_user_nofault(
            out.as_mut_ptr().cast(),
            UserPtr::from_addr(addr).as_const_ptr(),
            out.len(),
        )
    };
    ret == 0
}

/// `copy_to_user_nofault()` of `data` to user address `addr`: whether every byte was written with
/// no page fault to handle. On failure, a prefix of `data` may have been written.
fn write_nofault(addr: usize, data: &[u8]) -> bool {
    // SAFETY: `data` is a kernel buffer of `data.len()` readable bytes; the function checks the
    // user range itself and, with page faults disabled, only writes it.
    let ret = unsafe {
        bindings::copy_to_user_nofault(
            UserPtr::from_addr(addr).as_mut_ptr(),
            data.as_ptr().cast(),
            data.len(),
        )
    };
    ret == 0
}

/// The `pages` array: user pointers, 8 bytes each, or 4 bytes each for a 32-bit caller (the
/// layout the syscall's compat path reads).
#[derive(Clone, Copy)]
pub(crate) struct PagesArray {
    base: UserPtr,
    compat: bool,
}

impl PagesArray {
    /// The array at user address `base`; `compat` for a 32-bit caller.
    pub(crate) fn new(base: usize, compat: bool) -> Self {
        Self {
            base: UserPtr::from_addr(base),
            compat,
        }
    }

    /// The user pointer to element `i` (wrapping, as the C pointer arithmetic it mirrors).
    fn ptr(&self, i: usize) -> UserPtr {
        self.base
            .wrapping_byte_add(i.wrapping_mul(self.elem_size()))
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
        self.ptr(i).as_const_ptr() as usize
    }

    /// Whether this is a 32-bit caller's array.
    pub(crate) fn is_compat(&self) -> bool {
        self.compat
    }

    /// `get_user()` of element `i`.
    pub(crate) fn get(&self, i: usize) -> Result<usize> {
        let mut reader = UserSlice::new(self.ptr(i), self.elem_size()).reader();
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
        let bytes = out.as_mut_bytes();
        UserSlice::new(self.ptr(first), bytes.len())
            .reader()
            .read_slice(bytes)
    }

    /// [`Self::read_chunk`] for a native caller without handling a page fault: `false` (and
    /// nothing changed in user space) if a fault would have been needed.
    pub(crate) fn read_chunk_nofault(&self, first: usize, out: &mut [usize]) -> bool {
        !self.compat && read_nofault(self.addr_of(first), out.as_mut_bytes())
    }
}

/// A user array of `int` (`nodes` or `status`).
#[derive(Clone, Copy)]
pub(crate) struct IntArray {
    base: UserPtr,
}

impl IntArray {
    /// The array at user address `base`.
    pub(crate) fn new(base: usize) -> Self {
        Self {
            base: UserPtr::from_addr(base),
        }
    }

    /// The user pointer to element `i` (wrapping, as the C pointer arithmetic it mirrors).
    fn ptr(&self, i: usize) -> UserPtr {
        self.base.wrapping_byte_add(i.wrapping_mul(4))
    }

    /// The user address of element `i`.
    pub(crate) fn addr_of(&self, i: usize) -> usize {
        self.ptr(i).as_const_ptr() as usize
    }

    /// `get_user()` of element `i`.
    pub(crate) fn get(&self, i: usize) -> Result<i32> {
        UserSlice::new(self.ptr(i), 4).reader().read::<i32>()
    }

    /// `out.len()` elements from element `first` on, without handling a page fault: `false` (and
    /// nothing changed in user space) if a fault would have been needed.
    pub(crate) fn read_chunk_nofault(&self, first: usize, out: &mut [i32]) -> bool {
        read_nofault(self.addr_of(first), out.as_mut_bytes())
    }

    /// `put_user()` of element `i`: one store, nothing written if it faults (a slot that
    /// straddles the end of a writable page is left whole).
    pub(crate) fn put(&self, i: usize, value: i32) -> Result {
        // SAFETY: `put_user()` checks the user address itself and handles any fault.
        match unsafe { ffi::mp_put_user_int(self.addr_of(i) as c_ulong, value) } {
            0 => Ok(()),
            _ => Err(EFAULT),
        }
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
        let bytes = values.as_bytes();
        UserSlice::new(self.ptr(first), bytes.len())
            .writer()
            .write_slice(bytes)
    }

    /// [`Self::write_chunk`] without handling a page fault: `false` if a fault would have been
    /// needed, in which case a prefix of `values` may have been written.
    pub(crate) fn write_chunk_nofault(&self, first: usize, values: &[i32]) -> bool {
        write_nofault(self.addr_of(first), values.as_bytes())
    }
}

#[kunit_tests(move_pages_user)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_pointer_or_int_sized_and_addresses_wrap() {
        let native = PagesArray::new(0x1000, false);
        assert_eq!(native.addr_of(0), 0x1000);
        assert_eq!(native.addr_of(3), 0x1018);
        assert!(!native.is_compat());
        let compat = PagesArray::new(0x1000, true);
        assert_eq!(compat.addr_of(3), 0x100c);
        assert!(compat.is_compat());
        let ints = IntArray::new(0x2000);
        assert_eq!(ints.addr_of(5), 0x2014);
        // As C pointer arithmetic: an array near the top of the address space wraps, and the
        // access then faults (EFAULT) like the native syscall's.
        assert_eq!(PagesArray::new(usize::MAX - 7, false).addr_of(2), 8);
        assert_eq!(IntArray::new(usize::MAX - 3).addr_of(2), 4);
        assert_eq!(PagesArray::new(0x10, false).addr_of(usize::MAX), 0x8);
    }
}
