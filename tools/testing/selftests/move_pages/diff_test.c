// SPDX-License-Identifier: GPL-2.0
/*
 * The curated differential scenarios: each one runs through the native
 * move_pages(2) and through /dev/move_pages on identical fresh worlds, and
 * must give the same return value, errno, status slots, final nodes and
 * intact contents (see diff.h). Built 64-bit and 32-bit.
 *
 * Comparisons by invariant (may_vary) and why: none of these scenarios needs
 * one; mp_diff() accepts -EBUSY in place of a node only where a spec sets
 * may_vary, for transient references it cannot control.
 */
#include <limits.h>

#include "kselftest_harness.h"
#include "diff.h"
#include "mp_util.h"

#pragma GCC diagnostic ignored "-Woverride-init"

#define S(k, from, to)		{ .kind = (k), .init = (from), .node = (to) }
#define SI(k, i, from, to)	{ .kind = (k), .idx = (i), .init = (from), .node = (to) }
#define SLOTS(...)	.slots = ((const struct mp_slot[]){ __VA_ARGS__, { .kind = K_END } })

/* Every scenario moves with MPOL_MF_MOVE and the real nr_pages unless it says otherwise. */
#define DEFAULTS	.flags = MPOL_MF_MOVE, .nr_override = -1

static void check(struct __test_metadata *_metadata, const struct mp_spec *spec)
{
	char why[512] = "";
	int r = mp_diff(spec, why, sizeof(why));

	if (r == MP_SKIPPED)
		SKIP(return, "%s", why);
	EXPECT_EQ(MP_SAME, r) {
		TH_LOG("%s", why);
	}
	if (r == MP_SAME)
		ksft_print_msg("native = module: %s\n", why);
}

static __attribute__((constructor)) void setup_guest(void)
{
	mp_diff_setup_guest();
	mp_diff_setup_kinds();
}

static int anon_64_to_1(struct mp_slot *s)
{
	for (int i = 0; i < 64; i++)
		s[i] = (struct mp_slot)S(K_ANON, 0, 1);
	return 64;
}

static int anon_32_alternating(struct mp_slot *s)
{
	for (int i = 0; i < 32; i++)
		s[i] = (struct mp_slot)S(K_ANON, i % 3 == 0, i % 2);
	return 32;
}

static int thp_whole(struct mp_slot *s)
{
	for (int i = 0; i < MP_THP_PAGES; i++)
		s[i] = (struct mp_slot)SI(K_THP, i, 0, 1);
	return MP_THP_PAGES;
}

static int thp_ten(struct mp_slot *s)
{
	for (int i = 0; i < 10; i++)
		s[i] = (struct mp_slot)SI(K_THP, 10 + i, 0, 1);
	return 10;
}

static int anon_1000_two_nodes(struct mp_slot *s)
{
	for (int i = 0; i < 1000; i++)
		s[i] = (struct mp_slot)S(i % 7 ? K_ANON : K_UNTOUCHED, i % 2, 0);
	return 1000;
}

static int anon_40(struct mp_slot *s)
{
	for (int i = 0; i < 40; i++)
		s[i] = (struct mp_slot)S(K_ANON, i % 2, 1);
	return 40;
}

FIXTURE(diff) {};

FIXTURE_SETUP(diff) {}

FIXTURE_TEARDOWN(diff) {}

FIXTURE_VARIANT(diff) {
	struct mp_spec spec;
};

/* Anonymous pages. */
FIXTURE_VARIANT_ADD(diff, anon_one_page) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, anon_64_pages) {
	.spec = { DEFAULTS, .build = anon_64_to_1 },
};

FIXTURE_VARIANT_ADD(diff, anon_already_on_target) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 1, 1), S(K_ANON, 1, 1), S(K_ANON, 1, 1)) },
};

FIXTURE_VARIANT_ADD(diff, anon_some_already_on_target) {
	.spec = {
		DEFAULTS,
		SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 1), S(K_ANON, 0, 1), S(K_ANON, 1, 1)),
	},
};

FIXTURE_VARIANT_ADD(diff, anon_to_node0) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 1, 0), S(K_ANON, 1, 0), S(K_ANON, 0, 0)) },
};

FIXTURE_VARIANT_ADD(diff, anon_interleaved_targets) {
	.spec = { DEFAULTS, .build = anon_32_alternating },
};

