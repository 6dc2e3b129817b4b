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
#define SLOTS(...)							\
	.slots = (const struct mp_slot[]){ __VA_ARGS__ },		\
	.nr = sizeof((const struct mp_slot[]){ __VA_ARGS__ }) /	\
	      sizeof(struct mp_slot)

#define DIFF(test_name, ...)						\
TEST(test_name)								\
{									\
	struct mp_spec spec = {						\
		.name = #test_name, .flags = MPOL_MF_MOVE,		\
		.nr_override = -1, __VA_ARGS__				\
	};								\
	check(_metadata, &spec);					\
}

static void check(struct __test_metadata *_metadata, const struct mp_spec *spec)
{
	char why[256] = "";
	int r = mp_diff(spec, why, sizeof(why));

	if (r == MP_SKIPPED)
		SKIP(return, "%s", why);
	EXPECT_EQ(MP_SAME, r) {
		TH_LOG("%s: %s", spec->name, why);
	}
	if (r == MP_SAME)
		ksft_print_msg("%s: both %s\n", spec->name, why);
}

static __attribute__((constructor)) void setup_guest(void)
{
	mp_diff_setup_guest();
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

/* Anonymous pages. */
DIFF(anon_one_page, SLOTS(S(K_ANON, 0, 1)))
DIFF(anon_64_pages, .build = anon_64_to_1)
DIFF(anon_already_on_target, SLOTS(S(K_ANON, 1, 1), S(K_ANON, 1, 1), S(K_ANON, 1, 1)))
DIFF(anon_some_already_on_target,
     SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 1), S(K_ANON, 0, 1), S(K_ANON, 1, 1)))
DIFF(anon_to_node0, SLOTS(S(K_ANON, 1, 0), S(K_ANON, 1, 0), S(K_ANON, 0, 0)))
DIFF(anon_interleaved_targets, .build = anon_32_alternating)
DIFF(anon_runs_of_targets,
     SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, 1), S(K_ANON, 1, 0), S(K_ANON, 1, 0),
	   S(K_ANON, 0, 1), S(K_ANON, 1, 1), S(K_ANON, 1, 0)))
DIFF(anon_flags_zero, .flags = 0, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, 1)))
DIFF(anon_move_all_private, .flags = MPOL_MF_MOVE_ALL, SLOTS(S(K_ANON, 0, 1)))
DIFF(anon_mlocked, SLOTS(S(K_MLOCKED, 0, 1), S(K_MLOCKED, 1, 0)))

/* Addresses with nothing to move. */
DIFF(never_touched_page, SLOTS(S(K_UNTOUCHED, 0, 1), S(K_ANON, 0, 1)))
DIFF(zero_page, SLOTS(S(K_ZERO, 0, 1), S(K_ANON, 0, 1)))
DIFF(unmapped_address, SLOTS(S(K_ANON, 0, 1), S(K_UNMAPPED, 0, 1), S(K_ANON, 0, 1)))
DIFF(kernel_address, SLOTS(S(K_KERNEL, 0, 1), S(K_ANON, 0, 1)))
DIFF(null_address, SLOTS(S(K_NULL, 0, 1), S(K_ANON, 0, 1)))
DIFF(misaligned_address, SLOTS(S(K_MISALIGNED, 0, 1), S(K_ANON, 0, 1)))
DIFF(duplicate_address_same_target, SLOTS(S(K_ANON, 0, 1), S(K_DUP, 0, 1), S(K_ANON, 0, 1)))
DIFF(duplicate_address_other_target, SLOTS(S(K_ANON, 0, 1), S(K_DUP, 0, 0)))

/* Large pages. */
DIFF(thp_head, SLOTS(SI(K_THP, 0, 0, 1)))
DIFF(thp_tail, SLOTS(SI(K_THP, 100, 0, 1)))
DIFF(thp_partial_range, .build = thp_ten)
DIFF(thp_whole_range, .build = thp_whole)
DIFF(thp_subpages_to_both_nodes, SLOTS(SI(K_THP, 0, 0, 1), SI(K_THP, 1, 0, 0), SI(K_THP, 2, 0, 1)))
DIFF(hugetlb_head, SLOTS(SI(K_HUGETLB, 0, 0, 1)))
DIFF(hugetlb_tail, SLOTS(SI(K_HUGETLB, 7, 0, 1), S(K_ANON, 0, 1)))
DIFF(hugetlb_already_on_target, SLOTS(SI(K_HUGETLB, 0, 1, 1)))

/* File and shared memory. */
DIFF(memfd_shared, SLOTS(SI(K_MEMFD_SHARED, 0, 0, 1), SI(K_MEMFD_SHARED, 1, 0, 1)))
DIFF(memfd_private_read, SLOTS(SI(K_MEMFD_PRIVATE, 0, 0, 1), SI(K_MEMFD_PRIVATE, 1, 1, 0)))
DIFF(sysv_shm, SLOTS(SI(K_SYSV_SHM, 0, 0, 1), SI(K_SYSV_SHM, 1, 0, 1)))
DIFF(fork_shared_without_move_all, SLOTS(S(K_FORK_SHARED, 0, 1), S(K_ANON, 0, 1)))
DIFF(fork_shared_move_all_root, .flags = MPOL_MF_MOVE_ALL,
     SLOTS(S(K_FORK_SHARED, 0, 1), S(K_ANON, 0, 1)))
