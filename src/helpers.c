// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of the move_pages module. Each one wraps a static inline or a
 * macro that Rust cannot call; the logic lives in Rust. The few longer
 * functions say why they must be C.
 */
#include <linux/compat.h>
#include <linux/cpumask.h>
#include <linux/filter.h>
#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/miscdevice.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/nodemask.h>
#include <linux/pagewalk.h>
#include <linux/sched/signal.h>
#include <linux/seccomp.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>
#ifdef CONFIG_X86_KERNEL_IBT
#include <asm/ibt.h>
#endif
#ifdef CONFIG_ARM64_BTI_KERNEL
#include <asm/insn.h>
#endif
#include <asm/syscall.h>
#include <asm/unistd.h>
/* struct migration_target_control; built in, folio_isolate_lru() and others. */
#include "internal.h"

#ifndef MODULE
/* Declarations of what mp_builtin_symbols[] binds. */
#include <linux/cpuset.h>
#include <linux/huge_mm.h>
#include <linux/hugetlb.h>
#include <linux/mempolicy.h>
#include <linux/ptrace.h>
#include <linux/security.h>
#include <linux/swap.h>
#endif
#include "helpers.h"

static_assert(sizeof(struct folio_walk) <= MP_FOLIO_WALK_BYTES);
static_assert(__alignof__(struct folio_walk) <= sizeof(u64));
static_assert(KSYM_SYMBOL_LEN <= MP_KSYM_SYMBOL_LEN);
static_assert(MP_FW_ZEROPAGE == (__force int)FW_ZEROPAGE);

/* C because it is the C compiler's view of what the Rust bindings must agree with. */
size_t mp_layout(unsigned int item)
{
	static const size_t layout[MP_LAYOUT_NR_ITEMS] = {
		[MP_LAYOUT_TASK_SIZE] = sizeof(struct task_struct),
		[MP_LAYOUT_TASK_MM] = offsetof(struct task_struct, mm),
		[MP_LAYOUT_TASK_SIGNAL] = offsetof(struct task_struct, signal),
		[MP_LAYOUT_SIGNAL_EXEC_UPDATE_LOCK] =
			offsetof(struct signal_struct, exec_update_lock),
		[MP_LAYOUT_MM_SIZE] = sizeof(struct mm_struct),
		[MP_LAYOUT_MISCDEVICE_SIZE] = sizeof(struct miscdevice),
		[MP_LAYOUT_MISCDEVICE_MODE] = offsetof(struct miscdevice, mode),
		[MP_LAYOUT_FILE_PRIVATE_DATA] = offsetof(struct file, private_data),
		[MP_LAYOUT_NODEMASK_SIZE] = sizeof(nodemask_t),
		[MP_LAYOUT_LIST_HEAD_SIZE] = sizeof(struct list_head),
		[MP_LAYOUT_FOLIO_SIZE] = sizeof(struct folio),
		[MP_LAYOUT_VMA_SIZE] = sizeof(struct vm_area_struct),
		[MP_LAYOUT_FTRACE_OPS_SIZE] = sizeof(struct ftrace_ops),
		[MP_LAYOUT_FTRACE_OPS_PRIVATE] = offsetof(struct ftrace_ops, private),
#ifdef CONFIG_ARM64
		[MP_LAYOUT_PT_REGS_ARG0] = offsetof(struct pt_regs, orig_x0),
#else
		[MP_LAYOUT_PT_REGS_ARG0] = offsetof(struct pt_regs, di),
#endif
	};

	return item < MP_LAYOUT_NR_ITEMS ? layout[item] : 0;
}

#ifdef MODULE
/*
 * kallsyms_lookup_name() is not exported; a kprobe registered on it reports
 * its address. The probe is removed at once. C because struct kprobe has no
 * Rust binding.
 */
