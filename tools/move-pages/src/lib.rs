// SPDX-License-Identifier: GPL-2.0

//! User-space access to the `move_pages` kernel module: `move_pages(2)` through the ioctl of its
//! device, `/dev/move_pages`.
//!
//! For a process (the caller, or another one by pid) and an array of addresses in it, a request
//! reports which NUMA node each page is on (a query: no target nodes) or migrates each page to
//! the node given for it. It writes a status per page (the node, or a negative errno) and
//! returns what the system call returns. The permission checks and errors are those of
//! `move_pages(2)`.
//!
//! # The device
//!
//! `/dev/move_pages` exists while the module is loaded:
//!
//! ```sh
//! insmod move_pages.ko    # a module just built
//! modprobe move_pages     # a module installed
//! ```
//!
//! Without it, [`Device::open`] fails with `ENOENT` ([`std::io::ErrorKind::NotFound`]), and
//! [`move_pages`] returns -1 with `errno` set to `ENOENT`.
//!
//! # Interfaces
//!
//! - [`Device::move_pages`] is the safe Rust interface, [`Device::move_pages_ext`] the same with
//!   the module's extensions ([`Extensions`]), and [`Device::raw`] passes a [`MovePagesArgs`]
//!   as it is.
//! - [`move_pages`] has libnuma's C signature and semantics (return value, `errno`, status
//!   array), so a C program can link against this library instead of libnuma and have its calls
//!   served through the device.
//!
//! # Example
//!
//! Which node a page of this process is on:
//!
//! ```no_run
//! use move_pages::Device;
//! use std::ffi::{c_int, c_void};
//!
//! fn main() -> std::io::Result<()> {
//!     let dev = Device::open()?;
//!     let buf = vec![1u8; 4096];
//!     let pages = [buf.as_ptr() as *mut c_void];
//!     let mut status: [c_int; 1] = [0];
//!     dev.move_pages(0, &pages, None, &mut status, 0)?;
//!     println!("on node {}", status[0]);
//!     Ok(())
//! }
//! ```
//!
//! # ABI
//!
//! The ABI is the module's `include/uapi/linux/move_pages.h`; the types and constants here
//! mirror it (the crate's tests compare the mirror with the header).

#![deny(missing_docs)]

use nix::errno::Errno;
use std::ffi::{c_int, c_long, c_ulong, c_void};
use std::fs::File;
use std::io;
use std::mem::size_of;
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

/// `MOVE_PAGES_IOC_MAGIC`: the ioctl type of the device.
pub const IOC_MAGIC: c_ulong = 0xB7;
/// `MOVE_PAGES_IOC_NR_MOVE`: the number of the move request.
pub const IOC_NR_MOVE: c_ulong = 0x01;

/// `MOVE_PAGES_IOC_MOVE`: `_IOW(MOVE_PAGES_IOC_MAGIC, MOVE_PAGES_IOC_NR_MOVE,
/// struct move_pages_args)`.
// The request code's type is `c_int` on some C libraries (musl); the value fits either.
pub const MOVE_PAGES_IOC_MOVE: c_ulong =
    nix::request_code_write!(IOC_MAGIC, IOC_NR_MOVE, size_of::<MovePagesArgs>()) as c_ulong;

/// The ioctl call itself.
mod ioctl {
    use super::{MovePagesArgs, MOVE_PAGES_IOC_MOVE};

    // `_bad` only in that it takes the request code whole: the one above, which the tests
    // compare with the header.
    nix::ioctl_write_ptr_bad!(
        /// `ioctl(fd, MOVE_PAGES_IOC_MOVE, args)`.
        move_pages_move,
        MOVE_PAGES_IOC_MOVE,
        MovePagesArgs
    );
}

/// An open `/dev/move_pages`.
#[derive(Debug)]
pub struct Device {
    file: File,
}

impl Device {
    /// Opens the device, for reading and writing.
    ///
    /// # Errors
    ///
    /// The errors of `open(2)`: mostly `ENOENT` ([`io::ErrorKind::NotFound`]) when the module is
    /// not loaded, and `EACCES` ([`io::ErrorKind::PermissionDenied`]) when the device node's
    /// permissions do not let the caller open it.
    pub fn open() -> io::Result<Self> {
        let file = File::options().read(true).write(true).open(DEVICE)?;
        Ok(Self { file })
    }

