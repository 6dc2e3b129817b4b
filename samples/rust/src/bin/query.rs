// SPDX-License-Identifier: GPL-2.0

//! query - where are my pages? Query mode of `/dev/move_pages`.
//!
//! Maps `NR_PAGES + 1` anonymous pages, writes to the first `NR_PAGES` and leaves the last one
//! untouched, then asks the module for the node of each page and prints how many pages are on
//! each node. With `nodes: None` nothing moves: like `move_pages(2)` with `nodes == NULL`, the
//! call only fills `status` with the node of each page, or `-ENOENT` for a page never touched.
//!
//! Usage: `query` (needs the module: `insmod move_pages.ko`).

use move_pages::Device;
use move_pages_samples::Pages;
use std::collections::BTreeMap;
use std::process::ExitCode;

const NR_PAGES: usize = 16;
const ENOENT: i32 = 2;

fn run() -> Result<(), String> {
    let dev = Device::open().map_err(|e| {
        format!(
            "cannot open {}: {e} (is move_pages.ko loaded?)",
            move_pages::DEVICE
        )
    })?;
    let mut buf = Pages::new(NR_PAGES + 1).map_err(|e| format!("mmap: {e}"))?;

    // Write the first NR_PAGES: each write faults in a page on some node.
    for i in 0..NR_PAGES {
        buf.page_mut(i).fill(0x5a);
    }

    // pid 0 is the caller; flags do not matter to a query. `status` is fully written by the
    // call: poison it to show that.
    let mut status = vec![i32::MAX; NR_PAGES + 1];
    dev.move_pages(0, &buf.addrs(), None, &mut status, 0)
        .map_err(|e| format!("MOVE_PAGES_IOC_MOVE: {e}"))?;

    let mut per_node = BTreeMap::new();
    for (i, &node) in status[..NR_PAGES].iter().enumerate() {
        if node < 0 {
            return Err(format!("page {i}: unexpected status {node}"));
        }
        *per_node.entry(node).or_insert(0) += 1;
    }

    let untouched = status[NR_PAGES];
    println!(
        "queried {} pages of {} bytes through {}",
        NR_PAGES + 1,
        buf.page_size(),
        move_pages::DEVICE
    );
    for (node, count) in per_node {
        println!("  node {node}: {count} pages");
    }
    let why = std::io::Error::from_raw_os_error(untouched.wrapping_neg());
    println!("  untouched page: status {untouched} ({why})");
    if untouched != -ENOENT {
        return Err("the untouched page should be -ENOENT".into());
    }
    println!("query: ok");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("query: {e}");
            ExitCode::FAILURE
        }
    }
}
