// SPDX-License-Identifier: GPL-2.0

//! Counters of what the module served, by front door, shown in debugfs
//! (`/sys/kernel/debug/move_pages/stats`).

use crate::{
    door::Door,
    request::Request, //
};
use core::fmt;
use kernel::{
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

const DOORS: [&str; 3] = ["ioctl", "syscall", "syscall32"];

/// The errnos counted one by one; anything else is "other".
const ERRNOS: [(Error, &str); 8] = [
    (EINVAL, "EINVAL"),
    (EPERM, "EPERM"),
    (ESRCH, "ESRCH"),
    (EINTR, "EINTR"),
    (ENODEV, "ENODEV"),
    (EACCES, "EACCES"),
    (EFAULT, "EFAULT"),
    (ENOMEM, "ENOMEM"),
];

struct Stats {
    calls: [Atomic<u64>; 3],
    query_calls: Atomic<u64>,
    move_calls: Atomic<u64>,
    pages_queried: Atomic<u64>,
    pages_moved: Atomic<u64>,
    pages_not_migrated: Atomic<u64>,
    worker_slices: Atomic<u64>,
    retried: Atomic<u64>,
    errors: [Atomic<u64>; ERRNOS.len() + 1],
}

static STATS: Stats = Stats {
    calls: [const { Atomic::new(0) }; 3],
    query_calls: Atomic::new(0),
    move_calls: Atomic::new(0),
    pages_queried: Atomic::new(0),
    pages_moved: Atomic::new(0),
    pages_not_migrated: Atomic::new(0),
    worker_slices: Atomic::new(0),
    retried: Atomic::new(0),
    errors: [const { Atomic::new(0) }; ERRNOS.len() + 1],
};

/// Counts one call through `door` and its result.
///
/// A successful query counts `nr_pages` queried; a move that returned `n` counts
/// `nr_pages - n` pages handled (moved, already there, or given a per-page error) and `n` not
/// migrated.
pub(crate) fn record(door: Door, req: &Request, result: &Result<isize>) {
    STATS.calls[door as usize].add(1, Relaxed);
    let query = req.nodes == 0;
    if query {
        STATS.query_calls.add(1, Relaxed);
    } else {
        STATS.move_calls.add(1, Relaxed);
    }
    match result {
        Ok(_) if query => STATS.pages_queried.add(req.nr_pages, Relaxed),
        Ok(n) if *n >= 0 => {
            let n = *n as u64;
            STATS
                .pages_moved
                .add(req.nr_pages.saturating_sub(n), Relaxed);
            STATS.pages_not_migrated.add(n, Relaxed);
        }
        // A count that wrapped below zero (see `request::syscall_return`): counted as "other".
        Ok(_) => STATS.errors[ERRNOS.len()].add(1, Relaxed),
        Err(e) => {
            let i = ERRNOS
                .iter()
                .position(|(errno, _)| errno == e)
                .unwrap_or(ERRNOS.len());
            STATS.errors[i].add(1, Relaxed);
        }
    }
}

/// Counts a slice of a parallel request that a worker ran.
pub(crate) fn worker_slice() {
    STATS.worker_slices.add(1, Relaxed);
}

/// Counts `n` entries of a parallel request looked up again because their folio was busy.
pub(crate) fn retried(n: usize) {
    STATS.retried.add(n as u64, Relaxed);
}

/// Writes the counters, one `name value` per line (the debugfs file's read callback).
pub(crate) fn show(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (door, calls) in DOORS.iter().zip(STATS.calls.iter()) {
        writeln!(f, "calls_{} {}", door, calls.load(Relaxed))?;
    }
    writeln!(f, "query_calls {}", STATS.query_calls.load(Relaxed))?;
    writeln!(f, "move_calls {}", STATS.move_calls.load(Relaxed))?;
    writeln!(f, "pages_queried {}", STATS.pages_queried.load(Relaxed))?;
    writeln!(f, "pages_moved {}", STATS.pages_moved.load(Relaxed))?;
    writeln!(
        f,
        "pages_not_migrated {}",
        STATS.pages_not_migrated.load(Relaxed)
    )?;
    writeln!(f, "parallel_slices {}", STATS.worker_slices.load(Relaxed))?;
    writeln!(f, "parallel_retried {}", STATS.retried.load(Relaxed))?;
    for (i, count) in STATS.errors.iter().enumerate() {
        let name = ERRNOS.get(i).map_or("other", |(_, name)| name);
        writeln!(f, "errors_{} {}", name, count.load(Relaxed))?;
    }
    Ok(())
}
