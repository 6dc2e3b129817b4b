// SPDX-License-Identifier: GPL-2.0

//! One `move_pages` request, whatever door it came through: `kernel_move_pages()`.

use crate::{
    door::Door,
    migrate::{
        self,
        MoveRequest,
        Moved,
        Policy,
        Space, //
    },
    parallel, query, stats, symbols, target, uapi,
    user::{
        self,
        IntArray,
        PagesArray, //
    },
};
use kernel::{
    bindings,
    prelude::*, //
};

/// `MPOL_MF_MOVE`: move pages mapped only by the target process.
pub(crate) const MPOL_MF_MOVE: u32 = bindings::MPOL_MF_MOVE;
/// `MPOL_MF_MOVE_ALL`: move shared pages too (needs `CAP_SYS_NICE`).
pub(crate) const MPOL_MF_MOVE_ALL: u32 = bindings::MPOL_MF_MOVE_ALL;

/// The arguments of `move_pages(2)`, with user addresses kept as numbers.
pub(crate) struct Request {
    /// Target process, 0 for the caller.
    pub(crate) pid: bindings::pid_t,
    /// Number of entries in each array.
    pub(crate) nr_pages: u64,
    /// User address of the page pointers.
    pub(crate) pages: usize,
    /// User address of the target nodes, 0 for a query.
    pub(crate) nodes: usize,
    /// User address of the status array.
    pub(crate) status: usize,
    /// `MPOL_MF_*` flags.
    pub(crate) flags: u32,
    /// `MOVE_PAGES_EXT_*` extension flags (ioctl only; 0 is exactly `move_pages(2)`).
    pub(crate) ext_flags: u32,
    /// With `MOVE_PAGES_EXT_PARALLEL`: the most threads that move pages, 0 for the module's
    /// choice.
    pub(crate) workers: u32,
}

/// Runs `req`, which came in through `door`, and counts it.
pub(crate) fn serve(door: Door, req: &Request) -> Result<isize> {
    let result = req.run();
    stats::record(door, req, &result);
    result
}

impl Request {
    /// A `move_pages(2)` system call's arguments, as the takeover's entry points decode them
    /// from the caller's registers: no extension flag, the call's exact semantics.
    pub(crate) fn syscall(
        pid: bindings::pid_t,
        nr_pages: u64,
        pages: usize,
        nodes: usize,
        status: usize,
        flags: u32,
    ) -> Self {
        Request {
            pid,
            nr_pages,
            pages,
            nodes,
            status,
            flags,
            ext_flags: 0,
            workers: 0,
        }
    }

    /// Runs the request: the return value of `move_pages(2)`, a count of pages not migrated or
    /// a negative errno.
    pub(crate) fn run(&self) -> Result<isize> {
        check_flags(self.flags, target::capable_sys_nice)?;
        let syms = symbols::get()?;
        let target = target::find_mm_struct(syms, self.pid)?;
        let pages = PagesArray::new(self.pages, user::in_compat_syscall());
        let status = IntArray::new(self.status);
        if self.nodes == 0 {
            return query::do_pages_stat(syms, &target.mm, self.nr_pages, pages, status);
        }
        let req = MoveRequest {
            space: Space {
                syms,
                mm: &target.mm,
                all: self.flags & MPOL_MF_MOVE_ALL != 0,
            },
            task_nodes: &target.mems,
            nr_pages: self.nr_pages,
            pages,
            nodes: IntArray::new(self.nodes),
            status,
        };
        let policy = Policy::from_ext(self.ext_flags);
        let moved = if self.ext_flags & uapi::EXT_PARALLEL != 0 {
            parallel::do_pages_move(&req, policy, self.workers)
        } else {
            migrate::do_pages_move(&req, policy)
        };
        match moved {
            Moved::Count(n) => syscall_return(n),
            Moved::Error(e) => Err(e),
        }
    }
}

/// `kernel_move_pages()`'s checks of `flags`, in its order: unknown bits are `EINVAL`, then
/// `MPOL_MF_MOVE_ALL` needs `CAP_SYS_NICE` (`EPERM`). `capable` is asked only for
/// `MPOL_MF_MOVE_ALL`, as upstream's `capable()` (which audits and marks the task) is.
fn check_flags(flags: u32, capable: impl FnOnce() -> bool) -> Result {
    if flags & !(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL) != 0 {
        return Err(EINVAL);
    }
    if flags & MPOL_MF_MOVE_ALL != 0 && !capable() {
        return Err(EPERM);
    }
    Ok(())
}

/// `MAX_ERRNO`: the largest errno a system call returns as `-errno`.
const MAX_ERRNO: c_int = bindings::MAX_ERRNO as c_int;

/// The value `do_pages_move()` returns, as the system call returns it.
///
/// Upstream's count of pages not migrated is an `int` to which `nr_pages - i` (an `unsigned
/// long`) is added: for `nr_pages` of 2^31 and more it can wrap to a negative value, which the
/// system call returns as it is. Only `-1` to `-MAX_ERRNO` are errors.
pub(crate) fn syscall_return(ret: c_int) -> Result<isize> {
    if (-MAX_ERRNO..0).contains(&ret) {
        Err(Error::from_errno(ret))
    } else {
        Ok(ret as isize)
    }
}

#[kunit_tests(move_pages_request)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_errors() {
        assert_eq!(syscall_return(0), Ok(0));
        assert_eq!(syscall_return(7), Ok(7));
        assert_eq!(syscall_return(-14), Err(EFAULT));
        assert_eq!(
            syscall_return(-MAX_ERRNO).err().map(|e| e.to_errno()),
            Some(-MAX_ERRNO)
        );
    }

    #[test]
    fn flags_are_checked_in_upstream_order() {
        let never = || -> bool { panic!("capable() asked without MPOL_MF_MOVE_ALL") };
        assert_eq!(check_flags(0, never), Ok(()));
        assert_eq!(check_flags(MPOL_MF_MOVE, never), Ok(()));
        // MPOL_MF_STRICT (1) and any other bit: EINVAL before the capability is looked at.
        assert_eq!(check_flags(1, never), Err(EINVAL));
        assert_eq!(check_flags(MPOL_MF_MOVE_ALL | 1 << 31, never), Err(EINVAL));
        assert_eq!(check_flags(MPOL_MF_MOVE_ALL, || false), Err(EPERM));
        assert_eq!(check_flags(MPOL_MF_MOVE_ALL, || true), Ok(()));
        assert_eq!(
            check_flags(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL, || false),
            Err(EPERM)
        );
    }

    #[test]
    fn wrapped_counts_are_returned_as_they_are() {
        // err = 1 + (0x80000001 - 1): the int is -2147483647.
        assert_eq!(syscall_return(-2147483647), Ok(-2147483647));
        assert_eq!(syscall_return(c_int::MIN), Ok(c_int::MIN as isize));
        assert_eq!(syscall_return(-MAX_ERRNO - 1), Ok(-4096));
    }
}
