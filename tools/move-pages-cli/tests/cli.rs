// SPDX-License-Identifier: GPL-2.0

//! Runs the `move-pages` binary: exit statuses and messages, and a query of this test process
//! through `/dev/move_pages` when the module is loaded (the "module not loaded" error otherwise).

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_move-pages"))
        .args(args)
        .output()
        .expect("run move-pages")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status `code`, nothing on stdout, and an error message on stderr containing `what`.
fn assert_error(args: &[&str], code: i32, what: &str) {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(stdout(&o).is_empty(), "{args:?}");
    assert!(err.starts_with("move-pages: "), "{args:?}: {err}");
    assert!(err.contains(what), "{args:?}: expected {what:?} in {err:?}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

fn module_loaded() -> bool {
    Path::new("/dev/move_pages").exists()
}

#[test]
fn help_and_version() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    assert!(help.contains("Usage: move-pages <COMMAND>"), "{help}");
    for command in ["query", "show", "move", "completions", "man"] {
        assert!(
            help.contains(&format!("\n  {command} ")),
            "{command}: {help}"
        );
    }
    let o = run(&["move", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    assert!(help.contains("Usage: move-pages move [OPTIONS] --pid <PID> --to <NODES>"));
    for option in [
        "--range <START-END|START+LEN>",
        "--from <NODES>",
        "--dry-run",
        "--plain",
    ] {
        assert!(help.contains(option), "{option}: {help}");
    }
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        format!("move-pages {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_with_usage() {
    for (args, what) in [
        (&[][..], "no command given"),
        (&["frob"][..], "unrecognized subcommand 'frob'"),
        (
            &["query"][..],
            "required arguments were not provided:\n  --pid <PID>",
        ),
        (
            &["move", "--pid", "self"][..],
            "required arguments were not provided:\n  --to <NODES>",
        ),
        (
            &["query", "--pid", "self", "--bogus"][..],
            "unexpected argument '--bogus'",
        ),
        (
            &["query", "--pid", "self", "--to", "0"][..],
            "unexpected argument '--to'",
        ),
        (
            &["move", "--pid", "self", "--to", "0,1"][..],
            "without --from it takes one node",
        ),
        (
            &["move", "--pid", "self", "--from", "0,1,2", "--to", "0,1"][..],
            "give one --to node or one per --from node",
        ),
    ] {
        assert_error(args, 2, what);
        let err = stderr(&run(args));
        assert!(err.contains("Try 'move-pages --help'"), "{err}");
        assert!(err.contains("Usage: move-pages"), "{err}");
    }
}

#[test]
fn bad_values_exit_1() {
    assert_error(&["query", "--pid", "x"], 1, "invalid pid 'x'");
    assert_error(
        &["query", "--pid", "self", "--range", "0x2000-0x1000"],
        1,
        "invalid range '0x2000-0x1000'",
    );
    assert_error(
        &["query", "--pid", "self", "--range", "0xfffffffffffff000+1M"],
        1,
        "beyond the 64-bit address space",
    );
    assert_error(
        &["query", "--pid", "self", "--range", "0x1000+1X"],
        1,
        "LEN is not",
    );
    assert_error(
        &["move", "--pid", "self", "--to", "-1"],
        1,
        "invalid node list '-1'",
    );
    assert_error(
        &["query", "--pid", "self", "--batch", "0"],
        1,
        "invalid batch size",
    );
    assert_error(
        &["move", "--pid", "self", "--from", "1-0", "--to", "1"],
        1,
        "invalid node list '1-0'",
    );
    assert_error(
        &["query", "--pid", "self", "--map", ""],
        1,
        "a value is required for '--map <NAME>'",
    );
}

/// Completions and the manual page are generated from the command line's definition.
#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let script = stdout(&o);
        assert!(script.contains("move-pages"), "{shell}");
        assert!(
            script.contains("dry-run") && script.contains("from"),
            "{shell}"
        );
    }
    assert_error(&["completions", "csh"], 1, "invalid value 'csh'");
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let man = stdout(&o);
    assert!(man.starts_with(".ie \\n(.g .ds Aq"), "{man}");
    assert!(man.contains(".TH move-pages 1"), "{man}");
    assert!(man.contains("move\\-pages\\-show(1)"), "{man}");
}

#[test]
fn no_such_process() {
    // Above any pid_max.
    assert_error(
        &["query", "--pid", "2147483647"],
        1,
        "no such process: 2147483647",
    );
}

#[test]
fn map_name_that_matches_nothing() {
    assert_error(
        &["query", "--pid", "self", "--map", "no such mapping.so"],
        1,
        "no mapping matches --map 'no such mapping.so'",
    );
}

#[test]
fn node_that_does_not_exist() {
    if !Path::new("/sys/devices/system/node").is_dir() {
        return;
    }
    assert_error(
        &["move", "--pid", "self", "--to", "100000"],
        1,
        "node 100000 does not exist",
    );
}

/// Queries this test process's own buffer: through the module when it is loaded, otherwise the
/// error must tell how to load it.
#[test]
fn query_of_this_process() {
    let page = 4096;
    let buf = vec![1u8; 64 * page];
    let start = buf.as_ptr() as usize;
    let range = format!("{:#x}+{:#x}", start, buf.len());
    let pid = std::process::id().to_string();
    let args = [
        "query", "--pid", &pid, "--range", &range, "--map", "[stack]", "--json",
    ];
    if module_loaded() {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let json = stdout(&o);
        assert!(
            json.starts_with(&format!("{{\"pid\":{pid},\"page_size\":")),
            "{json}"
        );
        assert!(json.ends_with("}\n") && json.lines().count() == 1, "{json}");
        assert!(
            json.contains("\"nodes\":{\"") && json.contains("\"errors\":{"),
            "{json}"
        );
        // No progress bar with --json.
        assert!(stderr(&o).is_empty(), "{}", stderr(&o));
        assert_eq!(buf[0], 1);
    } else {
        assert_error(&args, 1, "the move_pages module is not loaded");
        assert_error(&args, 1, "insmod move_pages.ko");
        assert_error(&args, 1, "modprobe move_pages");
        assert_error(
            &["move", "--pid", "self", "--to", "0"],
            1,
            "insmod move_pages.ko",
        );
    }
}
