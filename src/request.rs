// SPDX-License-Identifier: GPL-2.0

//! One `move_pages` request, whatever door it came through: `kernel_move_pages()`.

use crate::{
    migrate, migrate_ext, mm_core, query,
    stats::{
        self,
        Door, //
    },
    symbols,
    user::{
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
}

/// Runs `req`, which came in through `door`, and counts it.
pub(crate) fn serve(door: Door, req: &Request) -> Result<isize> {
    let result = req.run();
    stats::record(door, req, &result);
    result
}

impl Request {
    /// Runs the request: the return value of `move_pages(2)`, a count of pages not migrated or
    /// a negative errno.
    pub(crate) fn run(&self) -> Result<isize> {
        if self.flags & !(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL) != 0 {
            return Err(EINVAL);
        }
        if self.flags & MPOL_MF_MOVE_ALL != 0 && !mm_core::capable_sys_nice() {
            return Err(EPERM);
        }
        let syms = symbols::get()?;
        let target = mm_core::find_mm_struct(syms, self.pid)?;
        let pages = PagesArray::new(self.pages, mm_core::in_compat_syscall());
        let status = IntArray::new(self.status);
        if self.nodes == 0 {
            return query::do_pages_stat(syms, &target.mm, self.nr_pages, pages, status);
        }
        let all = self.flags & MPOL_MF_MOVE_ALL != 0;
        let nodes = IntArray::new(self.nodes);
        let ret = if self.ext_flags == 0 {
            migrate::do_pages_move(
                syms,
                &target.mm,
                &target.mems,
                self.nr_pages,
                pages,
                nodes,
                status,
                all,
            )
        } else {
            migrate_ext::do_pages_move_ext(
                syms,
                &target.mm,
                &target.mems,
                self.nr_pages,
                pages,
                nodes,
                status,
                all,
                self.ext_flags,
            )
        };
        if ret < 0 {
            Err(Error::from_errno(ret))
        } else {
            Ok(ret as isize)
        }
    }
}
