// SPDX-License-Identifier: GPL-2.0

//! The ways a request comes in: the ioctl of `/dev/move_pages` ([`device`], which runs the
//! caller's seccomp filters first, [`seccomp`]) and, with the takeover on, the kernel's own
//! `move_pages(2)` entry points ([`takeover`]). Each turns its arguments into a
//! [`crate::request::Request`] and hands it to [`crate::request::serve`] with its [`Door`].

pub(crate) mod device;
pub(crate) mod seccomp;
pub(crate) mod takeover;

/// The way a request came in.
#[derive(Clone, Copy)]
pub(crate) enum Door {
    /// The ioctl of `/dev/move_pages`.
    Ioctl = 0,
    /// `move_pages(2)` from a 64-bit task, redirected by the takeover.
    Syscall = 1,
    /// `move_pages(2)` from a 32-bit task, redirected by the takeover (an x86_64 kernel without
    /// `CONFIG_IA32_EMULATION`, or an arm64 one without `CONFIG_COMPAT`, has no such task).
    #[cfg_attr(
        not(any(CONFIG_IA32_EMULATION, all(CONFIG_ARM64, CONFIG_COMPAT))),
        expect(dead_code)
    )]
    Syscall32 = 2,
}
