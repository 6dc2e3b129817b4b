// SPDX-License-Identifier: GPL-2.0

//! takeover - a plain `move_pages(2)` program, served by the module when the takeover is on.
//!
//! Nothing here is specific to the module: the program calls the system call itself (as
//! libnuma's `move_pages()` does) to find the node of each page of a buffer, move the buffer to
//! node 1, and move it back.
//!
//! Once the takeover is on (`insmod move_pages.ko takeover=1`, or at run time
//! `echo 1 > /sys/kernel/debug/move_pages/takeover`), the kernel's `move_pages(2)` entry point is
//! redirected through ftrace to the module, so these same calls run the module's implementation,
//! with the same results. What shows it is the module's counters: `calls_syscall` in
//! `/sys/kernel/debug/move_pages/stats` grows by one per call of a 64-bit process
//! (`calls_syscall32` for 32-bit). With `--expect-takeover` the program reads it before and after,
//! and fails unless it grew by exactly the number of calls made (so nothing else may call
//! `move_pages(2)` meanwhile).
//!
//! Usage: `takeover [--expect-takeover]` (needs a NUMA machine with node 1).

use move_pages_samples::Pages;
use std::ffi::{c_int, c_long, c_void};
use std::io;
use std::process::ExitCode;

const MPOL_MF_MOVE: c_long = 1 << 1;
const ENODEV: i32 = 19;
const NR_PAGES: usize = 32;
const STATS: &str = "/sys/kernel/debug/move_pages/stats";

/// `move_pages(2)` on our own pages: a query if `nodes` is `None`, else a move. Returns the number
/// of pages not migrated.
fn sys_move_pages(
    pages: &[*mut c_void],
    nodes: Option<&[c_int]>,
    status: &mut [c_int],
) -> io::Result<c_long> {
    assert!(status.len() == pages.len() && nodes.is_none_or(|n| n.len() == pages.len()));
    let nodes = nodes.map_or(std::ptr::null(), <[c_int]>::as_ptr);
    // SAFETY: `pages`, `nodes` (unless null) and `status` are live arrays of `pages.len()`
    // entries; the kernel reads the first two and writes the last, nothing else of ours.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_move_pages,
            0 as c_long,
            pages.len(),
            pages.as_ptr(),
            nodes,
            status.as_mut_ptr(),
            MPOL_MF_MOVE,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// The value of the `calls_syscall N` line of the module's stats.
fn read_counter() -> Result<u64, String> {
    let stats = std::fs::read_to_string(STATS)
        .map_err(|e| format!("{STATS}: {e} (module loaded? as root?)"))?;
    stats
        .lines()
        .find_map(|line| line.strip_prefix("calls_syscall "))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no calls_syscall line in {STATS}"))
}

/// Moves page i to `nodes[i]`; fails unless every page arrived there.
fn move_to(pages: &[*mut c_void], nodes: &[c_int], where_: &str) -> Result<(), String> {
    let mut status = vec![0; pages.len()];
    match sys_move_pages(pages, Some(nodes), &mut status) {
        Ok(0) => {}
        Ok(n) => return Err(format!("{where_}: {n} pages not migrated")),
        Err(e) if e.raw_os_error() == Some(ENODEV) => {
            return Err(format!(
                "{where_}: ENODEV: no node 1 (needs a NUMA machine)"
            ));
        }
        Err(e) => return Err(format!("{where_}: move_pages(2): {e}")),
    }
    if let Some(i) = (0..pages.len()).find(|&i| status[i] != nodes[i]) {
        return Err(format!("{where_}: page {i}: status {}", status[i]));
    }
    println!("moved {} pages {where_}", pages.len());
    Ok(())
}

fn run(expect: bool) -> Result<(), String> {
    let before = if expect { read_counter()? } else { 0 };
    let mut buf = Pages::new(NR_PAGES).map_err(|e| format!("mmap: {e}"))?;
    for i in 0..NR_PAGES {
        buf.page_mut(i).fill(i as u8 + 1);
    }
    let pages = buf.addrs();

    // Query (`nodes == NULL`): the node each page was first put on.
    let mut home = vec![0; NR_PAGES];
    sys_move_pages(&pages, None, &mut home).map_err(|e| format!("query: {e}"))?;
    println!("buffer of {NR_PAGES} pages starts on node {}", home[0]);

    move_to(&pages, &[1; NR_PAGES], "to node 1")?;
    move_to(&pages, &home, "back")?;
    if (0..NR_PAGES).any(|i| buf.page(i).iter().any(|&b| b != i as u8 + 1)) {
        return Err("contents changed".into());
    }
    let calls = 3; // the query and the two moves
    println!("contents intact after {calls} move_pages(2) calls");
    if !expect {
        return Ok(());
    }

    let after = read_counter()?;
    println!("calls_syscall: {before} before, {after} after");
    if after.wrapping_sub(before) != calls {
        return Err(format!(
            "calls_syscall did not grow by {calls}: is the takeover on?"
        ));
    }
    println!("all {calls} calls were served by the module");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let expect = match args.as_slice() {
        [] => false,
        [a] if a == "--expect-takeover" => true,
        _ => {
            eprintln!("usage: takeover [--expect-takeover]");
            return ExitCode::from(2);
        }
    };
    match run(expect) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("takeover: {e}");
            ExitCode::FAILURE
        }
    }
}
