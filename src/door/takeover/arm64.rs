// SPDX-License-Identifier: GPL-2.0

//! The takeover's arm64 side: the one entry point `__arm64_sys_move_pages(const struct
//! pt_regs *)`, which the compat syscall table names too (move_pages(2) has no compat
//! wrapper on arm64: `kernel_move_pages()` asks `in_compat_syscall()`), and where its register
//! frame holds the six arguments.

use super::{
    serve_regs,
    EntryPoint, //
};
use crate::{
    door::Door,
    ffi,
    request::Request,
    user, //
};
use kernel::{
    bindings,
    prelude::*, //
};

/// How many entry points the takeover redirects.
pub(super) const NR_ENTRY_POINTS: usize = 1;

/// The entry point, and the module's replacement.
pub(super) static ENTRY_POINTS: [EntryPoint; NR_ENTRY_POINTS] = [EntryPoint {
    name: c"__arm64_sys_move_pages",
    target: arm64_sys_move_pages,
}];

/// The register holding the first argument, for the layout check ([`crate::layout`]).
pub(crate) const PT_REGS_LAYOUT: (ffi::mp_layout_item, &str, usize) = (
    ffi::mp_layout_item_MP_LAYOUT_PT_REGS_ARG0,
    "offsetof(struct pt_regs, orig_x0)",
    core::mem::offset_of!(bindings::pt_regs, orig_x0),
);

/// The module's `__arm64_sys_move_pages(const struct pt_regs *)`, for 64-bit and (with
/// `CONFIG_COMPAT`) 32-bit callers alike.
///
/// # Safety
///
/// Only reached through the takeover's redirection of the syscall entry, with `regs` the
/// syscall's register frame.
unsafe extern "C" fn arm64_sys_move_pages(regs: *const bindings::pt_regs) -> c_long {
    let door = if user::in_compat_syscall() {
        Door::Syscall32
    } else {
        Door::Syscall
    };
    // SAFETY: By the function's contract `regs` is the live register frame of the syscall.
    serve_regs(door, arm64_request(unsafe { &*regs }))
}

/// The arguments of `__arm64_sys_move_pages()` in its register frame `r`, as its stub
/// (`SC_ARM64_REGS_TO_ARGS`) reads them: `orig_x0` (x0 as the call entered; x0 itself is
/// where the return value goes), then x1 to x5, converted to the syscall's C types: `pid_t`,
/// `unsigned long`, three pointers, `int`. A 32-bit caller's registers arrive zero-extended.
fn arm64_request(r: &bindings::pt_regs) -> Request {
    // SAFETY: Both members of the union are the same 34 `u64`s (`user_pt_regs`, or `regs[31]`,
    // `sp`, `pc`, `pstate`): every bit pattern is valid for either.
    let x = unsafe { &r.__bindgen_anon_1.user_regs.regs };
    Request::syscall(
        r.orig_x0 as i32,
        x[1],
        x[2] as usize,
        x[3] as usize,
        x[4] as usize,
        x[5] as u32,
    )
}

#[kunit_tests(move_pages_takeover)]
mod tests {
    use super::*;

    /// A frame whose every register holds a distinct value with its upper half set.
    fn frame() -> bindings::pt_regs {
        let mut r = bindings::pt_regs {
            orig_x0: 0xffff_ffff_0000_0007,
            ..Default::default()
        };
        let mut u = bindings::user_pt_regs::default();
        u.regs[0] = 0xdead_beef;
        u.regs[1] = 0x1_0000_0003;
        u.regs[2] = 0x7f00_0000_1000;
        u.regs[3] = 0x7f00_0000_2000;
        u.regs[4] = 0x7f00_0000_3000;
        u.regs[5] = 0xdead_0000_0002;
        u.regs[6] = 0xffff_ffff_ffff_ffff;
        r.__bindgen_anon_1.user_regs = u;
        r
    }

    #[test]
    fn arm64_arguments_are_orig_x0_then_x1_to_x5() {
        let q = arm64_request(&frame());
        // x0 is not read (it is the return value's register): the pid is orig_x0's low half.
        assert_eq!(q.pid, 7);
        // pid_t and int take the low 32 bits; unsigned long and pointers all 64.
        assert_eq!(q.nr_pages, 0x1_0000_0003);
        assert_eq!(q.pages, 0x7f00_0000_1000);
        assert_eq!(q.nodes, 0x7f00_0000_2000);
        assert_eq!(q.status, 0x7f00_0000_3000);
        assert_eq!(q.flags, 2);
        assert_eq!((q.ext_flags, q.workers), (0, 0));
        let mut r = frame();
        r.orig_x0 = 0xffff_ffff;
        assert_eq!(arm64_request(&r).pid, -1);
    }
}
