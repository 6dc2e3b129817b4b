// SPDX-License-Identifier: GPL-2.0

//! The caller's seccomp filters, applied to the ioctl as to `move_pages(2)`.
//!
//! A process confined by seccomp (a container runtime's default profile, systemd's
//! `SystemCallFilter=`) may be denied `move_pages(2)`; the ioctl of `/dev/move_pages` must not
//! give it what the system call would not. Before an ioctl request runs, the caller's filters are
//! run on the `seccomp_data` the system call would have had (its number and audit architecture
//! for the caller's ABI, the request's six arguments), and their action decides:
//!
//! - `SECCOMP_RET_ALLOW`, `SECCOMP_RET_LOG`: the request runs;
//! - `SECCOMP_RET_ERRNO`: the request returns that errno (0 means return 0 without running), as
//!   the system call would;
//! - every other action (`KILL_PROCESS`, `KILL_THREAD`, `TRAP`, `TRACE`, `USER_NOTIF`) belongs to
//!   a system-call entry, where the ioctl is not: the request is refused with `-EPERM`, and
//!   nothing else happens (no signal, no tracer stop, no notification).
//!
//! The system call through the takeover needs none of this: the kernel runs the filters at its
//! entry, before the takeover's redirection.

use crate::{
    ffi,
    request::Request, //
};
use kernel::{
    bindings,
    prelude::*, //
};

/// What the filters decide for a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The request runs.
    Run,
    /// The request returns this without running.
    Return(Result<isize>),
}

/// `SECCOMP_RET_DATA`: the low 16 bits, the errno of `SECCOMP_RET_ERRNO`.
const RET_DATA: u32 = bindings::SECCOMP_RET_DATA;

/// The verdict for the filters' return value `ret` (action and data).
pub(crate) fn verdict(ret: u32) -> Verdict {
    match ret & bindings::SECCOMP_RET_ACTION_FULL {
        bindings::SECCOMP_RET_ALLOW | bindings::SECCOMP_RET_LOG => Verdict::Run,
        bindings::SECCOMP_RET_ERRNO => {
            // As `__seccomp_filter()`: the data is the errno, capped at `MAX_ERRNO`.
            let errno = (ret & RET_DATA).min(bindings::MAX_ERRNO) as c_int;
            Verdict::Return(if errno == 0 {
                Ok(0)
            } else {
                Err(Error::from_errno(-errno))
            })
        }
        _ => Verdict::Return(Err(EPERM)),
    }
}

/// Runs the current task's seccomp filters for `move_pages(2)` with the arguments of `req`.
pub(crate) fn filter(req: &Request) -> Verdict {
    // The arguments as the system call's registers carry them: a 32-bit `pid_t` and `int flags`
    // zero-extended, addresses and the count as they are.
    let args: [u64; 6] = [
        u64::from(req.pid as u32),
        req.nr_pages,
        req.pages as u64,
        req.nodes as u64,
        req.status as u64,
        u64::from(req.flags),
    ];
    // SAFETY: `args` holds the six arguments the helper reads; it runs the current task's own
    // filters, which stay attached while it runs.
    verdict(unsafe { ffi::mp_seccomp_move_pages(args.as_ptr()) })
}

#[kunit_tests(move_pages_seccomp)]
mod tests {
    use super::*;

    #[test]
    fn allow_and_log_run() {
        assert_eq!(verdict(bindings::SECCOMP_RET_ALLOW), Verdict::Run);
        assert_eq!(verdict(bindings::SECCOMP_RET_LOG), Verdict::Run);
    }

    #[test]
    fn errno_is_returned() {
        let eperm = bindings::SECCOMP_RET_ERRNO | 1;
        assert_eq!(verdict(eperm), Verdict::Return(Err(EPERM)));
        assert_eq!(verdict(bindings::SECCOMP_RET_ERRNO), Verdict::Return(Ok(0)));
        let big = bindings::SECCOMP_RET_ERRNO | 0xffff;
        assert_eq!(
            verdict(big),
            Verdict::Return(Err(Error::from_errno(-(bindings::MAX_ERRNO as c_int))))
        );
    }

    #[test]
    fn entry_actions_are_eperm() {
        for action in [
            bindings::SECCOMP_RET_KILL_PROCESS,
            bindings::SECCOMP_RET_KILL_THREAD,
            bindings::SECCOMP_RET_TRAP | 3,
            bindings::SECCOMP_RET_TRACE,
            bindings::SECCOMP_RET_USER_NOTIF,
        ] {
            assert_eq!(verdict(action), Verdict::Return(Err(EPERM)));
        }
    }
}
