// SPDX-License-Identifier: GPL-2.0

//! `move_pages(2)` as a loadable module.
//!
//! For a process and an array of its addresses, reports the NUMA node of each page or migrates
//! the pages to requested nodes through the kernel's own migration core, with the return value
//! and per-page status of the system call of Linux 7.3 (`mm/migrate.c`).
//!
//! Requests arrive through the ioctl of `/dev/move_pages` ([`device`]) and become a
//! [`request::Request`], which runs the query path ([`query`]) or the move path ([`migrate`]).
//! [`mm_core`] is the boundary with the migration core, [`symbols`] resolves what the kernel
//! does not export.

use kernel::prelude::*;

mod device;
mod ffi;
mod layout;
mod migrate;
mod mm_core;
mod query;
mod request;
mod symbols;
mod uapi;
mod user;

module! {
    type: MovePagesModule,
    name: "move_pages",
    authors: ["The move_pages module authors"],
    description: "move_pages(2) in Rust: query and migrate pages of a process between NUMA nodes",
    license: "GPL",
}

#[pin_data]
struct MovePagesModule {
    #[pin]
    _device: device::Registration,
}

impl kernel::InPlaceModule for MovePagesModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _device <- {
                layout::check()
                    .inspect_err(|_| pr_err!("refusing to load: kernel ABI not as the bindings say\n"))?;
                symbols::resolve()
                    .inspect_err(|_| pr_err!("refusing to load: kernel symbols unusable\n"))?;
                device::Registration::register(c"move_pages", device::DEVICE_MODE)
            },
        })
    }
}