unsigned long mp_kallsyms_lookup_name_addr(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;

	if (register_kprobe(&kp) < 0)
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
#ifdef CONFIG_X86_KERNEL_IBT
	/* The probe sits after the function's ENDBR (or its seal); report the entry. */
	if (__is_endbr(*(u32 *)(addr - ENDBR_INSN_SIZE)))
		addr -= ENDBR_INSN_SIZE;
#endif
	return addr;
}
#else
/*
 * Built into the kernel, the linker binds the migration core (so this is C):
 * this table
 * takes the address of every function and variable the Rust side's symbol
 * table names (src/symbols.rs), and mp_builtin_lookup_name() hands them out
 * in place of kallsyms_lookup_name(). A name missing here is an error at
 * boot, never a silent fallback to kallsyms.
 */
#define MP_SYM(s) { #s, (unsigned long)&(s) }

static const struct {
	const char *name;
	unsigned long addr;
} mp_builtin_symbols[] = {
	MP_SYM(kallsyms_lookup_name),
	MP_SYM(migrate_pages),
	MP_SYM(putback_movable_pages),
	MP_SYM(folio_isolate_lru),
#ifdef CONFIG_HUGETLB_PAGE
	MP_SYM(folio_isolate_hugetlb),
#endif
	MP_SYM(alloc_migration_target),
	MP_SYM(folio_walk_start),
	MP_SYM(vma_pgtable_walk_end),
	MP_SYM(vma_migratable),
	MP_SYM(lru_cache_disable),
	MP_SYM(lru_disable_count),
	MP_SYM(find_get_task_by_vpid),
	MP_SYM(ptrace_may_access),
#ifdef CONFIG_CPUSETS
	MP_SYM(cpuset_mems_allowed),
#endif
#ifdef CONFIG_SECURITY
	MP_SYM(security_task_movememory),
#endif
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	MP_SYM(huge_zero_folio),
#endif
};

unsigned long mp_builtin_lookup_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mp_builtin_symbols); i++)
		if (!strcmp(mp_builtin_symbols[i].name, name))
			return mp_builtin_symbols[i].addr;
	return 0;
}
#endif

/*
 * Whether an indirect call may land on the instruction at @addr, the start of
 * a function: with x86 IBT, exactly ENDBR64 (gen_endbr(); objtool seals the
 * others); with arm64 BTI, BTI C or JC, or PACIASP or PACIBSP (landing pads
 * for BLR too); any instruction without either. C: gen_endbr() and
 * aarch64_insn_is_hint() are static inlines, the AARCH64_INSN_HINT_* values an
 * enum of asm/insn.h that the Rust bindings do not carry.
 */
bool mp_is_call_target(unsigned long addr)
{
#if defined(CONFIG_X86_KERNEL_IBT)
	return *(u32 *)addr == gen_endbr();
#elif defined(CONFIG_ARM64_BTI_KERNEL)
	u32 insn = le32_to_cpu(*(__le32 *)addr);

	if (!aarch64_insn_is_hint(insn))
		return false;
	switch (insn & 0xFE0) {
	case AARCH64_INSN_HINT_BTIC:
	case AARCH64_INSN_HINT_BTIJC:
	case AARCH64_INSN_HINT_PACIASP:
	case AARCH64_INSN_HINT_PACIBSP:
		return true;
	default:
		return false;
	}
#else
	return true;
#endif
}

size_t mp_folio_walk_bytes(void)
{
	return sizeof(struct folio_walk);
}

bool mp_folio_test_hugetlb(struct folio *folio)
{
	return folio_test_hugetlb(folio);
}

bool mp_folio_test_large(struct folio *folio)
{
	return folio_test_large(folio);
}

/*
 * What a query and the move path look at first, in one call: the node in the
 * low bits, MP_FOLIO_ZERO for the zero page or @huge_zero (is_huge_zero_folio()
 * with the resolved huge_zero_folio, which is not exported), MP_FOLIO_DEVICE
 * for device memory. C: folio_nid(), is_zero_folio() and
 * folio_is_zone_device() are static inlines.
 */