    /// Runs one request as raw arguments; returns the ioctl's return value (the number of pages
    /// not migrated).
    ///
    /// # Errors
    ///
    /// The error the ioctl set: those of `move_pages(2)`, and `EINVAL` for arguments the module
    /// rejects (`size`, unknown `ext_flags` bits, `workers` without
    /// [`MOVE_PAGES_EXT_PARALLEL`], nonzero `reserved`).
    ///
    /// # Safety
    ///
    /// The addresses in `args` are read and written by the kernel as `move_pages(2)` would:
    /// `pages`, `nodes` (unless 0) and `status` must be arrays of `nr_pages` entries (or fault
    /// cleanly, which fails with `EFAULT`) that nothing else accesses during the call.
    pub unsafe fn raw(&self, args: &MovePagesArgs) -> io::Result<usize> {
        // SAFETY: `args` is a valid `struct move_pages_args` and the descriptor is open; the
        // arrays it names are the caller's responsibility.
        let ret = unsafe { ioctl::move_pages_move(self.file.as_raw_fd(), args) }?;
        Ok(ret as usize)
    }

    /// `move_pages(2)`: queries (`nodes == None`) or moves `pages` of process `pid` (0: the
    /// caller), filling `status` with each page's node or a negative errno.
    ///
    /// Returns the number of pages not migrated. `nodes` and `status` must be as long as `pages`.
    ///
    /// # Errors
    ///
    /// `EINVAL` when `nodes` or `status` is shorter than `pages` (the request is not made);
    /// otherwise the errors of `move_pages(2)`, for example `ESRCH` (no process `pid`), `EPERM`
    /// (not allowed to move its pages), `ENODEV` (a target node is not online), `EINVAL` (bad
    /// `flags`).
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
    ///
    /// # Errors
    ///
    /// Those of [`Device::move_pages`], and `EINVAL` for unknown extension flags or `workers`
    /// without [`MOVE_PAGES_EXT_PARALLEL`].
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
        // SAFETY: The arrays are live slices of at least `pages.len()` entries, borrowed for the
        // call; the kernel only reads the pages' addresses, never dereferences them in this
        // process.
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

    /// The names of the known flags set, in bit order: `group_by_node`, `exact_status`,
    /// `parallel`.
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
        return Err(Errno::EINVAL.into());
    }
    Ok(())
}

/// The errno of `e` (`EIO` if it has none).
fn errno_of(e: &io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

/// The device [`move_pages`] uses: opened at its first successful call, then kept. A failure is
/// not kept: a later call tries again (the module may have been loaded since).
fn shared_device() -> Result<&'static Device, Errno> {
    static DEV: OnceLock<Device> = OnceLock::new();
    if let Some(dev) = DEV.get() {
        return Ok(dev);
    }
    let dev = Device::open().map_err(|e| errno_of(&e))?;
    // Another thread may have opened it meanwhile: one is kept, the other closed.
    Ok(DEV.get_or_init(|| dev))
}