FIXTURE_VARIANT_ADD(diff, anon_runs_of_targets) {
	.spec = {
		DEFAULTS,
		SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, 1), S(K_ANON, 1, 0), S(K_ANON, 1, 0),
		      S(K_ANON, 0, 1), S(K_ANON, 1, 1), S(K_ANON, 1, 0)),
	},
};

FIXTURE_VARIANT_ADD(diff, anon_flags_zero) {
	.spec = { DEFAULTS, .flags = 0, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, anon_move_all_private) {
	.spec = { DEFAULTS, .flags = MPOL_MF_MOVE_ALL, SLOTS(S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, anon_mlocked) {
	.spec = { DEFAULTS, SLOTS(S(K_MLOCKED, 0, 1), S(K_MLOCKED, 1, 0)) },
};

/* Addresses with nothing to move. */
FIXTURE_VARIANT_ADD(diff, never_touched_page) {
	.spec = { DEFAULTS, SLOTS(S(K_UNTOUCHED, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, zero_page) {
	.spec = { DEFAULTS, SLOTS(S(K_ZERO, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, unmapped_address) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 1), S(K_UNMAPPED, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, kernel_address) {
	.spec = { DEFAULTS, SLOTS(S(K_KERNEL, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, null_address) {
	.spec = { DEFAULTS, SLOTS(S(K_NULL, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, misaligned_address) {
	.spec = { DEFAULTS, SLOTS(S(K_MISALIGNED, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, duplicate_address_same_target) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 1), S(K_DUP, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, duplicate_address_other_target) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 1), S(K_DUP, 0, 0)) },
};

/* Large pages. */
FIXTURE_VARIANT_ADD(diff, thp_head) {
	.spec = { DEFAULTS, SLOTS(SI(K_THP, 0, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, thp_tail) {
	.spec = { DEFAULTS, SLOTS(SI(K_THP, 100, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, thp_partial_range) {
	.spec = { DEFAULTS, .build = thp_ten },
};

FIXTURE_VARIANT_ADD(diff, thp_whole_range) {
	.spec = { DEFAULTS, .build = thp_whole },
};

FIXTURE_VARIANT_ADD(diff, thp_subpages_to_both_nodes) {
	.spec = { DEFAULTS, SLOTS(SI(K_THP, 0, 0, 1), SI(K_THP, 1, 0, 0), SI(K_THP, 2, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, hugetlb_head) {
	.spec = { DEFAULTS, SLOTS(SI(K_HUGETLB, 0, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, hugetlb_tail) {
	.spec = { DEFAULTS, SLOTS(SI(K_HUGETLB, 7, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, hugetlb_already_on_target) {
	.spec = { DEFAULTS, SLOTS(SI(K_HUGETLB, 0, 1, 1)) },
};

/* File and shared memory. */
FIXTURE_VARIANT_ADD(diff, memfd_shared) {
	.spec = { DEFAULTS, SLOTS(SI(K_MEMFD_SHARED, 0, 0, 1), SI(K_MEMFD_SHARED, 1, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, memfd_private_read) {
	.spec = { DEFAULTS, SLOTS(SI(K_MEMFD_PRIVATE, 0, 0, 1), SI(K_MEMFD_PRIVATE, 1, 1, 0)) },
};

FIXTURE_VARIANT_ADD(diff, sysv_shm) {
	.spec = { DEFAULTS, SLOTS(SI(K_SYSV_SHM, 0, 0, 1), SI(K_SYSV_SHM, 1, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, fork_shared_without_move_all) {
	.spec = { DEFAULTS, SLOTS(S(K_FORK_SHARED, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, fork_shared_move_all_root) {
	.spec = {
		DEFAULTS,
		.flags = MPOL_MF_MOVE_ALL,
		SLOTS(S(K_FORK_SHARED, 0, 1), S(K_ANON, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(diff, fork_shared_move_all_unprivileged) {
	.spec = {
		DEFAULTS,
		.flags = MPOL_MF_MOVE_ALL,
		.caller_uid = MP_USER1,
		SLOTS(S(K_FORK_SHARED, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(diff, fork_shared_unprivileged) {
	.spec = { DEFAULTS, .caller_uid = MP_USER1, SLOTS(S(K_FORK_SHARED, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, ksm_merged) {
	.spec = { DEFAULTS, SLOTS(S(K_KSM, 0, 1), S(K_ANON, 0, 1)) },
};

/* Whose pages. */
FIXTURE_VARIANT_ADD(diff, unprivileged_own_pages) {
	.spec = { DEFAULTS, .caller_uid = MP_USER1, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 0)) },
};

FIXTURE_VARIANT_ADD(diff, self_by_pid) {
	.spec = { DEFAULTS, .target = T_SELF_PID, SLOTS(S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, other_process_root) {
	.spec = { DEFAULTS, .target = T_OTHER, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 0)) },
};

FIXTURE_VARIANT_ADD(diff, other_process_same_user) {
	.spec = {
		DEFAULTS,
		.target = T_OTHER,
		.caller_uid = MP_USER1,
		.owner_uid = MP_USER1,
		SLOTS(S(K_ANON, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(diff, other_process_other_user) {
	.spec = {
		DEFAULTS,
		.target = T_OTHER,
		.caller_uid = MP_USER1,
		.owner_uid = MP_USER2,
		SLOTS(S(K_ANON, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(diff, other_process_move_all_root) {
	.spec = {
		DEFAULTS,
		.target = T_OTHER,
		.flags = MPOL_MF_MOVE_ALL,
		SLOTS(S(K_FORK_SHARED, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(diff, nonexistent_pid) {
	.spec = { DEFAULTS, .target = T_NONEXISTENT, SLOTS(S(K_ANON, 0, 1)) },
};

/* Nodes. */
FIXTURE_VARIANT_ADD(diff, node_negative) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, -1)) },
};

FIXTURE_VARIANT_ADD(diff, node_max_numnodes) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 64)) },
};

FIXTURE_VARIANT_ADD(diff, node_int_max) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, INT_MAX)) },
};

FIXTURE_VARIANT_ADD(diff, node_memoryless) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, 2), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, node_invalid_first) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 2), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, node_outside_cpuset) {
	.spec = { DEFAULTS, .cpuset_node0 = 1, SLOTS(S(K_ANON, 0, 0), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, node_outside_cpuset_other_process) {
	.spec = { DEFAULTS, .cpuset_node0 = 1, .target = T_OTHER, SLOTS(S(K_ANON, 0, 1)) },
};

/* Flags and counts. */
FIXTURE_VARIANT_ADD(diff, flags_invalid) {
	.spec = { DEFAULTS, .flags = 0x8, SLOTS(S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, flags_all_bits) {
	.spec = { DEFAULTS, .flags = -1, SLOTS(S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, nr_pages_zero) {
	.spec = { DEFAULTS, .nr_override = 0, SLOTS(S(K_ANON, 0, 1)) },
};

/* Arrays the kernel cannot read or write. */
FIXTURE_VARIANT_ADD(diff, pages_array_null) {
	.spec = { DEFAULTS, .fault = F_PAGES_NULL, SLOTS(S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(diff, pages_array_faults_midway) {
	.spec = { DEFAULTS, .fault = F_PAGES_PARTIAL, .fault_at = 3, .build = anon_40 },
};

FIXTURE_VARIANT_ADD(diff, nodes_array_faults_midway) {
	.spec = { DEFAULTS, .fault = F_NODES_PARTIAL, .fault_at = 5, .build = anon_40 },
};

FIXTURE_VARIANT_ADD(diff, nodes_array_unreadable) {
	.spec = { DEFAULTS, .fault = F_NODES_PARTIAL, .fault_at = 0, .build = anon_40 },
};

FIXTURE_VARIANT_ADD(diff, status_array_unmapped) {
	.spec = { DEFAULTS, .fault = F_STATUS_PARTIAL, .fault_at = 0, .build = anon_40 },
};

FIXTURE_VARIANT_ADD(diff, status_array_read_only) {
	.spec = { DEFAULTS, .fault = F_STATUS_RO, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 1)) },
};

FIXTURE_VARIANT_ADD(diff, status_array_faults_midway) {
	.spec = { DEFAULTS, .fault = F_STATUS_PARTIAL, .fault_at = 2, .build = anon_40 },
};

FIXTURE_VARIANT_ADD(diff, status_fault_on_error_entry) {
	.spec = {
		DEFAULTS,
		.fault = F_STATUS_PARTIAL,
		.fault_at = 1,
		SLOTS(S(K_ANON, 0, 1), S(K_UNMAPPED, 0, 1), S(K_ANON, 0, 1)),
	},
};

/* Query mode. */
FIXTURE_VARIANT_ADD(diff, query_mixed) {
	.spec = {
		DEFAULTS,
		.query = 1,
		SLOTS(S(K_ANON, 0, 0), S(K_ANON, 1, 0), S(K_UNTOUCHED, 0, 0), S(K_ZERO, 0, 0),
		      S(K_UNMAPPED, 0, 0), S(K_KERNEL, 0, 0), S(K_NULL, 0, 0),
		      S(K_MISALIGNED, 1, 0), SI(K_THP, 3, 1, 0), SI(K_MEMFD_SHARED, 0, 1, 0),
		      S(K_DUP, 0, 0)),
	},
};

FIXTURE_VARIANT_ADD(diff, query_1000_pages) {
	.spec = { DEFAULTS, .query = 1, .build = anon_1000_two_nodes },
};

FIXTURE_VARIANT_ADD(diff, query_pages_fault_midway) {
	.spec = {
		DEFAULTS,
		.query = 1,
		.fault = F_PAGES_PARTIAL,
		.fault_at = 20,
		.build = anon_40,
	},
};

FIXTURE_VARIANT_ADD(diff, query_status_fault_midway) {
	.spec = {
		DEFAULTS,
		.query = 1,
		.fault = F_STATUS_PARTIAL,
		.fault_at = 21,
		.build = anon_40,
	},
};

FIXTURE_VARIANT_ADD(diff, query_other_process) {
	.spec = {
		DEFAULTS,
		.query = 1,
		.target = T_OTHER,
		.caller_uid = MP_USER1,
		.owner_uid = MP_USER1,
		SLOTS(S(K_ANON, 1, 0), S(K_UNTOUCHED, 0, 0)),
	},
};

FIXTURE_VARIANT_ADD(diff, query_other_user) {
	.spec = {
		DEFAULTS,
		.query = 1,
		.target = T_OTHER,
		.caller_uid = MP_USER1,
		.owner_uid = MP_USER2,
		SLOTS(S(K_ANON, 1, 0)),
	},
};

FIXTURE_VARIANT_ADD(diff, query_nonexistent_pid) {
	.spec = { DEFAULTS, .query = 1, .target = T_NONEXISTENT, SLOTS(S(K_ANON, 1, 0)) },
};

FIXTURE_VARIANT_ADD(diff, query_invalid_flags) {
	.spec = { DEFAULTS, .query = 1, .flags = 0x10, SLOTS(S(K_ANON, 1, 0)) },
};

TEST_F_TIMEOUT(diff, same_as_native, MP_SCENARIO_TIMEOUT)
{
	check(_metadata, &variant->spec);
}

/*
 * Page kinds with a set-up of their own (diff.h, after K_KSM): each run
 * checks that the kind, or the state of node 1, is in effect right before
 * the call, and fails otherwise. Filling node 1 with hugetlb pages takes
 * long under emulation: a longer timeout than the default 30 s.
 */
FIXTURE(kinds) {};

FIXTURE_SETUP(kinds) {}

FIXTURE_TEARDOWN(kinds) {}

FIXTURE_VARIANT(kinds) {
	struct mp_spec spec;
};

/* The huge zero page (use_zero_page on, a read fault in a MADV_HUGEPAGE range). */
FIXTURE_VARIANT_ADD(kinds, huge_zero_page) {
	.spec = {
		DEFAULTS,
		SLOTS(SI(K_HUGE_ZERO, 0, 0, 1), SI(K_HUGE_ZERO, 300, 0, 1), S(K_ANON, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(kinds, huge_zero_page_query) {
	.spec = { DEFAULTS, .query = 1, SLOTS(SI(K_HUGE_ZERO, 5, 0, 0), S(K_ANON, 1, 0)) },
};

/* THPs mapped by PTEs. */
FIXTURE_VARIANT_ADD(kinds, thp_partly_unmapped) {
	.spec = {
		DEFAULTS,
		SLOTS(SI(K_THP_PART_UNMAPPED, 0, 0, 1), SI(K_THP_PART_UNMAPPED, 200, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(kinds, thp_mprotected_into_pieces) {
	.spec = {
		DEFAULTS,
		SLOTS(SI(K_THP_MPROTECTED, 0, 0, 1), SI(K_THP_MPROTECTED, 256, 0, 1),
		      SI(K_THP_MPROTECTED, 511, 0, 1)),
	},
};

/* A 64 KiB mTHP (hugepages-64kB/enabled madvise while the world exists). */
FIXTURE_VARIANT_ADD(kinds, mthp_64k) {
	.spec = { DEFAULTS, SLOTS(SI(K_MTHP, 0, 0, 1), SI(K_MTHP, 9, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, mthp_64k_last_page_to_node0) {
	.spec = { DEFAULTS, SLOTS(SI(K_MTHP, 15, 1, 0)) },
};

/* A THP shared with a forked child. */
FIXTURE_VARIANT_ADD(kinds, thp_fork_shared) {
	.spec = { DEFAULTS, SLOTS(SI(K_THP_FORKED, 0, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, thp_fork_shared_move_all_root) {
	.spec = { DEFAULTS, .flags = MPOL_MF_MOVE_ALL, SLOTS(SI(K_THP_FORKED, 7, 0, 1)) },
};

/*
 * THPs moved to a node with free memory but no free 2 MiB block: the core
 * splits them and moves the pages one by one (the call returns 1 when a
 * subpage is left behind, 0 when all moved).
 */
FIXTURE_VARIANT_ADD(kinds, thp_to_node_without_free_2m_block) {
	.spec = {
		DEFAULTS,
		.pressure = P_NO_HUGE_BLOCK,
		SLOTS(SI(K_THP, 0, 0, 1), SI(K_THP, 300, 0, 1)),
	},
};

/* hugetlb: the target node's pool exhausted; a hugetlbfs file mapped shared. */
FIXTURE_VARIANT_ADD(kinds, hugetlb_target_pool_exhausted) {
	.spec = { DEFAULTS, .pressure = P_HUGETLB_EXHAUSTED, SLOTS(SI(K_HUGETLB, 0, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, hugetlbfs_shared) {
	.spec = { DEFAULTS, SLOTS(SI(K_HUGETLBFS, 0, 0, 1), SI(K_HUGETLBFS, 9, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, hugetlbfs_shared_target_pool_exhausted) {
	.spec = { DEFAULTS, .pressure = P_HUGETLB_EXHAUSTED, SLOTS(SI(K_HUGETLBFS, 3, 0, 1)) },
};

/* Special mappings. */
/*
 * The [vvar] data page is mapped into a process when it first reads the
 * clock through the vDSO, so whether another process maps it too (-EACCES
 * without MPOL_MF_MOVE_ALL, -EBUSY with it: it is not on an LRU) depends on
 * what else runs in the guest. MPOL_MF_MOVE_ALL makes the answer the
 * page's own.
 */
FIXTURE_VARIANT_ADD(kinds, vvar_page_move_all_root) {
	.spec = { DEFAULTS, .flags = MPOL_MF_MOVE_ALL, SLOTS(S(K_VVAR, 0, 1), S(K_ANON, 0, 1)) },
};

#ifdef MP_HAS_VVAR_VCLOCK
FIXTURE_VARIANT_ADD(kinds, vvar_vclock_pfnmap) {
	.spec = { DEFAULTS, SLOTS(S(K_VVAR_VCLOCK, 0, 1), S(K_ANON, 0, 1)) },
};
#endif

FIXTURE_VARIANT_ADD(kinds, vdso_page) {
	.spec = { DEFAULTS, SLOTS(S(K_VDSO, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, vdso_page_move_all_root) {
	.spec = { DEFAULTS, .flags = MPOL_MF_MOVE_ALL, SLOTS(S(K_VDSO, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, prot_none_page) {
	.spec = { DEFAULTS, SLOTS(S(K_PROT_NONE, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, guard_page) {
	.spec = { DEFAULTS, SLOTS(S(K_GUARD, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, userfaultfd_missing_untouched) {
	.spec = { DEFAULTS, SLOTS(S(K_UFFD_MISSING, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, userfaultfd_write_protected) {
	.spec = { DEFAULTS, SLOTS(S(K_UFFD_WP, 0, 1), S(K_ANON, 0, 1)) },
};

/* Page cache of a file on ext2, and the program's own text. */
FIXTURE_VARIANT_ADD(kinds, ext2_shared_clean) {
	.spec = { DEFAULTS, SLOTS(S(K_FILE_CLEAN, 0, 1), S(K_FILE_CLEAN, 1, 0)) },
};

FIXTURE_VARIANT_ADD(kinds, ext2_shared_dirty) {
	.spec = { DEFAULTS, SLOTS(S(K_FILE_DIRTY, 0, 1), S(K_FILE_DIRTY, 1, 0)) },
};

FIXTURE_VARIANT_ADD(kinds, ext2_private_clean) {
	.spec = { DEFAULTS, SLOTS(S(K_FILE_PRIVATE, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, ext2_private_written) {
	.spec = { DEFAULTS, SLOTS(S(K_FILE_COW, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, program_text) {
	.spec = { DEFAULTS, SLOTS(S(K_TEXT, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, program_text_move_all_root) {
	.spec = { DEFAULTS, .flags = MPOL_MF_MOVE_ALL, SLOTS(S(K_TEXT, 0, 1)) },
};

/* Swap. */
FIXTURE_VARIANT_ADD(kinds, swapped_out_page) {
	.spec = { DEFAULTS, SLOTS(S(K_SWAPPED, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, query_special_kinds) {
	.spec = {
		DEFAULTS,
		.query = 1,
		SLOTS(SI(K_HUGE_ZERO, 1, 0, 0), S(K_VVAR, 0, 0), VVAR_VCLOCK_SLOT
		      S(K_VDSO, 0, 0), S(K_PROT_NONE, 1, 0), S(K_GUARD, 0, 0),
		      S(K_UFFD_MISSING, 0, 0), S(K_UFFD_WP, 1, 0), S(K_FILE_DIRTY, 1, 0),
		      S(K_FILE_COW, 1, 0), SI(K_MTHP, 3, 1, 0), S(K_SWAPPED, 0, 0)),
	},
};

/*
 * Migrations that fail part-way: a page the core cannot move (a pipe's
 * reference from vmsplice(), an io_uring fixed buffer's long-term pin) in a
 * batch, followed by each kind of entry. Upstream's do_pages_move() counts
 * what was not migrated differently on each path: a batch flushed because
 * the next entry is already placed or an error (that entry is accounted
 * for: "err--"), because the node changes (it is not), or at the end.
 */
FIXTURE_VARIANT_ADD(kinds, pinned_then_already_placed) {
	.spec = { DEFAULTS, SLOTS(S(K_PINNED_PIPE, 0, 1), S(K_ANON, 1, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, pinned_then_error) {
	.spec = { DEFAULTS, SLOTS(S(K_PINNED_PIPE, 0, 1), S(K_UNMAPPED, 0, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, pinned_then_invalid_node) {
	.spec = { DEFAULTS, SLOTS(S(K_PINNED_PIPE, 0, 1), S(K_ANON, 0, 5), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, pinned_then_other_node) {
	.spec = { DEFAULTS, SLOTS(S(K_PINNED_PIPE, 0, 1), S(K_ANON, 1, 0), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, pinned_last) {
	.spec = { DEFAULTS, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, 1), S(K_PINNED_PIPE, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, pinned_in_second_batch) {
	.spec = {
		DEFAULTS,
		SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 1), S(K_ANON, 0, 1), S(K_PINNED_PIPE, 0, 1),
		      S(K_ANON, 0, 1), S(K_ZERO, 0, 1), S(K_ANON, 1, 0)),
	},
};

FIXTURE_VARIANT_ADD(kinds, pinned_already_placed) {
	.spec = { DEFAULTS, SLOTS(S(K_PINNED_PIPE, 1, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, pinned_twice_then_duplicate) {
	.spec = {
		DEFAULTS,
		SLOTS(S(K_PINNED_PIPE, 0, 1), S(K_PINNED_PIPE, 0, 1), S(K_DUP, 0, 1),
		      S(K_ANON, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(kinds, uring_then_already_placed) {
	.spec = { DEFAULTS, SLOTS(S(K_PINNED_URING, 0, 1), S(K_ANON, 1, 1), S(K_ANON, 0, 1)) },
};

FIXTURE_VARIANT_ADD(kinds, uring_then_error_other_process) {
	.spec = {
		DEFAULTS,
		.target = T_OTHER,
		SLOTS(S(K_ANON, 0, 1), S(K_PINNED_URING, 0, 1), S(K_NULL, 0, 1), S(K_ANON, 0, 1)),
	},
};

FIXTURE_VARIANT_ADD(kinds, uring_move_all_root) {
	.spec = {
		DEFAULTS,
		.flags = MPOL_MF_MOVE_ALL,
		SLOTS(S(K_PINNED_URING, 0, 1), S(K_PINNED_PIPE, 0, 1), S(K_ANON, 1, 1)),
	},
};

FIXTURE_VARIANT_ADD(kinds, query_pinned) {
	.spec = { DEFAULTS, .query = 1, SLOTS(S(K_PINNED_PIPE, 1, 0), S(K_PINNED_URING, 0, 0)) },
};

TEST_F_TIMEOUT(kinds, same_as_native, MP_SCENARIO_TIMEOUT)
{
	check(_metadata, &variant->spec);
}

TEST_HARNESS_MAIN
