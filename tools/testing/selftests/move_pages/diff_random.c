// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded random differential testing: random worlds and calls, each run
 * through the native move_pages(2) and through /dev/move_pages on identical
 * fresh worlds (see diff.h). TAP, one line per block of cases.
 *
 * Usage: diff_random [CASES [SEED]]   (default: 1000 cases, seed from time)
 * A failing case is printed with its seed and index; rerun with that seed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff.h"
#include "mp_util.h"

#define BLOCK	100

static unsigned long long rng;

static unsigned int rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng >> 11) % n;
}

/* Picks an index by weight. */
static int pick(const int *w, int n)
{
	int total = 0, r;

	for (int i = 0; i < n; i++)
		total += w[i];
	r = rnd(total);
	for (int i = 0; i < n; i++) {
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return 0;
}

static const int kind_w[K_NR_KINDS] = {
	[K_ANON] = 50, [K_UNTOUCHED] = 5, [K_ZERO] = 5, [K_UNMAPPED] = 4,
	[K_KERNEL] = 2, [K_NULL] = 1, [K_MISALIGNED] = 4, [K_DUP] = 6,
	[K_THP] = 8, [K_HUGETLB] = 1, [K_MEMFD_SHARED] = 5,
	[K_MEMFD_PRIVATE] = 3, [K_SYSV_SHM] = 2, [K_FORK_SHARED] = 4,
	[K_MLOCKED] = 2, [K_KSM] = 0,
	/*
	 * 0 for the kinds after K_KSM: they need diff_test's program-wide set-up
	 * (ext2, zram) or change global settings (mp_diff_setup_kinds()).
	 */
	[K_HUGE_ZERO ... K_NR_KINDS - 1] = 0,
};

static int random_node(void)
{
	static const int odd[] = { 2, -1, 64, 3, INT_MIN, INT_MAX };

	return rnd(100) < 92 ? (int)rnd(2) : odd[rnd(6)];
}

static void random_spec(struct mp_spec *s, struct mp_slot *slots)
{
	static const int flags[] = { MPOL_MF_MOVE, MPOL_MF_MOVE_ALL, 0, 0x8, 0x6 };
	static const int flags_w[] = { 70, 15, 10, 3, 2 };
	static const int target_w[] = { 80, 5, 12, 3 };
	int nr = rnd(100) < 90 ? 1 + rnd(48) : 1 + rnd(300);

	memset(s, 0, sizeof(*s));
	s->name = "random";
	s->nr_override = -1;
	for (int i = 0; i < nr; i++) {
		slots[i].kind = pick(kind_w, K_NR_KINDS);
		slots[i].init = rnd(2);
		slots[i].node = random_node();
		slots[i].idx = slots[i].kind == K_THP || slots[i].kind == K_HUGETLB ?
			       rnd(MP_THP_PAGES) : rnd(8);
	}
	s->slots = slots;
	s->nr = nr;
	s->flags = flags[pick(flags_w, 5)];
	s->query = rnd(100) < 15;
	s->target = pick(target_w, 4);
	if (rnd(100) < 15) {
		s->caller_uid = MP_USER1;
		s->owner_uid = rnd(2) ? MP_USER1 : MP_USER2;
	}
	if (s->target != T_OTHER)
		s->owner_uid = s->caller_uid;
	if (rnd(100) < 10) {
		s->fault = 1 + rnd(F_STATUS_RO);
		s->fault_at = rnd(nr);
	}
	s->cpuset_node0 = rnd(100) < 3;
	if (rnd(100) < 2)
		s->nr_override = 0;
}

static void print_spec(const struct mp_spec *s)
{
	printf("#   nr %d flags %#x query %d target %d uids %d/%d", s->nr, s->flags,
	       s->query, s->target, s->caller_uid, s->owner_uid);
	printf(" cpuset %d fault %d@%d nr_override %d\n",
	       s->cpuset_node0, s->fault, s->fault_at, s->nr_override);
	printf("#   slots (kind:idx:init->node):");
	for (int i = 0; i < s->nr; i++)
		printf(" %d:%d:%d->%d", s->slots[i].kind, s->slots[i].idx,
		       s->slots[i].init, s->slots[i].node);
	printf("\n");
}

int main(int argc, char **argv)
{
	static struct mp_slot slots[MP_MAX_SLOTS];
	int cases = 1000;
	unsigned long long seed = argc > 2 ? strtoull(argv[2], NULL, 0)
					   : (unsigned long long)time(NULL);
	int blocks, failed_blocks = 0;
	int same = 0, different = 0, skipped = 0;
	struct mp_spec spec;
	char why[512];

	if (argc > 1)
		cases = atoi(argv[1]);
	blocks = (cases + BLOCK - 1) / BLOCK;
	mp_diff_setup_guest();
	/* One line per block of cases, and a last one for the cases that could not be built. */
	printf("TAP version 13\n1..%d\n# seed %llu, %d cases\n", blocks + 1, seed, cases);
	for (int b = 0; b < blocks; b++) {
		int bad = 0;

		for (int c = b * BLOCK; c < cases && c < (b + 1) * BLOCK; c++) {
			/* Each case has its own stream: reproducible alone. */
			rng = seed * 0x9e3779b97f4a7c15ULL + c + 1;
			random_spec(&spec, slots);
			switch (mp_diff(&spec, why, sizeof(why))) {
			case MP_SAME:
				same++;
				break;
			case MP_SKIPPED:
				skipped++;
				break;
			default:
				different++;
				bad++;
				printf("# case %d (seed %llu): %s\n", c, seed, why);
				print_spec(&spec);
			}
		}
		failed_blocks += !!bad;
		printf("%sok %d random cases %d-%d\n", bad ? "not " : "", b + 1,
		       b * BLOCK, (b + 1) * BLOCK - 1);
		fflush(stdout);
	}
	printf("# %d same, %d different, %d skipped\n", same, different, skipped);
	if (skipped)
		printf("ok %d random cases built # SKIP %d of %d could not be built\n", blocks + 1,
		       skipped, cases);
	else
		printf("ok %d random cases built: all %d\n", blocks + 1, cases);
	return failed_blocks ? 1 : 0;
}
