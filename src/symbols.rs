// SPDX-License-Identifier: GPL-2.0

//! Resolution of the non-exported kernel functions and variables the module calls.
//!
//! An out-of-tree module cannot link against symbols the kernel does not export. They are looked
//! up once, at load, through `kallsyms_lookup_name()` (itself found with a kprobe); built into
//! the kernel, the linker binds them instead (the C table `mp_builtin_symbols[]`). Each one is
//! verified before it is trusted: the address must be the start of the named symbol, and a
//! function must be callable indirectly on this kernel (an x86 IBT kernel seals the `ENDBR` of
//! functions it never calls indirectly, an arm64 BTI kernel gives them no landing pad; a kCFI
//! kernel would check a type hash the module cannot vouch for). Any failure is reported by name and the module refuses to load.

use crate::ffi::{
    self,
    FolioWalkRaw, //
};
use kernel::{
    bindings,
    prelude::*,
    sync::SetOnce, //
};

/// `new_folio_t` of `include/linux/migrate.h`.
pub(crate) type NewFolioFn =
    unsafe extern "C" fn(src: *mut bindings::folio, private: c_ulong) -> *mut bindings::folio;
/// `free_folio_t` of `include/linux/migrate.h`.
pub(crate) type FreeFolioFn = unsafe extern "C" fn(dst: *mut bindings::folio, private: c_ulong);

type KallsymsLookupNameFn = unsafe extern "C" fn(name: *const c_char) -> c_ulong;

