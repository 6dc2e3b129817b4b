// SPDX-License-Identifier: GPL-2.0

//! move - migrate a buffer to another node through `/dev/move_pages`.
//!
//! Fills `NR_PAGES` anonymous pages with a pattern, moves them all to `NODE` (default 1) with
//! [`Device::move_pages`], checks each page's status and that the contents survived the
//! migration, then queries again to confirm. The call has the semantics of `move_pages(2)`: an
//! error, or the number of pages not migrated (0 when every page was handled; `status` says how).
//!
//! Usage: `move [NODE]` (needs the module and a NUMA machine with `NODE`).

use move_pages::{Device, MPOL_MF_MOVE};
use move_pages_samples::Pages;
use std::process::ExitCode;

const NR_PAGES: usize = 32;
const ENODEV: i32 = 19;

/// Fails unless every page is on `node`.
fn check_status(what: &str, status: &[i32], node: i32) -> Result<(), String> {
    match status.iter().position(|&s| s != node) {
        None => Ok(()),
        Some(i) => Err(format!(
            "{what}: page {i}: status {}, expected node {node}",
            status[i]
        )),
    }
}

fn run(node: i32) -> Result<(), String> {
    let dev = Device::open().map_err(|e| {
        format!(
            "cannot open {}: {e} (is move_pages.ko loaded?)",
            move_pages::DEVICE
        )
    })?;
    let mut buf = Pages::new(NR_PAGES).map_err(|e| format!("mmap: {e}"))?;

    // Page i is filled with byte i + 1: faulted in, and recognisable.
    for i in 0..NR_PAGES {
        buf.page_mut(i).fill(i as u8 + 1);
    }
    let pages = buf.addrs();
    let nodes = vec![node; NR_PAGES];
    let mut status = vec![0; NR_PAGES];

    match dev.move_pages(0, &pages, Some(&nodes), &mut status, MPOL_MF_MOVE) {
        Ok(0) => {}
        Ok(n) => return Err(format!("{n} pages not migrated")),
        Err(e) if e.raw_os_error() == Some(ENODEV) => {
            return Err(format!(
                "ENODEV: no node {node} with memory on this machine"
            ));
        }
        Err(e) => return Err(format!("MOVE_PAGES_IOC_MOVE: {e}")),
    }
    check_status("after the move", &status, node)?;
    println!(
        "moved {NR_PAGES} pages of {} bytes to node {node} through {}",
        buf.page_size(),
        move_pages::DEVICE
    );

    // Migration copies the data to the new page: it must be unchanged.
    for i in 0..NR_PAGES {
        if buf.page(i).iter().any(|&b| b != i as u8 + 1) {
            return Err(format!("page {i}: contents changed"));
        }
    }
    println!("contents intact");

    // Query mode (`nodes: None`): every page must now report the node.
    dev.move_pages(0, &pages, None, &mut status, 0)
        .map_err(|e| format!("query: {e}"))?;
    check_status("query", &status, node)?;
    println!("query confirms all {NR_PAGES} pages on node {node}");
    println!("move: ok");
    Ok(())
}

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    let Ok(node) = arg.as_deref().unwrap_or("1").parse() else {
        eprintln!("usage: move [NODE]");
        return ExitCode::from(2);
    };
    match run(node) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("move: {e}");
            ExitCode::FAILURE
        }
    }
}