DIFF(fork_shared_move_all_unprivileged, .flags = MPOL_MF_MOVE_ALL, .caller_uid = MP_USER1,
     SLOTS(S(K_FORK_SHARED, 0, 1)))
DIFF(fork_shared_unprivileged, .caller_uid = MP_USER1, SLOTS(S(K_FORK_SHARED, 0, 1)))
DIFF(ksm_merged, SLOTS(S(K_KSM, 0, 1), S(K_ANON, 0, 1)))

/* Whose pages. */
DIFF(unprivileged_own_pages, .caller_uid = MP_USER1, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 0)))
DIFF(self_by_pid, .target = T_SELF_PID, SLOTS(S(K_ANON, 0, 1)))
DIFF(other_process_root, .target = T_OTHER, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 0)))
DIFF(other_process_same_user, .target = T_OTHER, .caller_uid = MP_USER1,
     .owner_uid = MP_USER1, SLOTS(S(K_ANON, 0, 1)))
DIFF(other_process_other_user, .target = T_OTHER, .caller_uid = MP_USER1,
     .owner_uid = MP_USER2, SLOTS(S(K_ANON, 0, 1)))
DIFF(other_process_move_all_root, .target = T_OTHER, .flags = MPOL_MF_MOVE_ALL,
     SLOTS(S(K_FORK_SHARED, 0, 1)))
DIFF(nonexistent_pid, .target = T_NONEXISTENT, SLOTS(S(K_ANON, 0, 1)))

/* Nodes. */
DIFF(node_negative, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, -1)))
DIFF(node_max_numnodes, SLOTS(S(K_ANON, 0, 64)))
DIFF(node_int_max, SLOTS(S(K_ANON, 0, INT_MAX)))
DIFF(node_memoryless, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 0, 2), S(K_ANON, 0, 1)))
DIFF(node_invalid_first, SLOTS(S(K_ANON, 0, 2), S(K_ANON, 0, 1)))
DIFF(node_outside_cpuset, .cpuset_node0 = 1, SLOTS(S(K_ANON, 0, 0), S(K_ANON, 0, 1)))
DIFF(node_outside_cpuset_other_process, .cpuset_node0 = 1, .target = T_OTHER,
     SLOTS(S(K_ANON, 0, 1)))

/* Flags and counts. */
DIFF(flags_invalid, .flags = 0x8, SLOTS(S(K_ANON, 0, 1)))
DIFF(flags_all_bits, .flags = -1, SLOTS(S(K_ANON, 0, 1)))
DIFF(nr_pages_zero, .nr_override = 0, SLOTS(S(K_ANON, 0, 1)))

/* Arrays the kernel cannot read or write. */
DIFF(pages_array_null, .fault = F_PAGES_NULL, SLOTS(S(K_ANON, 0, 1)))
DIFF(pages_array_faults_midway, .fault = F_PAGES_PARTIAL, .fault_at = 3, .build = anon_40)
DIFF(nodes_array_faults_midway, .fault = F_NODES_PARTIAL, .fault_at = 5, .build = anon_40)
DIFF(status_array_read_only, .fault = F_STATUS_RO, SLOTS(S(K_ANON, 0, 1), S(K_ANON, 1, 1)))
DIFF(status_array_faults_midway, .fault = F_STATUS_PARTIAL, .fault_at = 2, .build = anon_40)
DIFF(status_fault_on_error_entry, .fault = F_STATUS_PARTIAL, .fault_at = 1,
     SLOTS(S(K_ANON, 0, 1), S(K_UNMAPPED, 0, 1), S(K_ANON, 0, 1)))

/* Query mode. */
DIFF(query_mixed, .query = 1,
     SLOTS(S(K_ANON, 0, 0), S(K_ANON, 1, 0), S(K_UNTOUCHED, 0, 0), S(K_ZERO, 0, 0),
	   S(K_UNMAPPED, 0, 0), S(K_KERNEL, 0, 0), S(K_NULL, 0, 0), S(K_MISALIGNED, 1, 0),
	   SI(K_THP, 3, 1, 0), SI(K_MEMFD_SHARED, 0, 1, 0), S(K_DUP, 0, 0)))
DIFF(query_1000_pages, .query = 1, .build = anon_1000_two_nodes)
DIFF(query_pages_fault_midway, .query = 1, .fault = F_PAGES_PARTIAL, .fault_at = 20,
     .build = anon_40)
DIFF(query_status_fault_midway, .query = 1, .fault = F_STATUS_PARTIAL, .fault_at = 21,
     .build = anon_40)
DIFF(query_other_process, .query = 1, .target = T_OTHER, .caller_uid = MP_USER1,
     .owner_uid = MP_USER1, SLOTS(S(K_ANON, 1, 0), S(K_UNTOUCHED, 0, 0)))
DIFF(query_other_user, .query = 1, .target = T_OTHER, .caller_uid = MP_USER1,
     .owner_uid = MP_USER2, SLOTS(S(K_ANON, 1, 0)))
DIFF(query_nonexistent_pid, .query = 1, .target = T_NONEXISTENT, SLOTS(S(K_ANON, 1, 0)))
DIFF(query_invalid_flags, .query = 1, .flags = 0x10, SLOTS(S(K_ANON, 1, 0)))

TEST_HARNESS_MAIN
