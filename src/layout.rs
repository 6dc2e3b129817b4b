// SPDX-License-Identifier: GPL-2.0

//! A load-time check that the Rust bindings lay out kernel structures as the C compiler does.
//!
//! The module (and the `kernel` crate under it) reads fields of `task_struct`, `signal_struct`,
//! `miscdevice` and `file` through bindgen's structs. When the kernel is built with GCC, bindgen
//! (libclang) can disagree with it: for example it drops the alignment of an empty
//! `____cacheline_aligned` struct, which with `CONFIG_SCHEDSTATS=n` shifts every `task_struct`
//! field after `stats`, so `current->mm` would be read from the wrong place. Each item here is
//! compared with `offsetof`/`sizeof` from the C helpers, and the module refuses to load on any
//! difference.

use crate::ffi;
use core::mem::{
    offset_of,
    size_of, //
};
use kernel::{
    bindings,
    prelude::*, //
};

/// `(item of enum mp_layout_item, what, Rust's value)`, in the order of `helpers.h`.
const ITEMS: [(ffi::mp_layout_item, &str, usize); ffi::mp_layout_item_MP_LAYOUT_NR_ITEMS as usize] = [
    (
        ffi::mp_layout_item_MP_LAYOUT_TASK_SIZE,
        "sizeof(struct task_struct)",
        size_of::<bindings::task_struct>(),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_TASK_MM,
        "offsetof(struct task_struct, mm)",
        offset_of!(bindings::task_struct, mm),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_TASK_SIGNAL,
        "offsetof(struct task_struct, signal)",
        offset_of!(bindings::task_struct, signal),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_SIGNAL_EXEC_UPDATE_LOCK,
        "offsetof(struct signal_struct, exec_update_lock)",
        offset_of!(bindings::signal_struct, exec_update_lock),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_MM_SIZE,
        "sizeof(struct mm_struct)",
        size_of::<bindings::mm_struct>(),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_MISCDEVICE_SIZE,
        "sizeof(struct miscdevice)",
        size_of::<bindings::miscdevice>(),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_MISCDEVICE_MODE,
        "offsetof(struct miscdevice, mode)",
        offset_of!(bindings::miscdevice, mode),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_FILE_PRIVATE_DATA,
        "offsetof(struct file, private_data)",
        offset_of!(bindings::file, private_data),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_NODEMASK_SIZE,
        "sizeof(nodemask_t)",
        size_of::<bindings::nodemask_t>(),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_LIST_HEAD_SIZE,
        "sizeof(struct list_head)",
        size_of::<bindings::list_head>(),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_FOLIO_SIZE,
        "sizeof(struct folio)",
        size_of::<bindings::folio>(),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_VMA_SIZE,
        "sizeof(struct vm_area_struct)",
        size_of::<bindings::vm_area_struct>(),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_FTRACE_OPS_SIZE,
        "sizeof(struct ftrace_ops)",
        size_of::<bindings::ftrace_ops>(),
    ),
    (
        ffi::mp_layout_item_MP_LAYOUT_FTRACE_OPS_PRIVATE,
        "offsetof(struct ftrace_ops, private)",
        offset_of!(bindings::ftrace_ops, private),
    ),
    crate::door::takeover::PT_REGS_LAYOUT,
];

/// Compares every item, logging each mismatch; `EINVAL` if there is any.
pub(crate) fn check() -> Result {
    let mut ok = true;
    for (item, what, rust) in ITEMS {
        // SAFETY: `mp_layout` returns a constant for any `item`.
        let c = unsafe { ffi::mp_layout(item) };
        if c != rust {
            pr_err!("bindings disagree with the C compiler: {what} is {c} in C, {rust} in Rust\n");
            ok = false;
        }
    }
    if ok {
        Ok(())
    } else {
        Err(EINVAL)
    }
}