/// Declares [`Symbols`] and [`resolve_table`] from one list of `name: type => kind`.
macro_rules! symbols {
    ($($(#[doc = $doc:literal])* $(#[cfg($cfg:meta)])? $kind:ident $field:ident: $ty:ty,)*) => {
        /// The resolved symbols, each with the C type it has in the 7.3 tree.
        pub(crate) struct Symbols {
            $($(#[doc = $doc])* $(#[cfg($cfg)])? pub(crate) $field: $ty,)*
        }

        /// Looks up every symbol, logging each one that fails, and builds the table if none did.
        fn resolve_table(find: KallsymsLookupNameFn) -> Result<Symbols> {
            let mut failed: Option<Error> = None;
            $(
                $(#[cfg($cfg)])?
                let $field = lookup(find, kernel::c_str!(stringify!($field)), symbols!(@is_func $kind))
                    .inspect_err(|e| {
                        failed.get_or_insert(*e);
                    });
            )*
            if let Some(e) = failed {
                return Err(e);
            }
            Ok(Symbols {
                $($(#[cfg($cfg)])? $field: symbols!(@cast $kind, $ty, $field?),)*
            })
        }
    };
    (@is_func func) => { true };
    (@is_func var) => { false };
    // SAFETY: `lookup` verified that the address is the start of the kernel function of this
    // name, and the field's type is that function's C type.
    (@cast func, $ty:ty, $addr:expr) => { unsafe { core::mem::transmute::<usize, $ty>($addr) } };
    (@cast var, $ty:ty, $addr:expr) => { $addr as $ty };
}

symbols! {
    /// `unsigned long kallsyms_lookup_name(const char *)`.
    func kallsyms_lookup_name: KallsymsLookupNameFn,
    /// `int migrate_pages(struct list_head *, new_folio_t, free_folio_t, unsigned long,
    /// enum migrate_mode, enum migrate_reason, unsigned int *)`.
    func migrate_pages: unsafe extern "C" fn(
        from: *mut bindings::list_head,
        get_new_folio: Option<NewFolioFn>,
        put_new_folio: Option<FreeFolioFn>,
        private: c_ulong,
        mode: bindings::migrate_mode,
        reason: bindings::migrate_reason,
        ret_succeeded: *mut c_uint,
    ) -> c_int,
    /// `void putback_movable_pages(struct list_head *)`.
    func putback_movable_pages: unsafe extern "C" fn(l: *mut bindings::list_head),
    /// `bool folio_isolate_lru(struct folio *)`.
    func folio_isolate_lru: unsafe extern "C" fn(folio: *mut bindings::folio) -> bool,
    /// `bool folio_isolate_hugetlb(struct folio *, struct list_head *)`.
    #[cfg(CONFIG_HUGETLB_PAGE)]
    func folio_isolate_hugetlb:
        unsafe extern "C" fn(folio: *mut bindings::folio, list: *mut bindings::list_head) -> bool,
    /// `struct folio *folio_walk_start(struct folio_walk *, struct vm_area_struct *,
    /// unsigned long, folio_walk_flags_t)`.
    func folio_walk_start: unsafe extern "C" fn(
        fw: *mut FolioWalkRaw,
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
        flags: c_int,
    ) -> *mut bindings::folio,
    /// `void vma_pgtable_walk_end(struct vm_area_struct *)`.
    func vma_pgtable_walk_end: unsafe extern "C" fn(vma: *mut bindings::vm_area_struct),
    /// `bool vma_migratable(struct vm_area_struct *)`.
    func vma_migratable: unsafe extern "C" fn(vma: *mut bindings::vm_area_struct) -> bool,
    /// `void lru_cache_disable(void)`.
    func lru_cache_disable: unsafe extern "C" fn(),
    /// `atomic_t lru_disable_count`, decremented by the static inline `lru_cache_enable()`.
    var lru_disable_count: *mut bindings::atomic_t,
    /// `struct folio *alloc_migration_target(struct folio *, unsigned long)`: the destination
    /// of each folio, with the kernel's own gfp rules.
    func alloc_migration_target: NewFolioFn,
    /// `struct task_struct *find_get_task_by_vpid(pid_t)`.
    func find_get_task_by_vpid:
        unsafe extern "C" fn(nr: bindings::pid_t) -> *mut bindings::task_struct,
    /// `bool ptrace_may_access(struct task_struct *, unsigned int)`.
    func ptrace_may_access:
        unsafe extern "C" fn(task: *mut bindings::task_struct, mode: c_uint) -> bool,
    /// `nodemask_t cpuset_mems_allowed(struct task_struct *)`.
    #[cfg(CONFIG_CPUSETS)]
    func cpuset_mems_allowed:
        unsafe extern "C" fn(p: *mut bindings::task_struct) -> bindings::nodemask_t,
    /// `int security_task_movememory(struct task_struct *)`.
    #[cfg(CONFIG_SECURITY)]
    func security_task_movememory:
        unsafe extern "C" fn(p: *mut bindings::task_struct) -> c_int,
    /// `struct folio *huge_zero_folio`.
    #[cfg(CONFIG_TRANSPARENT_HUGEPAGE)]
    var huge_zero_folio: *mut *mut bindings::folio,
}

// SAFETY: The table holds addresses of kernel functions and of kernel variables that are only
// accessed with the kernel's own synchronisation (atomics, `READ_ONCE`); sharing it is safe.
unsafe impl Send for Symbols {}
// SAFETY: See `Send`; the table itself is never mutated after it is published.
unsafe impl Sync for Symbols {}

static SYMBOLS: SetOnce<Symbols> = SetOnce::new();

impl Symbols {
    /// The address of the kernel symbol `name`, if it exists and is the start of a symbol of
    /// that name; for symbols the module does not call, only looks at (ftrace locations).
    pub(crate) fn lookup_optional(&self, name: &CStr) -> Option<usize> {
        find_checked(self.kallsyms_lookup_name, name, false).ok()
    }
}

/// Returns the resolved symbols.
///
/// The module's `init` resolves them before it registers anything that could call this, so
/// `None` is unreachable once the module is live.
pub(crate) fn get() -> Result<&'static Symbols> {
    SYMBOLS.as_ref().ok_or(ENOENT)
}

/// Checks that `addr` is the start of the kernel symbol `name` and, for a function, that an
/// indirect call to it is allowed: with x86 IBT it must begin with `ENDBR64` (the kernel seals,
/// with a NOP, the `ENDBR` of functions it never calls indirectly), with arm64 BTI with a landing
/// pad (`BTI C`, `PACIASP`...), and kCFI would reject a call whose type hash the module cannot
/// check.
fn check_symbol(
    addr: usize,
    name: &CStr,
    is_func: bool,
) -> core::result::Result<(), (Error, &'static str)> {
    if addr == 0 {
        return Err((ENOENT, "not found by kallsyms"));
    }
    let mut buf = KVec::<u8>::from_elem(0, ffi::MP_KSYM_SYMBOL_LEN as usize, GFP_KERNEL)
        .map_err(|_| (ENOMEM, "no memory"))?;
    // SAFETY: `buf` has room for `KSYM_SYMBOL_LEN` bytes (asserted in `helpers.c`);
    // `sprint_symbol` only formats `addr` through kallsyms.
    unsafe { bindings::sprint_symbol(buf.as_mut_ptr().cast(), addr as c_ulong) };
    // "name+0x0/size [module]": the address is the symbol's start.
    let expected = name.to_bytes();
    let at_start = buf.starts_with(expected) && buf[expected.len()..].starts_with(b"+0x0/");
    if !at_start {
        return Err((EFAULT, "address is not the start of the symbol"));
    }
    if !is_func {
        return Ok(());
    }
    if cfg!(CONFIG_CFI) || cfg!(CONFIG_CFI_CLANG) {
        return Err((EOPNOTSUPP, "kCFI kernel: indirect call not checkable"));
    }
    // SAFETY: `addr` is the start of a kernel function (checked above): its first instruction is
    // mapped kernel text.
    if !unsafe { ffi::mp_is_call_target(addr as c_ulong) } {
        return Err((EPERM, "IBT/BTI: no landing pad, no indirect call"));
    }
    Ok(())
}

/// Looks up and verifies one symbol; on failure, says why.
fn find_checked(
    find: KallsymsLookupNameFn,
    name: &CStr,
    is_func: bool,
) -> core::result::Result<usize, (Error, &'static str)> {
    // SAFETY: `find` is `kallsyms_lookup_name` (verified by `resolve`) or, built in, the
    // linker-bound table's lookup, both `unsigned long (const char *)`; `name` is a valid C
    // string.
    let addr = unsafe { find(name.as_char_ptr()) };
    check_symbol(addr, name, is_func).map(|()| addr)
}

/// Looks up and verifies one symbol, logging why it cannot be used.
fn lookup(find: KallsymsLookupNameFn, name: &CStr, is_func: bool) -> Result<usize> {
    find_checked(find, name, is_func).map_err(|(e, why)| {
        pr_err!(
            "cannot use kernel symbol {}: {}\n",
            name.to_str().unwrap_or("?"),
            why
        );
        e
    })
}

/// `kallsyms_lookup_name()`, found with a kprobe (it is not exported) and verified.
#[cfg(MODULE)]
fn kallsyms_lookup_name() -> Result<KallsymsLookupNameFn> {
    // SAFETY: Registers and removes a kprobe; no other requirement.
    let addr = unsafe { ffi::mp_kallsyms_lookup_name_addr() };
    if addr == 0 {
        pr_err!("cannot find kallsyms_lookup_name (a kprobe on it failed: CONFIG_KPROBES?)\n");
        return Err(ENOENT);
    }
    if let Err((e, why)) = check_symbol(addr as usize, c"kallsyms_lookup_name", true) {
        pr_err!("kprobe address of kallsyms_lookup_name is not callable: {why}\n");
        return Err(e);
    }
    // SAFETY: `addr` was just verified to be the entry of `kallsyms_lookup_name`, whose C type is
    // `unsigned long kallsyms_lookup_name(const char *)`.
    Ok(unsafe { core::mem::transmute::<usize, KallsymsLookupNameFn>(addr as usize) })
}

/// Built into the kernel, the names resolve to addresses the linker filled in
/// (`mp_builtin_symbols[]` in `helpers.c`); kallsyms is not searched.
#[cfg(not(MODULE))]
fn kallsyms_lookup_name() -> Result<KallsymsLookupNameFn> {
    Ok(ffi::mp_builtin_lookup_name)
}

/// Resolves and verifies all symbols and publishes them for [`get`].
pub(crate) fn resolve() -> Result {
    if ffi::FOLIO_WALK_BYTES < {
        // SAFETY: Returns a constant.
        unsafe { ffi::mp_folio_walk_bytes() }
    } {
        pr_err!("struct folio_walk is larger than the module reserves\n");
        return Err(EINVAL);
    }
    let find = kallsyms_lookup_name()?;
    let symbols = resolve_table(find)?;
    // A reload of the module gets a fresh static, so this only fails if `resolve` runs twice.
    if !SYMBOLS.populate(symbols) {
        return Err(EBUSY);
    }
    Ok(())
}
