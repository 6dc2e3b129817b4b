// SPDX-License-Identifier: GPL-2.0

//! The ioctl ABI, mirroring `include/uapi/linux/move_pages.h`.

use crate::request::Request;
use kernel::{
    ioctl::_IOW,
    prelude::*,
    transmute::FromBytes, //
};

/// `struct move_pages_args`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct MovePagesArgs {
    /// `sizeof(struct move_pages_args)` as the caller knows it.
    pub(crate) size: u32,
    /// `MPOL_MF_*` flags.
    pub(crate) flags: u32,
    /// Target process, 0 for the caller.
    pub(crate) pid: i32,
    /// `MOVE_PAGES_EXT_*` extension flags.
    pub(crate) ext_flags: u32,
    /// Number of entries in each array.
    pub(crate) nr_pages: u64,
    /// User address of the page pointers.
    pub(crate) pages: u64,
    /// User address of the target nodes, 0 for a query.
    pub(crate) nodes: u64,
    /// User address of the status array.
    pub(crate) status: u64,
    /// Must be zero.
    pub(crate) reserved: [u64; 2],
}

// SAFETY: `MovePagesArgs` is plain integers with no padding, so any bit pattern is valid.
unsafe impl FromBytes for MovePagesArgs {}

/// `MOVE_PAGES_ARGS_SIZE_VER0`.
pub(crate) const ARGS_SIZE_VER0: u32 = 64;
const _: () = assert!(core::mem::size_of::<MovePagesArgs>() == ARGS_SIZE_VER0 as usize);

/// `MOVE_PAGES_IOC_MAGIC`.
const IOC_MAGIC: u32 = 0xB7;
/// `MOVE_PAGES_IOC_MOVE`.
pub(crate) const MOVE_PAGES_IOC_MOVE: u32 = _IOW::<MovePagesArgs>(IOC_MAGIC, 0x01);

/// Extension flags this module knows.
pub(crate) const EXT_FLAGS_KNOWN: u32 =
    crate::migrate_ext::EXT_GROUP_BY_NODE | crate::migrate_ext::EXT_EXACT_STATUS;

impl MovePagesArgs {
    /// Checks the fields the syscall does not have, and turns the rest into a [`Request`].
    ///
    /// `size`, `ext_flags` and `reserved` must be exactly what this version knows: `-EINVAL`
    /// otherwise, so that a later version can give them meaning.
    pub(crate) fn to_request(self) -> Result<Request> {
        if self.size != ARGS_SIZE_VER0
            || self.ext_flags & !EXT_FLAGS_KNOWN != 0
            || self.reserved.iter().any(|r| *r != 0)
        {
            return Err(EINVAL);
        }
        // A user pointer that does not fit the kernel's pointer width is never valid; keep it
        // faulting (the top of the address space is kernel memory) instead of truncating it.
        let addr = |a: u64| usize::try_from(a).unwrap_or(usize::MAX);
        Ok(Request {
            pid: self.pid,
            nr_pages: self.nr_pages,
            pages: addr(self.pages),
            nodes: addr(self.nodes),
            status: addr(self.status),
            flags: self.flags,
            ext_flags: self.ext_flags,
        })
    }
}

#[kunit_tests(move_pages_uapi)]
mod tests {
    use super::*;

    fn valid() -> MovePagesArgs {
        MovePagesArgs {
            size: ARGS_SIZE_VER0,
            flags: 2,
            pid: 0,
            nr_pages: 3,
            pages: 0x1000,
            nodes: 0x2000,
            status: 0x3000,
            ..Default::default()
        }
    }

    #[test]
    fn valid_args_map_to_the_request() {
        let req = valid().to_request();
        assert!(req.is_ok());
        if let Ok(req) = req {
            assert_eq!(req.nr_pages, 3);
            assert_eq!(req.pages, 0x1000);
            assert_eq!(req.nodes, 0x2000);
            assert_eq!(req.status, 0x3000);
            assert_eq!(req.flags, 2);
        }
    }

    #[test]
    fn wrong_size_is_einval() {
        for size in [0, ARGS_SIZE_VER0 - 8, ARGS_SIZE_VER0 + 8, u32::MAX] {
            let args = MovePagesArgs { size, ..valid() };
            assert_eq!(args.to_request().err(), Some(EINVAL));
        }
    }

    #[test]
    fn reserved_and_unknown_ext_flags_are_einval() {
        let args = MovePagesArgs {
            reserved: [0, 1],
            ..valid()
        };
        assert_eq!(args.to_request().err(), Some(EINVAL));
        let args = MovePagesArgs {
            reserved: [1 << 63, 0],
            ..valid()
        };
        assert_eq!(args.to_request().err(), Some(EINVAL));
        let args = MovePagesArgs {
            ext_flags: 1 << 31,
            ..valid()
        };
        assert_eq!(args.to_request().err(), Some(EINVAL));
    }

    #[test]
    fn known_ext_flags_reach_the_request() {
        for ext_flags in [1, 2, 3] {
            let req = MovePagesArgs {
                ext_flags,
                ..valid()
            }
            .to_request();
            assert_eq!(req.map(|r| r.ext_flags).ok(), Some(ext_flags));
        }
        let args = MovePagesArgs {
            ext_flags: 4,
            ..valid()
        };
        assert_eq!(args.to_request().err(), Some(EINVAL));
    }

    #[test]
    fn syscall_flags_are_left_to_the_request() {
        // Invalid MPOL flags are the request's -EINVAL, checked in the syscall's order.
        let args = MovePagesArgs {
            flags: 0xff,
            ..valid()
        };
        assert!(args.to_request().is_ok());
    }

    #[test]
    fn ioctl_number_encodes_size_and_direction() {
        assert_eq!(kernel::ioctl::_IOC_SIZE(MOVE_PAGES_IOC_MOVE), 64);
        assert_eq!(kernel::ioctl::_IOC_TYPE(MOVE_PAGES_IOC_MOVE), IOC_MAGIC);
        assert_eq!(kernel::ioctl::_IOC_NR(MOVE_PAGES_IOC_MOVE), 1);
    }
}
