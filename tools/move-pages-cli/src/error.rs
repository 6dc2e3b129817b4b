// SPDX-License-Identifier: GPL-2.0

//! The errors `move-pages` reports, each with what the user can do about it: opening the
//! device, reading `/proc/PID`, and the kernel's answers to a request.

use crate::report::errno_name;
use move_pages::DEVICE;
use nix::errno::Errno;
use std::io;

/// The request a kernel error answered, for its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The process.
    pub pid: u32,
    /// The destination, for a move to one node.
    pub node: Option<u32>,
    /// `MPOL_MF_MOVE_ALL`.
    pub all: bool,
}

const LOAD_HINT: &str = "the move_pages module is not loaded.\n\
    Load it with 'insmod move_pages.ko' (the module built in the project's top directory),\n\
    or 'modprobe move_pages' if it is installed.";

/// An error of `move-pages`, as the user reads it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `/dev/move_pages` is missing, or its driver is.
    #[error("cannot open {DEVICE}{}: {LOAD_HINT}", stale(.0))]
    NotLoaded(Errno),
    /// No read and write permission on the device.
    #[error(
        "cannot open {DEVICE}: {}: it needs read and write permission (the module creates it \
         with mode 0666)",
        describe(*.0)
    )]
    DeviceAccess(Errno),
    /// Any other error opening the device.
    #[error("cannot open {DEVICE}: {}", describe(*.0))]
    Open(Errno),
    /// The process does not exist.
    #[error("no such process: {0}")]
    NoProcess(u32),
    /// `/proc/PID/...` belongs to another user.
    #[error(
        "permission denied reading {path}: process {pid} belongs to another user (run as its \
         owner or as root)"
    )]
    ProcAccess {
        /// The file.
        path: String,
        /// Its process.
        pid: u32,
    },
    /// Any other error reading `/proc/PID/...`.
    #[error("cannot read {path}: {what}")]
    Proc {
        /// The file.
        path: String,
        /// What went wrong.
        what: String,
    },
    /// The kernel refused a request.
    #[error("{}", request_message(*.errno, .request))]
    Request {
        /// Its errno.
        errno: Errno,
        /// The request.
        request: Request,
    },
}

fn stale(e: &Errno) -> String {
    match e {
        Errno::ENOENT => String::new(),
        e => format!(" ({})", describe(*e)),
    }
}

/// `No such file or directory (ENOENT)`.
pub fn describe(e: Errno) -> String {
    match errno_name(e as i32) {
        Some(name) => format!("{} ({name})", e.desc()),
        None => e.desc().to_string(),
    }
}

fn errno_of(e: &io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(Errno::EIO as i32))
}

impl Error {
    /// An error of `Device::open()`.
    pub fn open(e: &io::Error) -> Self {
        match errno_of(e) {
            // A stale device node without its driver, too.
            e @ (Errno::ENOENT | Errno::ENXIO | Errno::ENODEV) => Self::NotLoaded(e),
            e @ (Errno::EPERM | Errno::EACCES) => Self::DeviceAccess(e),
            e => Self::Open(e),
        }
    }

    /// An error reading `path` of process `pid`.
    pub fn proc(e: &procfs::ProcError, pid: u32, path: &str) -> Self {
        use procfs::ProcError;
        match e {
            ProcError::NotFound(_) => Self::NoProcess(pid),
            ProcError::PermissionDenied(_) => Self::ProcAccess {
                path: path.to_string(),
                pid,
            },
            ProcError::Io(io, _) if matches!(errno_of(io), Errno::ENOENT | Errno::ESRCH) => {
                Self::NoProcess(pid)
            }
            e => Self::Proc {
                path: path.to_string(),
                what: e.to_string(),
            },
        }
    }

    /// The kernel's `errno` for `request`.
    pub fn request(errno: Errno, request: Request) -> Self {
        Self::Request { errno, request }
    }
}

