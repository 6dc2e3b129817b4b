// SPDX-License-Identifier: GPL-2.0

//! The syscall takeover: `move_pages(2)` of every process served by this module.
//!
//! An out-of-tree module cannot change the syscall table, so it does what live patching does:
//! an `ftrace_ops` with `FTRACE_OPS_FL_IPMODIFY`, filtered on the kernel's entry points, whose
//! callback sets the return address of the ftrace trampoline to the module's own entry point
//! with the same signature. The native function body is then never run. The entry points and
//! their register ABI are the architecture's ([`arch`]: `__x64_sys_move_pages` and, with IA32
//! emulation, `__ia32_sys_move_pages` on x86_64; `__arm64_sys_move_pages`, which 32-bit
//! callers reach too, on arm64); the rest is common.
//!
//! Off by default; `takeover=1` at load or `1` written to
//! `/sys/kernel/debug/move_pages/takeover` turns it on, `0` off.
//!
//! # Unloading
//!
//! Redirected callers hold no module reference. Turning the takeover off (and so unloading,
//! which turns it off first) unregisters the ops, then waits until no task can be in the
//! module's entry points:
//!
//! 1. `synchronize_rcu_tasks()`: a task that was redirected but preempted before the first
//!    instruction of the entry point has run it (and counted itself in [`IN_FLIGHT`]);
//! 2. [`IN_FLIGHT`] drops to zero: every caller inside has finished its request;
//! 3. `synchronize_rcu_tasks()` again: a task preempted after counting itself out has left the
//!    module's text.

use crate::{
    door::Door,
    ffi,
    request::{
        self,
        Request, //
    },
    symbols,
};
pub(crate) use arch::PT_REGS_LAYOUT;
use arch::{
    ENTRY_POINTS,
    NR_ENTRY_POINTS, //
};
use core::fmt;
use kernel::{
    bindings, new_mutex,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Mutex,
    },
    time::{
        delay::fsleep,
        Delta, //
    },
    types::Opaque,
    uaccess::UserSliceReader,
};

/// Callers inside the module's syscall entry points.
static IN_FLIGHT: Atomic<i64> = Atomic::new(0);

/// Counts a caller in [`IN_FLIGHT`] until dropped.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        IN_FLIGHT.add(1, Relaxed);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.add(-1, Relaxed);
    }
}

#[cfg(CONFIG_ARM64)]
#[path = "takeover/arm64.rs"]
mod arch;
#[cfg(CONFIG_X86_64)]
#[path = "takeover/x86_64.rs"]
mod arch;

/// One of the architecture's syscall entry points: its name and the module's replacement,
/// which has the same signature.
pub(super) struct EntryPoint {
    name: &'static CStr,
    target: unsafe extern "C" fn(*const bindings::pt_regs) -> c_long,
}

