// SPDX-License-Identifier: GPL-2.0

//! User-space access to the move_pages module: `move_pages(2)` through the ioctl of
//! `/dev/move_pages`.
//!
//! [`move_pages`] has libnuma's C signature and semantics (return value, `errno`, status array),
//! so a C program can link against this library instead of libnuma; [`Device::move_pages`] is the
//! safe Rust interface. The ABI is `include/uapi/linux/move_pages.h`; the types and constants
//! here mirror it, and `tests/abi.rs` checks the mirror against the header with a C compiler.

use std::ffi::{c_int, c_long, c_ulong, c_void};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::OnceLock;

/// `MOVE_PAGES_DEVICE`: path of the module's device node.
pub const DEVICE: &str = "/dev/move_pages";

/// `MPOL_MF_MOVE`: move pages mapped only by the target process.
pub const MPOL_MF_MOVE: c_int = 1 << 1;
/// `MPOL_MF_MOVE_ALL`: move shared pages too (needs `CAP_SYS_NICE`).
pub const MPOL_MF_MOVE_ALL: c_int = 1 << 2;

/// `struct move_pages_args` of the uapi header.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MovePagesArgs {
    /// `sizeof(struct move_pages_args)`.
    pub size: u32,
    /// `MPOL_MF_*` flags.
    pub flags: u32,
    /// Target process, 0 for the caller.
    pub pid: i32,
    /// Extension flags; 0 for the system call's exact behaviour.
    pub ext_flags: u32,
    /// Number of entries in each array.
    pub nr_pages: u64,
    /// Address of the array of page addresses.
    pub pages: u64,
    /// Address of the target nodes, 0 to query.
    pub nodes: u64,
    /// Address of the status array.
    pub status: u64,
    /// With [`MOVE_PAGES_EXT_PARALLEL`], the most threads that move the pages (the caller
    /// included), 0 for the module's choice; must be 0 without it.
    pub workers: u32,
    /// Must be zero.
    pub reserved: [u32; 3],
}

/// `MOVE_PAGES_ARGS_SIZE_VER0`.
pub const ARGS_SIZE_VER0: u32 = 64;

/// `MOVE_PAGES_EXT_GROUP_BY_NODE`: in each window of [`MOVE_PAGES_EXT_WINDOW`] entries, move all
/// the pages bound for one node in one batch.
pub const MOVE_PAGES_EXT_GROUP_BY_NODE: u32 = 1 << 0;
/// `MOVE_PAGES_EXT_EXACT_STATUS`: write the status of every page of a batch the migration core
/// failed in part, and go on with the rest.
pub const MOVE_PAGES_EXT_EXACT_STATUS: u32 = 1 << 1;
/// `MOVE_PAGES_EXT_PARALLEL`: share a large move among CPUs (the caller and per-CPU workers on
/// the CPUs it may run on); implies [`MOVE_PAGES_EXT_EXACT_STATUS`].
pub const MOVE_PAGES_EXT_PARALLEL: u32 = 1 << 2;
/// `MOVE_PAGES_EXT_PARALLEL_MIN`: requests with fewer entries run on the caller alone.
pub const MOVE_PAGES_EXT_PARALLEL_MIN: usize = 1024;
/// `MOVE_PAGES_EXT_WINDOW`: the number of entries [`MOVE_PAGES_EXT_GROUP_BY_NODE`] groups at a
/// time.
pub const MOVE_PAGES_EXT_WINDOW: usize = 1024;

/// `_IOC_WRITE` of `<asm-generic/ioctl.h>`.
const IOC_WRITE: c_ulong = 1;
/// `MOVE_PAGES_IOC_MAGIC`: the ioctl type of the device.
pub const IOC_MAGIC: c_ulong = 0xB7;
/// `MOVE_PAGES_IOC_NR_MOVE`: the number of the move request.
pub const IOC_NR_MOVE: c_ulong = 0x01;