fn request_message(errno: Errno, r: &Request) -> String {
    let pid = r.pid;
    let node = r
        .node
        .map_or_else(|| "the node".to_string(), |n| format!("node {n}"));
    match errno {
        Errno::ESRCH => format!("no such process: {pid} (it may have exited)"),
        Errno::EPERM if r.all => format!(
            "permission denied (EPERM): --all (MPOL_MF_MOVE_ALL) needs CAP_SYS_NICE, and process \
             {pid} must be yours or you must be root"
        ),
        Errno::EPERM => format!(
            "permission denied (EPERM): process {pid} belongs to another user (run as its owner \
             or as root)"
        ),
        Errno::EACCES if r.node.is_some() => {
            format!("{node} is not allowed by the cpuset of process {pid} (EACCES)")
        }
        Errno::EACCES => format!("permission denied (EACCES) for process {pid}"),
        Errno::ENODEV => format!("{node} has no memory or is offline (ENODEV)"),
        Errno::EINVAL => format!(
            "invalid request (EINVAL): process {pid} may have no memory of its own (a kernel \
             thread), or the module does not know this request"
        ),
        Errno::EFAULT => "bad address (EFAULT) in the request".to_string(),
        Errno::E2BIG => "too many pages (E2BIG) in one request: try a smaller --batch".into(),
        Errno::ENOMEM => "out of memory (ENOMEM) in one request: try a smaller --batch".into(),
        Errno::EINTR => "interrupted (EINTR)".to_string(),
        Errno::ENOTTY => format!(
            "{DEVICE} does not know the request (ENOTTY): is it the move_pages module of this \
             version?"
        ),
        e => format!("move_pages failed: {}", describe(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(node: Option<u32>, all: bool) -> Request {
        Request { pid: 42, node, all }
    }

    fn open(errno: i32) -> String {
        Error::open(&io::Error::from_raw_os_error(errno)).to_string()
    }

    #[test]
    fn a_missing_device_says_how_to_load_the_module() {
        let m = open(2);
        assert!(m.starts_with("cannot open /dev/move_pages: the move_pages module is not loaded"));
        assert!(m.contains("insmod move_pages.ko") && m.contains("modprobe move_pages"));
        let m = open(19);
        assert!(m.starts_with("cannot open /dev/move_pages (No such device (ENODEV)): the"));
        assert!(open(13).contains("Permission denied (EACCES): it needs read and write"));
        assert_eq!(open(5), "cannot open /dev/move_pages: I/O error (EIO)");
    }

    #[test]
    fn proc_errors() {
        let nf = procfs::ProcError::NotFound(None);
        assert_eq!(
            Error::proc(&nf, 9, "/proc/9/maps").to_string(),
            "no such process: 9"
        );
        let pd = procfs::ProcError::PermissionDenied(None);
        assert!(Error::proc(&pd, 9, "/proc/9/maps")
            .to_string()
            .starts_with("permission denied reading /proc/9/maps: process 9 belongs"));
    }

    #[test]
    fn kernel_errors_say_what_to_do() {
        let m = |e, r| Error::request(e, r).to_string();
        assert_eq!(
            m(Errno::ESRCH, req(None, false)),
            "no such process: 42 (it may have exited)"
        );
        assert!(m(Errno::EPERM, req(Some(1), true)).contains("CAP_SYS_NICE"));
        assert!(m(Errno::EPERM, req(Some(1), false)).contains("another user"));
        assert_eq!(
            m(Errno::EACCES, req(Some(1), false)),
            "node 1 is not allowed by the cpuset of process 42 (EACCES)"
        );
        assert_eq!(
            m(Errno::ENODEV, req(Some(2), false)),
            "node 2 has no memory or is offline (ENODEV)"
        );
        assert!(m(Errno::E2BIG, req(None, false)).contains("--batch"));
        assert!(m(Errno::ENOTTY, req(None, false)).contains("ENOTTY"));
        assert_eq!(
            m(Errno::EIO, req(None, false)),
            "move_pages failed: I/O error (EIO)"
        );
    }
}