/// libnuma's `move_pages()`, served by the module: same arguments, return value and `errno`.
///
/// Returns the number of pages not migrated, or -1 with `errno` set: the errors of
/// `move_pages(2)`, or those of opening the device (`ENOENT` when the module is not loaded).
/// The device is opened at the first call that can and kept open.
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
            e.set();
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
            errno_of(&e).set();
            -1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::ptr;

    /// Whether the module's device is there; the tests of its absence pass without checking
    /// when it is.
    fn device_present() -> bool {
        let present = Path::new(DEVICE).exists();
        if present {
            eprintln!("{DEVICE} is present: not testing its absence");
        }
        present
    }

    /// A [`Device`] on `/dev/null`: requests reach the ioctl, which fails with `ENOTTY`.
    fn dev_null() -> Device {
        Device {
            file: File::open("/dev/null").expect("cannot open /dev/null"),
        }
    }

    #[test]
    fn args_layout_matches_the_uapi_header() {
        assert_eq!(size_of::<MovePagesArgs>(), ARGS_SIZE_VER0 as usize);
        assert_eq!(std::mem::offset_of!(MovePagesArgs, nr_pages), 16);
        assert_eq!(std::mem::offset_of!(MovePagesArgs, status), 40);
        assert_eq!(std::mem::offset_of!(MovePagesArgs, workers), 48);
        assert_eq!(std::mem::offset_of!(MovePagesArgs, reserved), 52);
    }

    /// `_IOW(0xB7, 0x01, struct move_pages_args)` by `<asm-generic/ioctl.h>`: direction
    /// `_IOC_WRITE` (1) at bit 30, size at bit 16, type at bit 8, number at bit 0.
    #[cfg(not(any(
        target_arch = "mips",
        target_arch = "mips32r6",
        target_arch = "mips64",
        target_arch = "mips64r6",
        target_arch = "powerpc",
        target_arch = "powerpc64",
        target_arch = "sparc",
        target_arch = "sparc64"
    )))]
    #[test]
    fn ioctl_number_is_iow_b7_01_64_bytes() {
        let iow: c_ulong = (1 << 30) | (64 << 16) | (0xB7 << 8) | 0x01;
        assert_eq!(iow, 0x4040_b701);
        assert_eq!(MOVE_PAGES_IOC_MOVE, iow);
    }

    #[test]
    fn short_arrays_are_einval() {
        let einval = Some(Errno::EINVAL as i32);
        assert_eq!(
            check_lengths(2, None, 1).unwrap_err().raw_os_error(),
            einval
        );
        assert_eq!(
            check_lengths(2, Some(1), 2).unwrap_err().raw_os_error(),
            einval
        );
        assert!(check_lengths(2, Some(2), 2).is_ok());
        assert!(check_lengths(2, None, 3).is_ok());
        assert!(check_lengths(0, None, 0).is_ok());
    }

    #[test]
    fn device_checks_lengths_before_the_request() {
        let dev = dev_null();
        let buf = [0u8; 2];
        let pages = [buf.as_ptr() as *mut c_void; 2];
        let einval = Some(Errno::EINVAL as i32);
        let enotty = Some(Errno::ENOTTY as i32);
        let short = dev.move_pages(0, &pages, None, &mut [0], 0).unwrap_err();
        assert_eq!(short.raw_os_error(), einval);
        let short = dev
            .move_pages_ext(0, &pages, Some(&[0]), &mut [0; 2], 0, Extensions::FASTEST)
            .unwrap_err();
        assert_eq!(short.raw_os_error(), einval);
        // Long enough: the request is made, and /dev/null's answer comes back.
        let made = dev.move_pages(0, &pages, None, &mut [0; 2], 0).unwrap_err();
        assert_eq!(made.raw_os_error(), enotty);
        let made = dev
            .move_pages(0, &pages, Some(&[0; 2]), &mut [0; 2], MPOL_MF_MOVE)
            .unwrap_err();
        assert_eq!(made.raw_os_error(), enotty);
    }

    #[test]
    fn extension_names_are_in_bit_order() {
        assert!(Extensions::PLAIN.names().is_empty());
        assert_eq!(Extensions::default(), Extensions::PLAIN);
        assert_eq!(
            Extensions::FASTEST.names(),
            ["group_by_node", "exact_status", "parallel"]
        );
        let parallel = Extensions {
            flags: MOVE_PAGES_EXT_PARALLEL,
            workers: 4,
        };
        assert_eq!(parallel.names(), ["parallel"]);
        let unknown = Extensions {
            flags: 1 << 31,
            workers: 0,
        };
        assert!(unknown.names().is_empty());
    }

    #[test]
    fn open_without_the_device_is_enoent() {
        if device_present() {
            return;
        }
        let e = Device::open().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert_eq!(e.raw_os_error(), Some(Errno::ENOENT as i32));
    }

    #[test]
    fn c_move_pages_without_the_device_sets_errno() {
        if device_present() {
            return;
        }
        let mut page = ptr::null_mut::<c_void>();
        let mut status: c_int = 0;
        for count in [0, 1] {
            Errno::set_raw(0);
            // SAFETY: The arrays have one entry each; with no device nothing is read anyway.
            let ret = unsafe { move_pages(0, count, &mut page, ptr::null(), &mut status, 0) };
            assert_eq!(ret, -1);
            assert_eq!(Errno::last(), Errno::ENOENT);
        }
    }

    #[test]
    fn query_with_the_device() {
        if !Path::new(DEVICE).exists() {
            eprintln!("{DEVICE} is absent: not querying through it");
            return;
        }
        let dev = Device::open().expect("cannot open the device");
        let buf = vec![1u8; 4096];
        let pages = [buf.as_ptr() as *mut c_void];
        let mut status: [c_int; 1] = [-1];
        assert_eq!(dev.move_pages(0, &pages, None, &mut status, 0).unwrap(), 0);
        assert!(status[0] >= 0, "the page's status is {}", status[0]);
    }
}
