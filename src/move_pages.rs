// SPDX-License-Identifier: GPL-2.0

//! `move_pages(2)` as a loadable module.
//!
//! For a process and an array of its addresses, reports the NUMA node of each page or migrates
//! the pages to requested nodes through the kernel's own migration core, with the return value
//! and per-page status of the system call of Linux 7.3 (`mm/migrate.c`).
//!
//! Requests arrive through the ioctl of `/dev/move_pages` ([`door::device`]) or, with the
//! takeover on, through the kernel's own `move_pages(2)` entry points ([`door::takeover`]), and
//! become a [`request::Request`], which runs the query path ([`query`]) or the move path
//! ([`migrate`]). [`folio`], [`isolate`], [`target`] and [`node`] are the boundary with the
//! migration core, [`symbols`] resolves what the kernel does not export, [`layout`] checks the
//! bindings against the C compiler.
//!
//! debugfs (`/sys/kernel/debug/move_pages/`): `takeover` (0/1, writable) and `stats`.

use door::{
    device,
    takeover, //
};
use kernel::{
    debugfs::{
        Dir,
        File, //
    },
    prelude::*,
};

mod door;
mod exact;
mod ffi;
mod folio;
mod isolate;
mod layout;
mod migrate;
mod node;
mod parallel;
mod query;
mod request;
mod stats;
mod symbols;
mod target;
mod uapi;
mod user;

module! {
    type: MovePagesModule,
    name: "move_pages",
    authors: ["The move_pages module authors"],
    description: "move_pages(2) in Rust: query and migrate pages of a process between NUMA nodes",
    license: "GPL",
    params: {
        takeover: bool {
            default: false,
            description: "Serve every move_pages(2) call of the system (also switchable in debugfs)",
        },
    },
}

/// The module. Fields drop in order: the takeover goes (and drains its callers) first.
#[pin_data]
struct MovePagesModule {
    #[pin]
    _takeover: File<takeover::Takeover>,
    #[pin]
    _stats: File<()>,
    _debugfs: Dir,
    #[pin]
    _device: device::Registration,
    /// Dropped last: every door is gone, so no request can queue work.
    _pool: parallel::Pool,
}

impl kernel::InPlaceModule for MovePagesModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let checked = layout::check()
            .inspect_err(|_| pr_err!("refusing to load: kernel ABI not as the bindings say\n"))
            .and_then(|()| {
                symbols::resolve()
                    .inspect_err(|_| pr_err!("refusing to load: kernel symbols unusable\n"))
            });
        let debugfs = Dir::new(c"move_pages");
        try_pin_init!(Self {
            _pool: {
                checked?;
                parallel::Pool::new()?
            },
            _device <- device::Registration::register(c"move_pages", device::DEVICE_MODE),
            _stats <- debugfs.read_callback_file(c"stats", (), &stats::show),
            _takeover <- debugfs
                .read_write_callback_file(
                    c"takeover",
                    takeover::Takeover::new(),
                    &takeover::show,
                    &takeover::store,
                )
                .pin_chain(|t| {
                    if module_parameters::takeover.value() {
                        t.enable()
                    } else {
                        Ok(())
                    }
                }),
            _debugfs: debugfs,
        })
    }
}
