// SPDX-License-Identifier: GPL-2.0

//! The C helpers of `helpers.c`, declared from `helpers.h` by bindgen at build time.
//!
//! A prototype here is the header's, so one that differs from its C definition does not build.
//! Only [`crate::folio`], [`crate::isolate`], [`crate::node`], [`crate::symbols`],
//! [`crate::layout`], [`crate::user`] and the doors use these; everything else goes through
//! their safe types.

#![allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    improper_ctypes,
    unreachable_pub,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]

use kernel::bindings::{
    bool_,
    folio,
    ftrace_regs,
    list_head,
    mm_struct,
    task_struct,
    u32_,
    u64_,
    vm_area_struct, //
};

/// `struct folio_walk` has no Rust binding: the helpers see it through [`FolioWalkRaw`].
pub(crate) type folio_walk = FolioWalkRaw;

include!(concat!(env!("MOVE_PAGES_GEN"), "/helpers_gen.rs"));

/// Bytes reserved for a `struct folio_walk` (`MP_FOLIO_WALK_BYTES`).
pub(crate) const FOLIO_WALK_BYTES: usize = MP_FOLIO_WALK_BYTES as usize;

/// `MP_FOLIO_ZERO` and `MP_FOLIO_DEVICE` of `mp_folio_info()`.
pub(crate) const FOLIO_ZERO: u32 = MP_FOLIO_ZERO;
pub(crate) const FOLIO_DEVICE: u32 = MP_FOLIO_DEVICE;

/// `FW_ZEROPAGE` of `include/linux/pagewalk.h`: walk the shared zero pages too
/// (`MP_FW_ZEROPAGE`, checked against the kernel's by a `static_assert` in `helpers.c`).
pub(crate) const FW_ZEROPAGE: kernel::ffi::c_int = MP_FW_ZEROPAGE as kernel::ffi::c_int;

/// Storage for a `struct folio_walk`, which has no Rust binding; `folio_walk_start()`
/// initialises it.
#[repr(C, align(8))]
pub(crate) struct FolioWalkRaw(pub(crate) core::mem::MaybeUninit<[u8; FOLIO_WALK_BYTES]>);
