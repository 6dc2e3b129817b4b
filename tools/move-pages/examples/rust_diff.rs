// SPDX-License-Identifier: GPL-2.0

//! Guest test of the Rust library: the same requests through the native system call and through
//! the library's `move_pages()` (libnuma's signature) and `Device::move_pages`; prints TAP.

use move_pages::{Device, MPOL_MF_MOVE};
use std::ffi::{c_int, c_long, c_void};

const PAGE: usize = 4096;

fn native(pages: &mut [*mut c_void], nodes: Option<&[c_int]>, status: &mut [c_int]) -> c_long {
    let nodes = nodes.map_or(std::ptr::null(), |n| n.as_ptr());
    // SAFETY: The arrays are live and as long as `pages`.
    unsafe {
        libc::syscall(
            libc::SYS_move_pages,
            0 as c_int,
            pages.len(),
            pages.as_mut_ptr(),
            nodes,
            status.as_mut_ptr(),
            MPOL_MF_MOVE,
        )
    }
}

fn main() {
    let mut n = 0;
    let mut failed = 0;
    let mut check = |ok: bool, name: &str| {
        n += 1;
        if !ok {
            failed += 1;
        }
        println!("{}ok {} {}", if ok { "" } else { "not " }, n, name);
    };
    println!("TAP version 13\n1..5");

    let dev = Device::open().expect("open /dev/move_pages");
    let buf = vec![0x5au8; 64 * PAGE + PAGE];
    let base = (buf.as_ptr() as usize + PAGE - 1) & !(PAGE - 1);
    let mut pages: Vec<*mut c_void> = (0..64).map(|i| (base + i * PAGE) as *mut c_void).collect();

    let mut s_native = vec![0; 64];
    let mut s_lib = vec![0; 64];
    let r_native = native(&mut pages, None, &mut s_native);
    let r_lib = dev.move_pages(0, &pages, None, &mut s_lib, 0);
    check(
        r_native == 0 && r_lib.is_ok() && s_native == s_lib,
        "query_like_native",
    );

    let target: Vec<c_int> = s_native
        .iter()
        .map(|s| if *s == 0 { 1 } else { 0 })
        .collect();
    let r_lib = dev.move_pages(
        0,
        &pages[..32],
        Some(&target[..32]),
        &mut s_lib[..32],
        MPOL_MF_MOVE,
    );
    let r_native = native(&mut pages[32..], Some(&target[32..]), &mut s_native[32..]);
    check(
        r_native == 0
            && r_lib.ok() == Some(0)
            && s_lib[..32] == target[..32]
            && s_native[32..] == target[32..],
        "move_like_native",
    );

    // libnuma's signature, called as C would.
    let mut s_c = vec![0; 64];
    // SAFETY: The arrays are live and 64 entries long.
    let r_c = unsafe {
        move_pages::move_pages(
            0,
            64,
            pages.as_mut_ptr(),
            std::ptr::null(),
            s_c.as_mut_ptr(),
            0,
        )
    };
    check(r_c == 0 && s_c == target, "libnuma_signature_query");

    // Address 1: nothing is ever mapped there.
    let bad = [std::ptr::without_provenance_mut::<c_void>(1); 1];
    let mut st = [0; 1];
    let r = dev.move_pages(0, &bad, Some(&[7]), &mut st, MPOL_MF_MOVE);
    check(
        r.err().and_then(|e| e.raw_os_error()) == Some(19),
        "invalid_node_is_enodev",
    );

    check(buf[PAGE * 3] == 0x5a, "contents_intact");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
