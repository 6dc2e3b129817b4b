/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of the move_pages module: static inline kernel functions and
 * macros that Rust cannot call, plus the few things that must be C (each says
 * why). The Rust declarations (src/ffi.rs) are generated from this header by
 * bindgen at build time, so a prototype that differs from its definition
 * does not build.
 */
#ifndef MOVE_PAGES_HELPERS_H
#define MOVE_PAGES_HELPERS_H

#include <linux/types.h>

struct folio;
struct folio_walk;
struct list_head;
struct mm_struct;
struct task_struct;
struct vm_area_struct;

/* Bytes the Rust side reserves for a struct folio_walk. */
#define MP_FOLIO_WALK_BYTES 64

/* FW_ZEROPAGE of <linux/pagewalk.h> (a __force cast bindgen cannot read). */
#define MP_FW_ZEROPAGE 1

/* Bytes the Rust side gives sprint_symbol() (at least KSYM_SYMBOL_LEN). */
#define MP_KSYM_SYMBOL_LEN 1024

/* Offsets and sizes checked against the Rust bindings at load. */
enum mp_layout_item {
	MP_LAYOUT_TASK_SIZE,
	MP_LAYOUT_TASK_MM,
	MP_LAYOUT_TASK_SIGNAL,
	MP_LAYOUT_SIGNAL_EXEC_UPDATE_LOCK,
	MP_LAYOUT_MM_SIZE,
	MP_LAYOUT_MISCDEVICE_SIZE,
	MP_LAYOUT_MISCDEVICE_MODE,
	MP_LAYOUT_FILE_PRIVATE_DATA,
	MP_LAYOUT_NODEMASK_SIZE,
	MP_LAYOUT_LIST_HEAD_SIZE,
	MP_LAYOUT_FOLIO_SIZE,
	MP_LAYOUT_VMA_SIZE,
	MP_LAYOUT_FTRACE_OPS_SIZE,
	MP_LAYOUT_FTRACE_OPS_PRIVATE,
	MP_LAYOUT_PT_REGS_ARG0,	/* the first syscall argument's register */
	MP_LAYOUT_NR_ITEMS,
};

size_t mp_layout(unsigned int item);
#ifdef MODULE
unsigned long mp_kallsyms_lookup_name_addr(void);
#else
unsigned long mp_builtin_lookup_name(const char *name);
#endif
bool mp_is_call_target(unsigned long addr);
size_t mp_folio_walk_bytes(void);

bool mp_folio_test_hugetlb(struct folio *folio);
bool mp_folio_test_large(struct folio *folio);
#define MP_FOLIO_ZERO	0x80000000U	/* BIT(31), spelled for bindgen */
#define MP_FOLIO_DEVICE	0x40000000U	/* BIT(30) */
u32 mp_folio_info(struct folio *folio, struct folio *huge_zero);
bool mp_folio_maybe_mapped_shared(struct folio *folio);
bool mp_folio_extra_refs(struct folio *folio);
void mp_folio_isolated_lru(struct folio *folio, struct list_head *list);
u64 mp_folio_walk_pfn(const struct folio_walk *fw);
u64 mp_folio_pfn(struct folio *folio);
u64 mp_folio_nr_pages(struct folio *folio);
struct folio *mp_alloc_migration_target(struct folio *(*fn)(struct folio *, unsigned long),
					struct folio *src, int nid);

unsigned long mp_untagged_addr_remote(struct mm_struct *mm,
				      unsigned long addr);
void mp_folio_walk_unlock(struct folio_walk *fw);
unsigned long mp_folio_walk_span(const struct folio_walk *fw);
bool mp_folio_walk_is_pte(const struct folio_walk *fw);
struct folio *mp_folio_walk_pte(const struct folio_walk *fw, struct vm_area_struct *vma,
				unsigned long base, unsigned long addr);

bool mp_in_compat_syscall(void);
u32 mp_seccomp_move_pages(const u64 *args);
int mp_put_user_int(unsigned long addr, int value);
bool mp_node_has_memory(int node);
bool mp_fatal_signal_pending(struct task_struct *task);
int mp_next_allowed_cpu(int prev);
int mp_cpu_to_node(int cpu);

struct ftrace_regs;
void mp_ftrace_set_ip(struct ftrace_regs *fregs, unsigned long ip);

#endif /* MOVE_PAGES_HELPERS_H */
