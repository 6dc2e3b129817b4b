// SPDX-License-Identifier: GPL-2.0

//! Which NUMA node each page of a buffer of this process is on, asked through
//! `Device::move_pages()` (a query: no target nodes).
//!
//! Needs the module loaded (`/dev/move_pages`); without it, says so and exits with status 1.

use move_pages::{Device, DEVICE};
use nix::errno::Errno;
use nix::unistd::{sysconf, SysconfVar};
use std::ffi::{c_int, c_void};
use std::io::ErrorKind;
use std::process::ExitCode;

/// The number of pages of the buffer.
const PAGES: usize = 8;

fn main() -> ExitCode {
    let dev = match Device::open() {
        Ok(dev) => dev,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            eprintln!(
                "query_self: {DEVICE} is absent: load the move_pages module first \
                 (insmod move_pages.ko, or modprobe move_pages)"
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("query_self: cannot open {DEVICE}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let page_size = match sysconf(SysconfVar::PAGE_SIZE) {
        Ok(Some(size)) if size > 0 => size as usize,
        _ => 4096,
    };

    // Written, so that every page is faulted in: an untouched page has no node (`-ENOENT`).
    let buf = vec![0x5au8; PAGES * page_size];
    let pages: Vec<*mut c_void> = buf
        .chunks(page_size)
        .map(|page| page.as_ptr() as *mut c_void)
        .collect();
    let mut status: Vec<c_int> = vec![0; pages.len()];

    if let Err(e) = dev.move_pages(0, &pages, None, &mut status, 0) {
        eprintln!("query_self: the query failed: {e}");
        return ExitCode::FAILURE;
    }
    println!("{} pages of {page_size} bytes:", pages.len());
    for (&page, status) in pages.iter().zip(&status) {
        if *status >= 0 {
            println!("{page:p}  node {status}");
        } else {
            let errno = Errno::from_raw(-status);
            println!("{page:p}  {errno}");
        }
    }
    ExitCode::SUCCESS
}
