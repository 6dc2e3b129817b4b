// SPDX-License-Identifier: GPL-2.0

//! `move-pages`: where the pages of a process are, and moving them to another NUMA node, through
//! `move_pages(2)` as served by `/dev/move_pages` (the move_pages kernel module).
//!
//! # Usage
//!
//! ```text
//! move-pages query --pid PID [SELECTION] [--batch N] [--progress|--no-progress] [--json]
//! move-pages show --pid PID [--map NAME]... [--json]
//! move-pages move --pid PID --to NODE [SELECTION] [--all] [--plain] [--dry-run] [--batch N]
//!                 [--progress|--no-progress] [--json]
//! move-pages move --pid PID --from NODES --to NODES [SELECTION] ...
//! move-pages completions SHELL | man | help [COMMAND] | --help | --version
//! ```
//!
//! The command line is `clap`'s (`--help` of each command is generated from `src/cli.rs`);
//! `move-pages completions bash|zsh|fish|elvish|powershell` prints a completion script and
//! `move-pages man` the manual page (roff, for `man -l -`).
//!
//! - `--pid PID`: the process; `self` or `0` is `move-pages` itself.
//! - `query` counts the selected pages per node and per status error, from a `move_pages()`
//!   query (`nodes == NULL`).
//! - `show` queries every mapping (or those `--map` names) and prints a table like
//!   `numastat -p`'s, one row per mapping of `/proc/PID/maps`: pages per node, pages on no
//!   node (not present, zero page, unmovable: "other") and the total.
//! - `move --from NODES --to NODES` moves only the pages on the `--from` nodes, like
//!   `migratepages PID FROM TO`: each batch is queried, and the pages on `from[i]` go to
//!   `to[i]` (or all to the one `--to` node); pages on other nodes stay. Node lists are
//!   `0,2` or `0-3`.
//! - `move --dry-run` queries and reports what the move would do (pages per source and
//!   destination node, pages already in place, pages left), and moves nothing.
//! - `move` queries (before), moves every selected page to `--to NODE` with `MPOL_MF_MOVE`
//!   (`--all`: `MPOL_MF_MOVE_ALL`, needs `CAP_SYS_NICE`), `--batch N` pages per ioctl call
//!   (default 16384, at most 1M; `K`/`M` suffixes), then queries again (after). It reports the
//!   sum of the calls' return values (pages not migrated) and the error statuses of the move.
//!   The moves use the module's extensions that make them fastest and most exact
//!   (`MOVE_PAGES_EXT_PARALLEL`, `_GROUP_BY_NODE`, `_EXACT_STATUS`: every status written and
//!   true, a failed batch does not stop the rest); `--plain` gives plain `move_pages(2)`
//!   semantics. The report (and its JSON `extensions`) says which were used.
//! - SELECTION, any number of each, combined (union, overlaps merged so no page appears twice):
//!   - `--range START-END` (END exclusive) or `--range START+LEN`: decimal or `0x` hex numbers,
//!     LEN may end in `K`, `M`, `G`, `T` (binary). Ranges are rounded out to whole pages (START
//!     down, END up) without a warning.
//!   - `--map NAME`: the readable or writable mappings of `/proc/PID/maps` whose name is NAME
//!     (`[heap]`, `[stack]`, `[anon:x]`, `/path/to/file (deleted)`), whose file path is NAME
//!     (with or without ` (deleted)`), or whose file basename is NAME (`libc.so.6`).
//!   - none: every readable or writable mapping except `[vsyscall]`, `[vvar]`,
//!     `[vvar_vclock]`, `[vdso]` and `[uprobes]`.
//! - The progress bar (`indicatif`; one per pass: `query`, `show`, or `before`, `move`,
//!   `after`) goes to stderr when stderr is a terminal and `--json` is not given, for passes
//!   that last more than half a second; `--progress` shows it from the start (also with
//!   `--json`), `--no-progress` never.
//!
//! Before calling the device, `move` checks each destination node in
//! `/sys/devices/system/node` (exists, `online`, `has_memory`) and the process's
//! `Mems_allowed_list`; the kernel's own errors
//! (`ESRCH`, `EPERM`, `EACCES`, `ENODEV`, ...) are reported with their meaning.
//!
//! Exit status: 0 when the command ran (pages that failed are in the report), 1 on an error
//! (message on stderr: no such process, permission, bad value of an option, bad node, no
//! matching mapping, module not loaded...), 2 on a usage error (unknown command or option,
//! missing `--pid` or `--to`; with the usage on stderr).
//!
//! # Text output
//!
//! ```text
//! $ move-pages query --pid 1234
//! pid 1234: 2560 pages (10.00 MiB)
//!   node 0                 2048   80.0%
//!   node 1                  256   10.0%
//!   not present (-ENOENT)   256   10.0%
//!   total                  2560
//! $ move-pages move --pid 1234 --to 1
//! pid 1234: 2560 pages (10.00 MiB) to node 1, MPOL_MF_MOVE, extensions group_by_node+exact_status+parallel, 16384 pages per call
//! before:
//!   node 0                 2304   90.0%
//!   not present (-ENOENT)   256   10.0%
//!   total                  2560
//! move: 1 call, 0 pages (0 B) not migrated
//!   failed: 256 not present (-ENOENT)
//! after:
//!   node 1                 2304   90.0%
//!   not present (-ENOENT)   256   10.0%
//!   total                  2560
//! ```
//!
//! `show` (`other`: pages on no node: not present, zero page, unmovable):
//!
//! ```text
//! $ move-pages show --pid 274
//! pid 274: 305 pages (1.19 MiB) in 9 mappings, pages per node (other: not present, zero page or unmovable)
//!  address         perms  node 0  node 1  other  total  mapping
//!  0x400000        r--p        1       0      0      1  /usr/bin/app
//!  0x14271000      rw-p        3       0     31     34  [heap]
//!  0x7f62f85d6000  rw-p       64       0      0     64
//!  ...
//!  total                     140       0    165    305
//! ```
//!
//! `move --dry-run` prints where the pages are (`now:`), then `would move N pages` with a
//! `node A -> node B  COUNT` line per pair, the pages already on their destination and those
//! left where they are.
//!
//! Other statuses: `unmapped, zero page or unmovable (-EFAULT)`, `shared with other processes
//! (-EACCES)` (needs `--all`), `busy (-EBUSY)`...; `not attempted` counts status slots the
//! kernel left unwritten after a failed migration in the same call.
//!
//! # JSON output (`--json`)
//!
//! One object on one line. Node keys are node numbers; error keys are errno names (`ENOENT`,
//! `EFAULT`, `EACCES`, `EBUSY`...; `errno N` for others). Empty maps are `{}`.
//!
//! `query`:
//!
//! ```text
//! {"pid":1234,"page_size":4096,"pages":2560,
//!  "nodes":{"0":2048,"1":256},"errors":{"ENOENT":256}}
//! ```
//!
//! `move`:
//!
//! ```text
//! {"pid":1234,"page_size":4096,"pages":2560,"node":1,"flags":"MPOL_MF_MOVE",
//!  "extensions":["group_by_node","exact_status","parallel"],"batch":16384,"calls":1,
//!  "before":{"nodes":{"0":2304},"errors":{"ENOENT":256}},
//!  "after":{"nodes":{"1":2304},"errors":{"ENOENT":256}},
//!  "not_migrated":0,"failed":{"ENOENT":256},"not_attempted":0}
//! ```
//!
//! With `--from`, `move` has `"from":[..],"to":[..]` instead of `"node"`. `move --dry-run`:
//!
//! ```text
//! {"pid":1234,"page_size":4096,"pages":64,"node":1,"dry_run":true,
//!  "before":{"nodes":{"0":64},"errors":{}},"moves":[{"from":0,"to":1,"pages":64}],
//!  "in_place":0,"stay":0}
//! ```
//!
//! `show`: `{"pid":..,"page_size":..,"mappings":[{"start":"0x..","end":"0x..","perms":"rw-p",
//! "name":"[heap]","pages":N,"nodes":{..},"errors":{..}},..],"total":{"nodes":{..},
//! "errors":{..}}}`.
//!
//! - `pid`: the process's real pid (also for `--pid self`); `pages`: pages selected;
//! - `calls`: move ioctl calls; `not_migrated`: sum of their positive return values (pages
//!   `migrate_pages()` failed to move, including those not attempted after it in the same call);
//! - `failed`: the error statuses the move calls wrote (`EACCES`: shared, needs `--all`;
//!   `ENOENT`: not present; `EFAULT`: unmapped, zero page or unmovable; `EBUSY`...);
//! - `not_attempted`: status slots the kernel left unwritten after a failed migration.
//!
//! Errors are always text on stderr, also with `--json`.

fn main() -> std::process::ExitCode {
    move_pages_cli::run::main(std::env::args_os())
}
