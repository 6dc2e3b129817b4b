// SPDX-License-Identifier: GPL-2.0

//! The library behind the `move-pages` command (see `src/main.rs` for its usage): the command
//! line on `clap` ([`cli`]), the pages a command works on, from `/proc/PID/maps` read by
//! `procfs` ([`select`]), NUMA node checks ([`nodes`]), reports as text and `serde` JSON
//! ([`report`]), error messages ([`error`]); [`run`] ties them to `/dev/move_pages`.

pub mod cli;
pub mod error;
pub mod nodes;
pub mod report;
pub mod run;
pub mod select;