/// `MOVE_PAGES_IOC_MOVE`: `_IOW(MOVE_PAGES_IOC_MAGIC, MOVE_PAGES_IOC_NR_MOVE,
/// struct move_pages_args)`.
pub const MOVE_PAGES_IOC_MOVE: c_ulong = (IOC_WRITE << 30)
    | ((std::mem::size_of::<MovePagesArgs>() as c_ulong) << 16)
    | (IOC_MAGIC << 8)
    | IOC_NR_MOVE;

extern "C" {
    fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
}

/// An open `/dev/move_pages`.
pub struct Device {
    file: File,
}

impl Device {
    /// Opens the device; fails with `ENOENT` when the module is not loaded.
    pub fn open() -> io::Result<Self> {
        let file = File::options().read(true).write(true).open(DEVICE)?;
        Ok(Self { file })
    }

    /// Runs one request as raw arguments; returns the ioctl's return value (the number of pages
    /// not migrated) or the error it set.
    ///
    /// # Safety
    ///
    /// The addresses in `args` are read and written by the kernel as `move_pages(2)` would:
    /// they must be arrays of `nr_pages` entries (or fault cleanly).
    pub unsafe fn raw(&self, args: &MovePagesArgs) -> io::Result<usize> {
        // SAFETY: `args` is a valid `struct move_pages_args`; the arrays it names are the
        // caller's responsibility.
        let ret = unsafe { ioctl(self.file.as_raw_fd(), MOVE_PAGES_IOC_MOVE, args) };
        if ret < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(ret as usize)
        }
    }

    /// `move_pages(2)`: queries (`nodes == None`) or moves `pages` of process `pid` (0: the
    /// caller), filling `status` with each page's node or a negative errno.
    ///
    /// Returns the number of pages not migrated. `nodes` and `status` must be as long as `pages`.
    pub fn move_pages(
        &self,
        pid: i32,
        pages: &[*mut c_void],
        nodes: Option<&[c_int]>,
        status: &mut [c_int],
        flags: c_int,
    ) -> io::Result<usize> {
        self.move_pages_ext(pid, pages, nodes, status, flags, Extensions::default())
    }

    /// [`Device::move_pages`] with the module's extensions `ext` (a query ignores them).
    pub fn move_pages_ext(
        &self,
        pid: i32,
        pages: &[*mut c_void],
        nodes: Option<&[c_int]>,
        status: &mut [c_int],
        flags: c_int,
        ext: Extensions,
    ) -> io::Result<usize> {
        check_lengths(pages.len(), nodes.map(<[c_int]>::len), status.len())?;
        let args = MovePagesArgs {
            size: ARGS_SIZE_VER0,
            flags: flags as u32,
            pid,
            ext_flags: ext.flags,
            workers: ext.workers,
            nr_pages: pages.len() as u64,
            pages: pages.as_ptr() as u64,
            nodes: nodes.map_or(0, |n| n.as_ptr() as u64),
            status: status.as_mut_ptr() as u64,
            ..Default::default()
        };
        // SAFETY: The arrays are live slices of at least `pages.len()` entries; the kernel only
        // reads the pages' addresses, never dereferences them in this process.
        unsafe { self.raw(&args) }
    }
}

/// The module's extensions for a request: `MOVE_PAGES_EXT_*` flags and, with
/// [`MOVE_PAGES_EXT_PARALLEL`], the most threads (0: the module's choice). The default is plain
/// `move_pages(2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extensions {
    /// `MOVE_PAGES_EXT_*` flags.
    pub flags: u32,
    /// The most threads, with [`MOVE_PAGES_EXT_PARALLEL`].
    pub workers: u32,
}

impl Extensions {
    /// Plain `move_pages(2)`.
    pub const PLAIN: Self = Self {
        flags: 0,
        workers: 0,
    };
    /// The fastest and most exact: parallel, grouped by node, exact statuses.
    pub const FASTEST: Self = Self {
        flags: MOVE_PAGES_EXT_PARALLEL | MOVE_PAGES_EXT_GROUP_BY_NODE | MOVE_PAGES_EXT_EXACT_STATUS,
        workers: 0,
    };

