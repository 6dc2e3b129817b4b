// SPDX-License-Identifier: GPL-2.0

//! Raw declarations of the C helpers in `helpers.c`.
//!
//! Only [`crate::mm_core`], [`crate::symbols`], [`crate::layout`], [`crate::takeover`],
//! [`crate::seccomp`] and [`crate::user`] use these; everything else goes through their safe
//! types.

use kernel::{
    bindings,
    prelude::*, //
};

/// Bytes reserved for a `struct folio_walk`; `MP_FOLIO_WALK_BYTES` in `helpers.h`.
pub(crate) const FOLIO_WALK_BYTES: usize = 64;

/// `MP_FOLIO_ZERO` and `MP_FOLIO_DEVICE` of `mp_folio_info()` in `helpers.h`.
pub(crate) const FOLIO_ZERO: u32 = 1 << 31;
pub(crate) const FOLIO_DEVICE: u32 = 1 << 30;

/// `FW_ZEROPAGE` of `include/linux/pagewalk.h`: walk the shared zero pages too.
pub(crate) const FW_ZEROPAGE: c_int = 1;

/// Storage for a `struct folio_walk`, which has no Rust binding; `folio_walk_start()`
/// initialises it.
#[repr(C, align(8))]
pub(crate) struct FolioWalkRaw(pub(crate) core::mem::MaybeUninit<[u8; FOLIO_WALK_BYTES]>);

#[expect(improper_ctypes)]
extern "C" {
    pub(crate) fn mp_layout(item: c_uint) -> usize;
    #[cfg(MODULE)]
    pub(crate) fn mp_kallsyms_lookup_name_addr() -> c_ulong;
    #[cfg(not(MODULE))]
    pub(crate) fn mp_builtin_lookup_name(name: *const c_char) -> c_ulong;
    pub(crate) fn mp_symbol_check(addr: c_ulong, name: *const c_char, is_func: bool) -> c_int;
    pub(crate) fn mp_folio_walk_bytes() -> usize;
    pub(crate) fn mp_list_has_extra_refs(list: *mut bindings::list_head) -> bool;
    pub(crate) fn mp_list_nr_small(list: *mut bindings::list_head) -> usize;
    pub(crate) fn mp_folio_walk_pfn(fw: *const FolioWalkRaw) -> u64;
    pub(crate) fn mp_folio_pfn(folio: *mut bindings::folio) -> u64;
    pub(crate) fn mp_folio_nr_pages(folio: *mut bindings::folio) -> u64;
    pub(crate) fn mp_list_folio_ranges(
        list: *mut bindings::list_head,
        ranges: *mut u64,
        max: usize,
    ) -> usize;
    pub(crate) fn mp_folio_alloc(
        gfp: bindings::gfp_t,
        order: c_uint,
        nid: c_int,
    ) -> *mut bindings::folio;

    pub(crate) fn mp_folio_info(
        folio: *mut bindings::folio,
        huge_zero: *mut bindings::folio,
    ) -> u32;
    pub(crate) fn mp_folio_test_hugetlb(folio: *mut bindings::folio) -> bool;
    pub(crate) fn mp_folio_maybe_mapped_shared(folio: *mut bindings::folio) -> bool;
    pub(crate) fn mp_folio_isolated_lru(
        folio: *mut bindings::folio,
        list: *mut bindings::list_head,
    );
    pub(crate) fn mp_alloc_migration_target(
        f: crate::symbols::NewFolioFn,
        src: *mut bindings::folio,
        nid: c_int,
    ) -> *mut bindings::folio;
    pub(crate) fn mp_migration_gfp(
        src: *mut bindings::folio,
        order: *mut c_uint,
    ) -> bindings::gfp_t;

    pub(crate) fn mp_untagged_addr_remote(mm: *mut bindings::mm_struct, addr: c_ulong) -> c_ulong;
    pub(crate) fn mp_folio_walk_unlock(fw: *mut FolioWalkRaw);

    pub(crate) fn mp_in_compat_syscall() -> bool;
    pub(crate) fn mp_seccomp_move_pages(args: *const u64) -> u32;
    pub(crate) fn mp_put_user_int(addr: c_ulong, value: c_int) -> c_int;
    pub(crate) fn mp_node_has_memory(node: c_int) -> bool;
    pub(crate) fn mp_atomic_dec(v: *mut bindings::atomic_t);
    pub(crate) fn mp_ftrace_set_ip(fregs: *mut bindings::ftrace_regs, ip: c_ulong);
}
