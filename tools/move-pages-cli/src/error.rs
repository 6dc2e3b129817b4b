// SPDX-License-Identifier: GPL-2.0

//! The messages of the errors the tool reports (exit status 1).

use crate::report::errno_name;
use move_pages::DEVICE;
use std::io;

/// `ENOENT`.
pub const ENOENT: i32 = 2;
/// `EIO`, for an error without an errno.
pub const EIO: i32 = 5;

/// What a failing request was about, for its error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The process (its real pid).
    pub pid: u32,
    /// The target node, when moving.
    pub node: Option<u32>,
    /// `--all`.
    pub all: bool,
}

fn errno_of(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(EIO)
}

fn describe(e: &io::Error) -> String {
    match e.raw_os_error().and_then(errno_name) {
        Some(name) => format!("{} ({name})", strip_os_error(e)),
        None => e.to_string(),
    }
}

/// `io::Error`'s text without its ` (os error N)` suffix.
fn strip_os_error(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Why `/dev/move_pages` could not be opened, and what to do about it.
pub fn open_error(e: &io::Error) -> String {
    let hint = "the move_pages module is not loaded.\n\
                Load it with 'insmod move_pages.ko' (the module built in the project's top \
                directory),\nor 'modprobe move_pages' if it is installed.";
    match errno_of(e) {
        ENOENT => format!("cannot open {DEVICE}: {hint}"),
        // A stale device node without its driver.
        6 | 19 => format!("cannot open {DEVICE} ({}): {hint}", describe(e)),
        1 | 13 => format!(
            "cannot open {DEVICE}: {}: it needs read and write permission \
             (the module creates it with mode 0666)",
            describe(e)
        ),
        _ => format!("cannot open {DEVICE}: {}", describe(e)),
    }
}

/// Why a file of `/proc/PID` could not be read.
pub fn proc_error(e: &io::Error, pid: u32, path: &str) -> String {
    match errno_of(e) {
        ENOENT | 3 => format!("no such process: {pid}"),
        1 | 13 => format!(
            "permission denied reading {path}: process {pid} belongs to another user \
             (run as its owner or as root)"
        ),
        _ => format!("cannot read {path}: {}", describe(e)),
    }
}

/// Why a `move_pages` request failed with `errno`.
pub fn request_error(errno: i32, r: &Request) -> String {
    let pid = r.pid;
    let node = r
        .node
        .map_or_else(|| "the node".to_string(), |n| format!("node {n}"));
    match errno {
        3 => format!("no such process: {pid} (it may have exited)"),
        1 if r.all => format!(
            "permission denied (EPERM): --all (MPOL_MF_MOVE_ALL) needs CAP_SYS_NICE, \
             and process {pid} must be yours or you must be root"
        ),
        1 => format!(
            "permission denied (EPERM): process {pid} belongs to another user \
             (run as its owner or as root)"
        ),
        13 if r.node.is_some() => {
            format!("{node} is not allowed by the cpuset of process {pid} (EACCES)")
        }
        13 => format!("permission denied (EACCES) for process {pid}"),
        19 => format!("{node} has no memory or is offline (ENODEV)"),
        22 => format!(
            "invalid request (EINVAL): process {pid} may have no memory of its own \
             (a kernel thread), or the module does not know this request"
        ),
        14 => "bad address (EFAULT) in the request".to_string(),
        7 | 12 => format!(
            "{} in one request: try a smaller --batch",
            if errno == 7 {
                "too many pages (E2BIG)"
            } else {
                "out of memory (ENOMEM)"
            }
        ),
        4 => "interrupted (EINTR)".to_string(),
        25 => format!(
            "{DEVICE} does not know the request (ENOTTY): is it the move_pages module of \
             this version?"
        ),
        _ => {
            let e = io::Error::from_raw_os_error(errno);
            format!("move_pages failed: {}", describe(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(errno: i32) -> io::Error {
        io::Error::from_raw_os_error(errno)
    }

    const MOVE: Request = Request {
        pid: 42,
        node: Some(1),
        all: false,
    };
    const QUERY: Request = Request {
        pid: 42,
        node: None,
        all: false,
    };

    #[test]
    fn module_not_loaded_says_how_to_load_it() {
        let m = open_error(&os(ENOENT));
        assert!(m.starts_with("cannot open /dev/move_pages: the move_pages module is not loaded"));
        assert!(m.contains("insmod move_pages.ko"), "{m}");
        assert!(m.contains("modprobe move_pages"), "{m}");
        let m = open_error(&os(6));
        assert!(
            m.contains("(ENXIO)") && m.contains("insmod move_pages.ko"),
            "{m}"
        );
        let m = open_error(&os(13));
        assert!(
            m.contains("Permission denied (EACCES)") && m.contains("0666"),
            "{m}"
        );
        assert!(!open_error(&os(5)).contains("insmod"));
    }

    #[test]
    fn proc_errors() {
        assert_eq!(
            proc_error(&os(ENOENT), 42, "/proc/42/maps"),
            "no such process: 42"
        );
        assert!(proc_error(&os(13), 42, "/proc/42/maps")
            .starts_with("permission denied reading /proc/42/maps"));
        assert_eq!(
            proc_error(&os(5), 42, "/proc/42/maps"),
            "cannot read /proc/42/maps: Input/output error (EIO)"
        );
    }

    #[test]
    fn request_errors_name_the_cause() {
        assert_eq!(
            request_error(3, &QUERY),
            "no such process: 42 (it may have exited)"
        );
        assert!(request_error(1, &QUERY).contains("belongs to another user"));
        assert!(request_error(1, &Request { all: true, ..MOVE }).contains("CAP_SYS_NICE"));
        assert_eq!(
            request_error(13, &MOVE),
            "node 1 is not allowed by the cpuset of process 42 (EACCES)"
        );
        assert_eq!(
            request_error(19, &MOVE),
            "node 1 has no memory or is offline (ENODEV)"
        );
        assert!(request_error(22, &QUERY).contains("EINVAL"));
        assert!(
            request_error(7, &MOVE).contains("E2BIG")
                && request_error(7, &MOVE).contains("--batch")
        );
        assert!(request_error(12, &MOVE).contains("ENOMEM"));
        assert!(request_error(25, &MOVE).contains("ENOTTY"));
        assert_eq!(
            request_error(5, &MOVE),
            "move_pages failed: Input/output error (EIO)"
        );
        assert_eq!(
            request_error(250, &MOVE),
            "move_pages failed: Unknown error 250 (os error 250)"
        );
    }
}