/// Serves a redirected call: the request decoded from its registers, through `door`.
fn serve_regs(door: Door, req: Request) -> c_long {
    let _in = InFlight::enter();
    match request::serve(door, &req) {
        Ok(n) => n as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

/// The ftrace callback: continue in the module's entry point (kept in `ops->private`).
///
/// # Safety
///
/// Called by ftrace for one of the takeover's ops, with that call's `fregs`.
unsafe extern "C" fn redirect(
    _ip: c_ulong,
    _parent_ip: c_ulong,
    op: *mut bindings::ftrace_ops,
    fregs: *mut bindings::ftrace_regs,
) {
    // SAFETY: `op` is one of our ops, whose `private` holds the target address.
    let target = unsafe { (*op).private } as c_ulong;
    // SAFETY: `fregs` is the live ftrace register frame of this call.
    unsafe { ffi::mp_ftrace_set_ip(fregs, target) };
}

/// One redirected entry point.
struct Entry {
    point: &'static EntryPoint,
    /// Address of the kernel's entry, if it exists on this kernel.
    addr: Option<usize>,
}

/// The takeover: its ftrace ops and whether they are registered.
///
/// # Invariants
///
/// `ops[i]` is registered with ftrace, filtered on `entries[i].addr`, exactly when `enabled`
/// is true; the ops are only touched with `enabled`'s lock held.
#[pin_data(PinnedDrop)]
pub(crate) struct Takeover {
    #[pin]
    enabled: Mutex<bool>,
    #[pin]
    ops: [Opaque<bindings::ftrace_ops>; NR_ENTRY_POINTS],
    entries: [Entry; NR_ENTRY_POINTS],
}

// SAFETY: The ftrace ops are only accessed under `enabled`'s lock (type invariant); ftrace
// itself reads them concurrently, which is what they are for.
unsafe impl Send for Takeover {}
// SAFETY: See `Send`.
unsafe impl Sync for Takeover {}

impl Takeover {
    /// A takeover, off, for the entry points this kernel has.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        let syms = symbols::get();
        let entries = ENTRY_POINTS.each_ref().map(|point| Entry {
            point,
            addr: syms.ok().and_then(|s| s.lookup_optional(point.name)),
        });
        try_pin_init!(Self {
            enabled <- new_mutex!(false),
            ops <- pin_init::pin_init_array_from_fn(|_| Opaque::zeroed()),
            entries,
        })
    }

    /// Whether the takeover is on.
    pub(crate) fn is_enabled(&self) -> bool {
        *self.enabled.lock()
    }

    /// Turns the takeover on; refuses, saying why, when redirection is impossible here.
    pub(crate) fn enable(&self) -> Result {
        let mut enabled = self.enabled.lock();
        if *enabled {
            return Ok(());
        }
        if !cfg!(CONFIG_DYNAMIC_FTRACE_WITH_ARGS) {
            pr_err!("takeover: needs CONFIG_DYNAMIC_FTRACE_WITH_ARGS\n");
            return Err(EOPNOTSUPP);
        }
        for (i, entry) in self.entries.iter().enumerate() {
            if let Err(e) = self.register(i, entry) {
                for j in 0..i {
                    self.unregister(j);
                }
                return Err(e);
            }
        }
        *enabled = true;
        pr_info!("takeover on: move_pages(2) is served by this module\n");
        Ok(())
    }

    /// Turns the takeover off and waits until no caller is inside the module's entry points.
    ///
    /// With `interruptible`, a signal ends the wait: the takeover is turned on again and
    /// `EINTR` returned (a caller may be blocked for good, in a userfaultfd- or FUSE-backed
    /// array for example). Otherwise (unloading) the wait ends only when the callers are out.
    pub(crate) fn disable(&self, interruptible: bool) -> Result {
        let mut enabled = self.enabled.lock();
        if !*enabled {
            return Ok(());
        }
        for i in 0..self.entries.len() {
            self.unregister(i);
        }
        *enabled = false;
        drop(enabled);
        if let Err(e) = drain(interruptible) {
            // Calls that arrive from now on are the module's again; those inside go on.
            match self.enable() {
                Ok(()) => pr_info!("takeover left on: interrupted while callers were inside\n"),
                Err(re) => {
                    pr_warn!("takeover off: interrupted, cannot turn it on again ({re:?})\n")
                }
            }
            return Err(e);
        }
        pr_info!("takeover off\n");
        Ok(())
    }

    fn register(&self, i: usize, entry: &Entry) -> Result {
        let Some(addr) = entry.addr else {
            pr_err!(
                "takeover: kernel symbol {} not found\n",
                entry.point.name.to_str().unwrap_or("?")
            );
            return Err(ENOENT);
        };
        let ops = self.ops[i].get();
        // SAFETY: `ops` is ours, zeroed or left by `unregister`, and not registered (we hold
        // the lock and `enabled` is false).
        unsafe {
            (*ops).func = Some(redirect);
            (*ops).flags = bindings::FTRACE_OPS_FL_IPMODIFY as c_ulong;
            (*ops).private = entry.point.target as *mut c_void;
        }
        let name = entry.point.name.to_str().unwrap_or("?");
        // SAFETY: `ops` is a valid ftrace_ops; `addr` a kernel text address.
        let mut ret = unsafe { bindings::ftrace_set_filter_ip(ops, addr as c_ulong, 0, 0) };
        if ret != 0 {
            pr_err!("takeover: {name} cannot be traced ({ret}): not an ftrace location\n");
        } else {
            // SAFETY: `ops` is filtered and stays pinned until `unregister`.
            ret = unsafe { bindings::register_ftrace_function(ops) };
            if ret != 0 {
                pr_err!(
                    "takeover: cannot redirect {name} ({ret}; another IPMODIFY user such as a live patch?)\n"
                );
            }
        }
        if ret != 0 {
            // SAFETY: `ops` is not registered; this frees whatever its filter holds.
            unsafe { bindings::ftrace_free_filter(ops) };
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    fn unregister(&self, i: usize) {
        let ops = self.ops[i].get();
        // SAFETY: `ops` was registered by `register`; after unregistering, ftrace no longer
        // calls `redirect` for it, and its filter can be freed.
        unsafe {
            bindings::unregister_ftrace_function(ops);
            bindings::ftrace_free_filter(ops);
        }
    }
}

/// Waits until no task is in, or about to enter, the module's entry points (see the module
/// documentation); with `interruptible`, `EINTR` if a signal comes first.
fn drain(interruptible: bool) -> Result {
    // SAFETY: May sleep; called without spinlocks held.
    unsafe { bindings::synchronize_rcu_tasks() };
    while IN_FLIGHT.load(Relaxed) != 0 {
        if interruptible && kernel::current!().signal_pending() {
            return Err(EINTR);
        }
        fsleep(Delta::from_millis(10));
    }
    // SAFETY: As above.
    unsafe { bindings::synchronize_rcu_tasks() };
    Ok(())
}

#[pinned_drop]
impl PinnedDrop for Takeover {
    fn drop(self: Pin<&mut Self>) {
        // Uninterruptible: the module's text must not go while a caller is inside.
        let _ = self.disable(false);
    }
}

/// Shows the takeover state in debugfs: `0` or `1`.
pub(crate) fn show(t: &Takeover, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", u8::from(t.is_enabled()))
}

/// Switches the takeover from debugfs: `1` (or `y`) on, `0` (or `n`) off.
pub(crate) fn store(t: &Takeover, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 8];
    let len = reader.len().min(buf.len());
    reader.read_slice(&mut buf[..len])?;
    match buf.first() {
        Some(b'1' | b'y' | b'Y') => t.enable(),
        Some(b'0' | b'n' | b'N') => t.disable(true),
        _ => Err(EINVAL),
    }
}