u32 mp_folio_info(struct folio *folio, struct folio *huge_zero)
{
	u32 info = folio_nid(folio);

	if (is_zero_folio(folio) || (huge_zero && folio == huge_zero))
		info |= MP_FOLIO_ZERO;
	if (folio_is_zone_device(folio))
		info |= MP_FOLIO_DEVICE;
	return info;
}

bool mp_folio_maybe_mapped_shared(struct folio *folio)
{
	return folio_maybe_mapped_shared(folio);
}

/* The bookkeeping of __add_folio_for_migration() after folio_isolate_lru(). */
void mp_folio_isolated_lru(struct folio *folio, struct list_head *list)
{
	list_add_tail(&folio->lru, list);
	node_stat_mod_folio(folio, NR_ISOLATED_ANON + folio_is_file_lru(folio),
			    folio_nr_pages(folio));
}

/*
 * Whether an isolated folio holds references beyond its mappings, its page or
 * swap cache, PG_private and the isolation's own, as
 * lru_cache_drain_for_folio() counts them.
 */
bool mp_folio_extra_refs(struct folio *folio)
{
	return folio_ref_count(folio) != folio_expected_ref_count(folio) + 1;
}

/* The page frame number of the page a folio walk found. */
u64 mp_folio_walk_pfn(const struct folio_walk *fw)
{
	return page_to_pfn(fw->page);
}

u64 mp_folio_pfn(struct folio *folio)
{
	return folio_pfn(folio);
}

u64 mp_folio_nr_pages(struct folio *folio)
{
	return folio_nr_pages(folio);
}

/*
 * alloc_migration_target() (@fn: it is not exported) with the control
 * do_move_pages_to_node() passes. C because struct migration_target_control
 * is private to mm/internal.h.
 */
struct folio *mp_alloc_migration_target(struct folio *(*fn)(struct folio *, unsigned long),
					struct folio *src, int nid)
{
	struct migration_target_control mtc = {
		.nid = nid,
		.gfp_mask = GFP_HIGHUSER_MOVABLE | __GFP_THISNODE,
		.reason = MR_SYSCALL,
	};

	return fn(src, (unsigned long)&mtc);
}

unsigned long mp_untagged_addr_remote(struct mm_struct *mm, unsigned long addr)
{
	return (unsigned long)untagged_addr_remote(mm, (void __user *)addr);
}

/* folio_walk_end() without its vma_pgtable_walk_end(), which is not exported. */
void mp_folio_walk_unlock(struct folio_walk *fw)
{
	spin_unlock(fw->ptl);
	if (likely(fw->level == FW_LEVEL_PTE))
		pte_unmap(fw->ptep);
}

/*
 * The span of addresses that @fw's lock covers: the page table it holds
 * mapped (FW_LEVEL_PTE), or the huge mapping it found.
 */
unsigned long mp_folio_walk_span(const struct folio_walk *fw)
{
	return fw->level == FW_LEVEL_PUD ? PUD_SIZE : PMD_SIZE;
}

bool mp_folio_walk_is_pte(const struct folio_walk *fw)
{
	return fw->level == FW_LEVEL_PTE;
}

/*
 * folio_walk_start()'s PTE step for @addr, another address of @vma in the
 * page table that @fw (FW_LEVEL_PTE, started at @base) holds mapped and
 * locked: the folio mapped there, NULL if nothing is, or ERR_PTR(-EAGAIN)
 * where only vm_normal_page() can tell (a special or PFN mapping). C:
 * ptep_get(), pte_present(), pte_special() and pte_page() are per-architecture
 * static inlines; the caller takes the -EAGAIN path to folio_walk_start(), so
 * every decision that needs more than the PTE stays the kernel's.
 */
