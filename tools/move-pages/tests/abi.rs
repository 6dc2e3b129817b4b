// SPDX-License-Identifier: GPL-2.0

//! The ABI mirror checked against its one definition.
//!
//! `include/uapi/linux/move_pages.h` is the only definition of the ioctl ABI: the module and C
//! callers include it. This library cannot include a C header, so [`MovePagesArgs`] and the
//! constants are a hand-written mirror of it. This test keeps the mirror true: it compiles a small
//! C program against the header with the system C compiler (`cc`, else `gcc`), runs it, and
//! compares what the header says (size and offset of every field, the constants, the ioctl
//! number, the device path) with the Rust side. A change to either side alone fails here, with
//! the differing item named.
//!
//! Without a C compiler the test fails: it cannot check the mirror, and passing would claim it
//! had.

use move_pages::{
    MovePagesArgs, ARGS_SIZE_VER0, DEVICE, IOC_MAGIC, IOC_NR_MOVE, MOVE_PAGES_EXT_EXACT_STATUS,
    MOVE_PAGES_EXT_GROUP_BY_NODE, MOVE_PAGES_EXT_PARALLEL, MOVE_PAGES_EXT_PARALLEL_MIN,
    MOVE_PAGES_EXT_WINDOW, MOVE_PAGES_IOC_MOVE,
};
use std::collections::HashMap;
use std::io::ErrorKind;
use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The probe: one `name value` line per item of the header.
const PROBE: &str = r#"
#include <stddef.h>
#include <stdio.h>
#include <linux/move_pages.h>

#define FIELD(f) \
	printf("offsetof.%s %zu\n", #f, offsetof(struct move_pages_args, f)); \
	printf("sizeof.%s %zu\n", #f, sizeof(((struct move_pages_args *)0)->f))

#define CONST(c) printf("%s %llu\n", #c, (unsigned long long)(c))

int main(void)
{
	printf("sizeof.struct %zu\n", sizeof(struct move_pages_args));
	FIELD(size);
	FIELD(flags);
	FIELD(pid);
	FIELD(ext_flags);
	FIELD(nr_pages);
	FIELD(pages);
	FIELD(nodes);
	FIELD(status);
	FIELD(workers);
	FIELD(reserved);
	CONST(MOVE_PAGES_ARGS_SIZE_VER0);
	CONST(MOVE_PAGES_EXT_GROUP_BY_NODE);
	CONST(MOVE_PAGES_EXT_EXACT_STATUS);
	CONST(MOVE_PAGES_EXT_PARALLEL);
	CONST(MOVE_PAGES_EXT_WINDOW);
	CONST(MOVE_PAGES_EXT_PARALLEL_MIN);
	CONST(MOVE_PAGES_IOC_MAGIC);
	CONST(MOVE_PAGES_IOC_NR_MOVE);
	printf("MOVE_PAGES_IOC_MOVE %lu\n", (unsigned long)MOVE_PAGES_IOC_MOVE);
	printf("MOVE_PAGES_DEVICE %s\n", MOVE_PAGES_DEVICE);
	return 0;
}
"#;

/// The C compilers tried, in order.
const COMPILERS: [&str; 2] = ["cc", "gcc"];

/// What the header says: the probe's output, by name.
fn header() -> &'static HashMap<String, String> {
    static HEADER: OnceLock<HashMap<String, String>> = OnceLock::new();
    HEADER.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let uapi = root.join("include/uapi");
        assert!(
            uapi.join("linux/move_pages.h").is_file(),
            "the uapi header is not at {}",
            uapi.join("linux/move_pages.h").display()
        );
        let dir = TempDir::new();
        probe(&dir.0, &uapi)
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    })
}

