// SPDX-License-Identifier: GPL-2.0

//! The front door: the misc device `/dev/move_pages` and its ioctl.
//!
//! The device node is created with mode 0666: the ioctl grants nothing the `move_pages(2)`
//! system call does not already grant to every user, because each request goes through the
//! syscall's own checks (`CAP_SYS_NICE` for `MPOL_MF_MOVE_ALL`, `ptrace_may_access()` for
//! another process, the target's cpuset), and first through the caller's seccomp filters, run
//! as for the system call ([`crate::door::seccomp`]).

use crate::{
    door::{
        seccomp::{
            self,
            Verdict, //
        },
        Door,
    },
    request,
    uapi::{
        MovePagesArgs,
        MOVE_PAGES_IOC_MOVE, //
    },
};
use kernel::{
    bindings,
    error::to_result,
    fs::File,
    ioctl::_IOC_SIZE,
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
    types::Opaque,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

/// Mode of the device node.
pub(crate) const DEVICE_MODE: u16 = 0o666;

/// The open file of `/dev/move_pages`; it keeps no state.
pub(crate) struct MovePagesDevice;

#[vtable]
impl MiscDevice for MovePagesDevice {
    type Ptr = ();

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result {
        Ok(())
    }

    fn ioctl(_me: (), _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            MOVE_PAGES_IOC_MOVE => {
                let args: MovePagesArgs = UserSlice::new(UserPtr::from_addr(arg), _IOC_SIZE(cmd))
                    .reader()
                    .read()?;
                let req = args.to_request()?;
                match seccomp::filter(&req) {
                    Verdict::Run => request::serve(Door::Ioctl, &req),
                    Verdict::Return(ret) => ret,
                }
            }
            _ => Err(ENOTTY),
        }
    }
}

/// A misc device registration with a node mode, which [`MiscDeviceOptions`] cannot express.
///
/// # Invariants
///
/// `inner` is a `struct miscdevice` built by [`MiscDeviceOptions::into_raw`] for
/// [`MovePagesDevice`] and registered with `misc_register()` until `drop`. Like
/// [`MiscDeviceRegistration`], this type is a transparent wrapper of the `miscdevice`, which is
/// what the file operations of `into_raw` expect `file->private_data` to point to.
#[repr(transparent)]
#[pin_data(PinnedDrop)]
pub(crate) struct Registration {
    #[pin]
    inner: Opaque<bindings::miscdevice>,
}

// SAFETY: `misc_deregister` may be called from any thread.
unsafe impl Send for Registration {}
// SAFETY: No `&self` method mutates.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers `/dev/<name>` with node mode `mode`.
    pub(crate) fn register(name: &'static CStr, mode: u16) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                let mut raw = MiscDeviceOptions { name }.into_raw::<MovePagesDevice>();
                raw.mode = mode;
                // SAFETY: The initializer may write to `slot`.
                unsafe { slot.write(raw) };
                // SAFETY: `slot` holds a complete miscdevice that stays pinned until `drop`
                // deregisters it.
                // INVARIANT: On success the device is registered.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for Registration {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered by the type invariants; deregistered exactly once here.
        unsafe { bindings::misc_deregister(self.inner.get()) };
    }
}
