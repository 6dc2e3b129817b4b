// SPDX-License-Identifier: GPL-2.0

//! What the samples share: a buffer of anonymous pages, mapped with `mmap(2)` so that each page
//! is faulted in only when first written (an untouched page has nothing mapped: `-ENOENT`).

use std::ffi::{c_int, c_long, c_void};
use std::io;
use std::ptr::NonNull;

extern "C" {
    fn mmap(
        addr: *mut c_void,
        len: usize,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        off: i64,
    ) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> c_int;
    fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    fn sysconf(name: c_int) -> c_long;
}

// <sys/mman.h> and <unistd.h> of Linux on x86_64 and aarch64 (and most other architectures).
const PROT_READ: c_int = 1;
const PROT_WRITE: c_int = 2;
const MAP_PRIVATE: c_int = 2;
const MAP_ANONYMOUS: c_int = 0x20;
const MADV_NOHUGEPAGE: c_int = 15;
const SC_PAGESIZE: c_int = 30;

/// `nr_pages` pages of private anonymous memory, unmapped on drop.
pub struct Pages {
    base: NonNull<u8>,
    nr_pages: usize,
    page_size: usize,
}

impl Pages {
    /// Maps the pages. None of them is touched yet.
    pub fn new(nr_pages: usize) -> io::Result<Self> {
        // SAFETY: sysconf() only reads its argument.
        let page_size = unsafe { sysconf(SC_PAGESIZE) } as usize;
        let len = nr_pages * page_size;
        let prot = PROT_READ | PROT_WRITE;
        // SAFETY: A new private mapping at an address of the kernel's choice: it aliases nothing.
        let addr = unsafe {
            mmap(
                std::ptr::null_mut(),
                len,
                prot,
                MAP_PRIVATE | MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if addr as isize == -1 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: Only changes how the kernel backs the mapping, not its contents. Keeping
        // transparent huge pages out means that writing one page never fills its neighbours.
        // It fails (harmlessly) with EINVAL on a kernel without THP.
        unsafe { madvise(addr, len, MADV_NOHUGEPAGE) };
        Ok(Self {
            base: NonNull::new(addr.cast()).ok_or(io::ErrorKind::OutOfMemory)?,
            nr_pages,
            page_size,
        })
    }

    /// The size of a page in bytes.
    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// The address of each page: the `pages` array of `move_pages(2)`.
    pub fn addrs(&self) -> Vec<*mut c_void> {
        (0..self.nr_pages)
            .map(|i| self.base.as_ptr().wrapping_add(i * self.page_size).cast())
            .collect()
    }

    /// Page `i`. Reading an untouched page maps the shared zero page there (status `-EFAULT`).
    pub fn page(&self, i: usize) -> &[u8] {
        assert!(i < self.nr_pages);
        // SAFETY: The page is inside the mapping, which is readable and zero-filled until
        // written, and lives as long as `self`; `&self` rules out a `&mut` to it meanwhile.
        // Migration changes which physical page backs it, never its contents.
        unsafe {
            std::slice::from_raw_parts(self.base.as_ptr().add(i * self.page_size), self.page_size)
        }
    }

    /// Page `i`, writable. Writing to it faults it in on some node.
    pub fn page_mut(&mut self, i: usize) -> &mut [u8] {
        assert!(i < self.nr_pages);
        // SAFETY: As in `page()`; `&mut self` makes this the only reference to the page.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.base.as_ptr().add(i * self.page_size),
                self.page_size,
            )
        }
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        // SAFETY: The mapping is ours, and no reference to it outlives `self`.
        unsafe { munmap(self.base.as_ptr().cast(), self.nr_pages * self.page_size) };
    }
}