/// The probe's directory, removed when dropped (also when the probe fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("move-pages-abi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cannot create the probe's directory");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compiles and runs the probe in `dir`; returns its output.
fn probe(dir: &Path, uapi: &Path) -> String {
    let source = dir.join("probe.c");
    let binary = dir.join("probe");
    std::fs::write(&source, PROBE).expect("cannot write the probe");
    let compiled = compile(&source, &binary, uapi);
    assert!(
        compiled.status.success(),
        "the probe does not compile against the uapi header:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let ran = Command::new(&binary)
        .output()
        .expect("cannot run the compiled probe");
    assert!(ran.status.success(), "the probe failed: {}", ran.status);
    String::from_utf8(ran.stdout).expect("the probe's output is not UTF-8")
}

/// Runs the first C compiler found; fails the test when there is none.
fn compile(source: &Path, binary: &Path, uapi: &Path) -> Output {
    for cc in COMPILERS {
        match Command::new(cc)
            .arg("-Wall")
            .arg("-I")
            .arg(uapi)
            .arg("-o")
            .arg(binary)
            .arg(source)
            .output()
        {
            Ok(output) => return output,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => panic!("cannot run the C compiler {cc}: {e}"),
        }
    }
    panic!(
        "no C compiler found (tried {}): this test compiles the uapi header to check the Rust \
         mirror of its ABI, and cannot pass without one",
        COMPILERS.join(", ")
    );
}

/// The header's value of `name`, as a number.
fn value(name: &str) -> u64 {
    let text = header()
        .get(name)
        .unwrap_or_else(|| panic!("the probe printed no {name}"));
    text.parse()
        .unwrap_or_else(|_| panic!("the probe printed {name} as {text:?}, not a number"))
}

/// The size of a field of `T`, given an accessor.
fn field_size<T, F>(_: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// Checks one item: the Rust mirror's `rust` against the header's value of `name`.
fn check(name: &str, rust: u64) {
    assert_eq!(
        rust,
        value(name),
        "{name}: the Rust mirror (left) differs from the uapi header (right)"
    );
}

#[test]
fn struct_size_matches_the_header() {
    check("sizeof.struct", size_of::<MovePagesArgs>() as u64);
}

#[test]
fn field_offsets_match_the_header() {
    macro_rules! offsets {
        ($($field:ident),*) => {$(
            check(
                concat!("offsetof.", stringify!($field)),
                offset_of!(MovePagesArgs, $field) as u64,
            );
        )*};
    }
    offsets!(size, flags, pid, ext_flags, nr_pages, pages, nodes, status, workers, reserved);
}

#[test]
fn field_sizes_match_the_header() {
    macro_rules! sizes {
        ($($field:ident),*) => {$(
            check(
                concat!("sizeof.", stringify!($field)),
                field_size(|a: &MovePagesArgs| &a.$field) as u64,
            );
        )*};
    }
    sizes!(size, flags, pid, ext_flags, nr_pages, pages, nodes, status, workers, reserved);
}

#[test]
fn constants_match_the_header() {
    check("MOVE_PAGES_ARGS_SIZE_VER0", ARGS_SIZE_VER0.into());
    check(
        "MOVE_PAGES_EXT_GROUP_BY_NODE",
        MOVE_PAGES_EXT_GROUP_BY_NODE.into(),
    );
    check(
        "MOVE_PAGES_EXT_EXACT_STATUS",
        MOVE_PAGES_EXT_EXACT_STATUS.into(),
    );
    check("MOVE_PAGES_EXT_PARALLEL", MOVE_PAGES_EXT_PARALLEL.into());
    check("MOVE_PAGES_EXT_WINDOW", MOVE_PAGES_EXT_WINDOW as u64);
    check(
        "MOVE_PAGES_EXT_PARALLEL_MIN",
        MOVE_PAGES_EXT_PARALLEL_MIN as u64,
    );
}

// `c_ulong` is `u32` on 32-bit targets, where the conversion is not useless.
#[allow(clippy::useless_conversion)]
#[test]
fn ioctl_number_matches_the_header() {
    check("MOVE_PAGES_IOC_MAGIC", IOC_MAGIC.into());
    check("MOVE_PAGES_IOC_NR_MOVE", IOC_NR_MOVE.into());
    check("MOVE_PAGES_IOC_MOVE", MOVE_PAGES_IOC_MOVE.into());
}

#[test]
fn device_path_matches_the_header() {
    let header = header()
        .get("MOVE_PAGES_DEVICE")
        .expect("the probe printed no MOVE_PAGES_DEVICE");
    assert_eq!(
        DEVICE, header,
        "MOVE_PAGES_DEVICE: the Rust mirror (left) differs from the uapi header (right)"
    );
}
