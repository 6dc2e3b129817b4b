// SPDX-License-Identifier: GPL-2.0

//! The process a request targets: `find_mm_struct()` and the caller's rights.
//!
//! Lock order (as upstream): the target's `exec_update_lock` is held only while its mm is found,
//! before any mmap lock is taken.

use crate::{
    node::NodeMask,
    symbols::Symbols, //
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    mm::MmWithUser,
    prelude::*,
    sync::aref::ARef,
    task::Task, //
};

/// Returns whether the caller has `CAP_SYS_NICE`.
pub(crate) fn capable_sys_nice() -> bool {
    // SAFETY: `capable` may be called from any process context.
    unsafe { bindings::capable(bindings::CAP_SYS_NICE as c_int) }
}

/// The mm of the process a request targets, and the nodes its cpuset allows.
pub(crate) struct TargetMm {
    /// The target's address space, with a user reference (`mmget`).
    pub(crate) mm: ARef<MmWithUser>,
    /// `cpuset_mems_allowed()` of the target task.
    pub(crate) mems: NodeMask,
}

fn cpuset_mems_allowed(syms: &Symbols, task: &Task) -> NodeMask {
    #[cfg(CONFIG_CPUSETS)]
    // SAFETY: `task` is a live task (the caller holds a reference).
    let mask = unsafe { (syms.cpuset_mems_allowed)(task.as_ptr()) };
    #[cfg(not(CONFIG_CPUSETS))]
    let mask = {
        let _ = (syms, task);
        // SAFETY: Reads the kernel's possible-node mask, which is set at boot.
        unsafe { bindings::node_states[bindings::node_states_N_POSSIBLE as usize] }
    };
    NodeMask::from_raw(mask)
}

/// The `exec_update_lock` of a task, held for read until dropped.
///
/// # Invariants
///
/// `lock` is the `exec_update_lock` of a task that outlives `'a`, and it is held for read.
struct ExecUpdateLock<'a> {
    lock: *mut bindings::rw_semaphore,
    task: &'a Task,
}

impl<'a> ExecUpdateLock<'a> {
    /// `down_read_killable(&task->signal->exec_update_lock)`: `EINTR` on a fatal signal.
    fn read_killable(task: &'a Task) -> Result<Self> {
        let raw = task.as_ptr();
        // SAFETY: `raw` is a live task; `signal` is valid for the task's life.
        let lock = unsafe { &raw mut (*(*raw).signal).exec_update_lock };
        // SAFETY: `lock` is a valid, initialised rw_semaphore.
        if unsafe { bindings::down_read_killable(lock) } != 0 {
            return Err(EINTR);
        }
        // INVARIANT: The lock is held for read.
        Ok(Self { lock, task })
    }
}

impl Drop for ExecUpdateLock<'_> {
    fn drop(&mut self) {
        // SAFETY: Held for read by the type invariants; released once.
        unsafe { bindings::up_read(self.lock) };
    }
}

/// `cpuset_mems_allowed()` of the caller: the nodes its own page allocations may use.
pub(crate) fn caller_mems(syms: &Symbols) -> NodeMask {
    cpuset_mems_allowed(syms, kernel::current!())
}

/// `find_mm_struct()`: the target mm of a request for `pid` (0 is the caller itself).
pub(crate) fn find_mm_struct(syms: &'static Symbols, pid: bindings::pid_t) -> Result<TargetMm> {
    if pid == 0 {
        // The caller itself: no permission check is needed.
        let current = kernel::current!();
        let mm = current.mm().ok_or(EINVAL)?;
        return Ok(TargetMm {
            mm: ARef::from(mm),
            mems: cpuset_mems_allowed(syms, current),
        });
    }

    // SAFETY: Looks a task up in the caller's pid namespace; returns it with a reference.
    let raw = unsafe { (syms.find_get_task_by_vpid)(pid) };
    let task = NonNull::new(raw.cast::<Task>()).ok_or(ESRCH)?;
    // SAFETY: `find_get_task_by_vpid` returned a reference that `ARef` now owns.
    let task: ARef<Task> = unsafe { ARef::from_raw(task) };
    let locked = ExecUpdateLock::read_killable(&task)?;
    target_of_locked_task(syms, &locked)
}

/// The part of `find_mm_struct()` done under the target's `exec_update_lock`.
fn target_of_locked_task(syms: &Symbols, locked: &ExecUpdateLock<'_>) -> Result<TargetMm> {
    let task = locked.task;
    // SAFETY: `task` is live and its `exec_update_lock` is held for read.
    if !unsafe { (syms.ptrace_may_access)(task.as_ptr(), bindings::PTRACE_MODE_READ_REALCREDS) } {
        return Err(EPERM);
    }
    #[cfg(CONFIG_SECURITY)]
    {
        // SAFETY: `task` is live.
        let ret = unsafe { (syms.security_task_movememory)(task.as_ptr()) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
    }
    let mems = cpuset_mems_allowed(syms, task);
    // SAFETY: `task` is live; `get_task_mm` returns its mm with a user reference, or null.
    let mm = NonNull::new(unsafe { bindings::get_task_mm(task.as_ptr()) }).ok_or(EINVAL)?;
    // SAFETY: `get_task_mm` took the user reference that `ARef` now owns; `MmWithUser` is a
    // transparent wrapper of `mm_struct`.
    let mm = unsafe { ARef::from_raw(mm.cast::<MmWithUser>()) };
    Ok(TargetMm { mm, mems })
}
