// SPDX-License-Identifier: GPL-2.0

//! The takeover's x86_64 side: the entry points `__x64_sys_move_pages` and, with IA32
//! emulation, `__ia32_sys_move_pages`, each `long (const struct pt_regs *)`, and where their
//! register frames hold the six arguments.

use super::{
    serve_regs,
    EntryPoint, //
};
use crate::{
    door::Door,
    ffi,
    request::Request, //
};
use kernel::{
    bindings,
    prelude::*, //
};

/// How many entry points the takeover redirects.
#[cfg(CONFIG_IA32_EMULATION)]
pub(super) const NR_ENTRY_POINTS: usize = 2;
/// How many entry points the takeover redirects.
#[cfg(not(CONFIG_IA32_EMULATION))]
pub(super) const NR_ENTRY_POINTS: usize = 1;

/// The entry points, and the module's replacement of each.
pub(super) static ENTRY_POINTS: [EntryPoint; NR_ENTRY_POINTS] = [
    EntryPoint {
        name: c"__x64_sys_move_pages",
        target: x64_sys_move_pages,
    },
    #[cfg(CONFIG_IA32_EMULATION)]
    EntryPoint {
        name: c"__ia32_sys_move_pages",
        target: ia32_sys_move_pages,
    },
];

/// The register holding the first argument, for the layout check ([`crate::layout`]).
pub(crate) const PT_REGS_LAYOUT: (ffi::mp_layout_item, &str, usize) = (
    ffi::mp_layout_item_MP_LAYOUT_PT_REGS_ARG0,
    "offsetof(struct pt_regs, di)",
    core::mem::offset_of!(bindings::pt_regs, di),
);

/// The module's `__x64_sys_move_pages(const struct pt_regs *)`.
///
/// # Safety
///
/// Only reached through the takeover's redirection of the syscall entry, with `regs` the
/// syscall's register frame.
unsafe extern "C" fn x64_sys_move_pages(regs: *const bindings::pt_regs) -> c_long {
    // SAFETY: By the function's contract `regs` is the live register frame of the syscall.
    serve_regs(Door::Syscall, x64_request(unsafe { &*regs }))
}

/// The arguments of `__x64_sys_move_pages()` in its register frame `r` (rdi, rsi, rdx, r10,
/// r8, r9), converted to the syscall's C types as its stub does: `pid_t`, `unsigned long`,
/// three pointers, `int`.
fn x64_request(r: &bindings::pt_regs) -> Request {
    Request::syscall(r.di as i32, r.si as u64, r.dx, r.r10, r.r8, r.r9 as u32)
}

/// The module's `__ia32_sys_move_pages(const struct pt_regs *)`: 32-bit arguments in
/// ebx, ecx, edx, esi, edi, ebp, zero-extended as the compat stub does.
///
/// # Safety
///
/// As for [`x64_sys_move_pages`].
#[cfg(CONFIG_IA32_EMULATION)]
unsafe extern "C" fn ia32_sys_move_pages(regs: *const bindings::pt_regs) -> c_long {
    // SAFETY: By the function's contract `regs` is the live register frame of the syscall.
    serve_regs(Door::Syscall32, ia32_request(unsafe { &*regs }))
}

/// The arguments of `__ia32_sys_move_pages()` in its register frame `r`: ebx, ecx, edx, esi,
/// edi, ebp, each the low 32 bits of its register (the compat stub's `(u32)regs->bx`...), then
/// converted to the C types: `pid_t` (signed), `compat_ulong_t`, three zero-extended pointers,
/// `int`.
#[cfg(CONFIG_IA32_EMULATION)]
fn ia32_request(r: &bindings::pt_regs) -> Request {
    let arg = |v: c_ulong| v as u32;
    Request::syscall(
        arg(r.bx) as i32,
        u64::from(arg(r.cx)),
        arg(r.dx) as usize,
        arg(r.si) as usize,
        arg(r.di) as usize,
        arg(r.bp),
    )
}

#[kunit_tests(move_pages_takeover)]
mod tests {
    use super::*;

    /// A frame whose every register holds a distinct value with its upper half set.
    fn frame() -> bindings::pt_regs {
        bindings::pt_regs {
            di: 0xffff_ffff_0000_0007,
            si: 0x1_0000_0003,
            dx: 0x7f00_0000_1000,
            r10: 0x7f00_0000_2000,
            r8: 0x7f00_0000_3000,
            r9: 0xdead_0000_0002,
            bx: 0xaaaa_aaaa_ffff_fffe,
            cx: 0xbbbb_bbbb_ffff_ffff,
            bp: 0xcccc_cccc_0000_0004,
            ..Default::default()
        }
    }

    #[test]
    fn x64_arguments_are_the_six_argument_registers() {
        let q = x64_request(&frame());
        // pid_t and int take the low 32 bits; unsigned long and pointers all 64.
        assert_eq!(q.pid, 7);
        assert_eq!(q.nr_pages, 0x1_0000_0003);
        assert_eq!(q.pages, 0x7f00_0000_1000);
        assert_eq!(q.nodes, 0x7f00_0000_2000);
        assert_eq!(q.status, 0x7f00_0000_3000);
        assert_eq!(q.flags, 2);
        assert_eq!((q.ext_flags, q.workers), (0, 0));
        let mut r = frame();
        r.di = 0xffff_ffff;
        assert_eq!(x64_request(&r).pid, -1);
    }

    #[cfg(CONFIG_IA32_EMULATION)]
    #[test]
    fn ia32_arguments_are_the_low_halves_zero_extended() {
        let mut r = frame();
        r.dx = 0xffff_ffff_8000_1000;
        r.si = 0x1_0000_2000;
        r.di = 0xffff_ffff_ffff_f000;
        let q = ia32_request(&r);
        // ebx 0xfffffffe is pid_t -2; ecx is compat_ulong_t 0xffffffff, never sign-extended.
        assert_eq!(q.pid, -2);
        assert_eq!(q.nr_pages, 0xffff_ffff);
        assert_eq!(q.pages, 0x8000_1000);
        assert_eq!(q.nodes, 0x2000);
        assert_eq!(q.status, 0xffff_f000);
        assert_eq!(q.flags, 4);
        assert_eq!((q.ext_flags, q.workers), (0, 0));
    }
}
