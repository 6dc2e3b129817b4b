// SPDX-License-Identifier: GPL-2.0

//! The library behind the `move-pages` command (see `src/main.rs` for its usage): pure,
//! testable parts for the command line ([`args`]), address ranges ([`range`]),
//! `/proc/PID/maps` and the selection of pages ([`maps`]), NUMA node checks ([`nodes`]),
//! histograms and reports ([`report`]), error messages ([`error`]) and the progress bar
//! ([`progress`]); [`run`] ties them to `/dev/move_pages`.

pub mod args;
pub mod error;
pub mod maps;
pub mod nodes;
pub mod progress;
pub mod range;
pub mod report;
pub mod run;