struct folio *mp_folio_walk_pte(const struct folio_walk *fw, struct vm_area_struct *vma,
				unsigned long base, unsigned long addr)
{
	long delta = (long)(addr >> PAGE_SHIFT) - (long)(base >> PAGE_SHIFT);
	pte_t pte = ptep_get(fw->ptep + delta);

	if (!pte_present(pte))
		return NULL;
	if (!IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL) || pte_special(pte) ||
	    (vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)))
		return ERR_PTR(-EAGAIN);
	return page_folio(pte_page(pte));
}

bool mp_in_compat_syscall(void)
{
	return in_compat_syscall();
}

#ifdef CONFIG_SECCOMP_FILTER
/* C because struct seccomp_filter is private to kernel/seccomp.c. */
#include "seccomp_filter_gen.h"

/* As kernel/seccomp.c: the action without its data, signed (KILL_PROCESS is lowest). */
#define MP_SECCOMP_ACTION_ONLY(ret) ((s32)((ret) & (SECCOMP_RET_ACTION_FULL)))

/*
 * What current's seccomp filters return for move_pages(2) with arguments
 * @args, as seccomp_run_filters() computes it for the system call: every
 * filter in the chain is run on the same seccomp_data and the lowest action
 * wins. Nothing is acted upon; SECCOMP_RET_ALLOW without a filter.
 */
u32 mp_seccomp_move_pages(const u64 *args)
{
	struct seccomp_filter *f;
	struct seccomp_data sd;
	u32 ret = SECCOMP_RET_ALLOW;
	int i;

	if (READ_ONCE(current->seccomp.mode) != SECCOMP_MODE_FILTER)
		return SECCOMP_RET_ALLOW;
	/* Pairs with the barriers of seccomp_assign_mode(), as __seccomp_filter(). */
	smp_rmb();
#if defined(CONFIG_IA32_EMULATION)
	sd.nr = in_compat_syscall() ? __NR_ia32_move_pages : __NR_move_pages;
#elif defined(CONFIG_ARM64) && defined(CONFIG_COMPAT)
	sd.nr = in_compat_syscall() ? __NR_compat32_move_pages : __NR_move_pages;
#else
	sd.nr = __NR_move_pages;
#endif
	sd.arch = syscall_get_arch(current);
	sd.instruction_pointer = instruction_pointer(current_pt_regs());
	for (i = 0; i < ARRAY_SIZE(sd.args); i++)
		sd.args[i] = args[i];
	/*
	 * A filter is never changed once attached; another thread's TSYNC only
	 * installs a chain that contains this one (see seccomp_run_filters()).
	 */
	for (f = READ_ONCE(current->seccomp.filter); f; f = f->prev) {
		u32 cur = bpf_prog_run_pin_on_cpu(f->prog, &sd);

		if (MP_SECCOMP_ACTION_ONLY(cur) < MP_SECCOMP_ACTION_ONLY(ret))
			ret = cur;
	}
	return ret;
}
#else
u32 mp_seccomp_move_pages(const u64 *args)
{
	return SECCOMP_RET_ALLOW;
}
#endif

/*
 * put_user() of an int at user address @addr: one store, so a slot that
 * straddles the end of a writable page is not written at all when the next
 * page faults (copy_to_user() would write the bytes before the fault).
 */
int mp_put_user_int(unsigned long addr, int value)
{
	return put_user(value, (int __user *)addr);
}

bool mp_node_has_memory(int node)
{
	return node_state(node, N_MEMORY);
}

bool mp_fatal_signal_pending(struct task_struct *task)
{
	return fatal_signal_pending(task);
}

/* The next CPU after @prev that is online and that current may run on. */
int mp_next_allowed_cpu(int prev)
{
	return cpumask_next_and(prev, current->cpus_ptr, cpu_online_mask);
}

int mp_cpu_to_node(int cpu)
{
	return cpu_to_node(cpu);
}

/* ftrace_regs_set_instruction_pointer(): where the ftrace trampoline returns to. */
void mp_ftrace_set_ip(struct ftrace_regs *fregs, unsigned long ip)
{
	ftrace_regs_set_instruction_pointer(fregs, ip);
}