    /// The names of the flags, in bit order: `parallel`, `group_by_node`, `exact_status`.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (MOVE_PAGES_EXT_GROUP_BY_NODE, "group_by_node"),
            (MOVE_PAGES_EXT_EXACT_STATUS, "exact_status"),
            (MOVE_PAGES_EXT_PARALLEL, "parallel"),
        ]
        .iter()
        .filter(|(bit, _)| self.flags & bit != 0)
        .map(|&(_, name)| name)
        .collect()
    }
}

/// `EINVAL` unless `nodes` (if any) and `status` have an entry for every page.
fn check_lengths(pages: usize, nodes: Option<usize>, status: usize) -> io::Result<()> {
    if status < pages || nodes.is_some_and(|n| n < pages) {
        return Err(io::Error::from_raw_os_error(22));
    }
    Ok(())
}

fn shared_device() -> Result<&'static Device, c_int> {
    static DEV: OnceLock<Result<Device, c_int>> = OnceLock::new();
    DEV.get_or_init(|| Device::open().map_err(|e| e.raw_os_error().unwrap_or(5)))
        .as_ref()
        .map_err(|e| *e)
}

fn set_errno(e: c_int) {
    extern "C" {
        fn __errno_location() -> *mut c_int;
    }
    // SAFETY: glibc's thread-local errno.
    unsafe { *__errno_location() = e };
}

/// libnuma's `move_pages()`, served by the module: same arguments, return value and `errno`.
///
/// # Safety
///
/// As for `move_pages(2)`: `pages`, `nodes` (unless null) and `status` are arrays of `count`
/// entries, or the call fails with `EFAULT` as the system call would.
#[no_mangle]
pub unsafe extern "C" fn move_pages(
    pid: c_int,
    count: c_ulong,
    pages: *mut *mut c_void,
    nodes: *const c_int,
    status: *mut c_int,
    flags: c_int,
) -> c_long {
    let dev = match shared_device() {
        Ok(dev) => dev,
        Err(e) => {
            set_errno(e);
            return -1;
        }
    };
    // `c_ulong` is `u32` on 32-bit targets, where the conversion is not useless.
    #[allow(clippy::useless_conversion)]
    let args = MovePagesArgs {
        size: ARGS_SIZE_VER0,
        flags: flags as u32,
        pid,
        nr_pages: u64::from(count),
        pages: pages as u64,
        nodes: nodes as u64,
        status: status as u64,
        ..Default::default()
    };
    // SAFETY: The arrays are the caller's, as for the system call.
    match unsafe { dev.raw(&args) } {
        Ok(n) => n as c_long,
        Err(e) => {
            set_errno(e.raw_os_error().unwrap_or(5));
            -1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_layout_matches_the_uapi_header() {
        assert_eq!(std::mem::size_of::<MovePagesArgs>(), 64);
        assert_eq!(std::mem::offset_of!(MovePagesArgs, nr_pages), 16);
        assert_eq!(std::mem::offset_of!(MovePagesArgs, status), 40);
        assert_eq!(std::mem::offset_of!(MovePagesArgs, workers), 48);
        assert_eq!(std::mem::offset_of!(MovePagesArgs, reserved), 52);
    }

    #[test]
    fn ioctl_number_is_iow_b7_01_64_bytes() {
        assert_eq!(MOVE_PAGES_IOC_MOVE, 0x4040_b701);
    }

    #[test]
    fn short_arrays_are_einval() {
        assert_eq!(
            check_lengths(2, None, 1).unwrap_err().raw_os_error(),
            Some(22)
        );
        assert_eq!(
            check_lengths(2, Some(1), 2).unwrap_err().raw_os_error(),
            Some(22)
        );
        assert!(check_lengths(2, Some(2), 2).is_ok());
        assert!(check_lengths(0, None, 0).is_ok());
    }
}
