// SPDX-License-Identifier: GPL-2.0
/*
 * diff_fuzz - differential fuzzing of /dev/move_pages against move_pages(2).
 *
 * Every case is a world and a call (struct mp_spec, diff.h) run natively and
 * through the module on identically prepared fresh worlds; the native run
 * is the oracle. Cases are written as one line of text (see case_format()),
 * so that a corpus is a file and a reproducer is a line.
 *
 *   diff_fuzz random CASES [SEED]      random cases; TAP, one line per 100
 *   diff_fuzz raced CASES [SEED]       random cases that all have a mutator
 *                                      racing the call (checked against the
 *                                      two serial answers); TAP as random
 *   diff_fuzz replay FILE...           the cases of the files (a seed corpus,
 *                                      reproducers); TAP, one line per file
 *   diff_fuzz campaign SECONDS [SEED] [FILE...]
 *                                      coverage-guided: start from the cases
 *                                      of the files, mutate the cases that
 *                                      reached new KCOV edges of the module,
 *                                      print the corpus, the reproducers
 *                                      (minimised) and the PCs reached
 *
 * The generator reaches what hand-written scenarios rarely do: batches that
 * fail part-way (pinned pages) followed by every kind of entry, the call's
 * own arrays as targets, arrays in untouched, zero-page, read-only and
 * userfaultfd-backed memory whose handler answers late or changes the
 * mapping, arrays straddling page boundaries, huge counts with a short
 * readable prefix, every page kind of the scenario library, and a second
 * thread (or the owner) that unmaps, protects, locks, unlocks, drops or
 * deactivates a page, forks or exits while the call runs (such a case is
 * checked against the two serial answers: see mp_diff()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"
#include "mp_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define BLOCK		100
#define LINE_MAX_LEN	16384
#define MAX_GEN_SLOTS	64	/* slots of a generated or mutated case, mostly */
#define COVER_WORDS	131072
#define EDGE_BITS	16
#define PC_TABLE	32768
#define MAX_CORPUS	4096

static unsigned long long rng;

static unsigned long long rnd64(void)
{
	return mp_xorshift64(&rng);
}

static unsigned int rnd(unsigned int n)
{
	return n ? (unsigned int)(rnd64() >> 11) % n : 0;
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

/* One case: the spec and its own slots. */
struct mp_case {
	struct mp_spec spec;
	struct mp_slot slots[MP_MAX_SLOTS];
};

/*
 * Weights of the page kinds. The kinds with a program-wide set-up (ext2,
 * zram: mp_diff_setup_kinds()) or that change global settings while their
 * world exists are rarer: their worlds take longer to build. Two kinds are
 * left to diff_test, whose worlds with them are few: the 64 KiB mTHP (after
 * a few hundred worlds, its allocation fails now and then) and KSM pages
 * (once no other process has a KSM page of the same contents, merging takes
 * ksmd longer than the world waits). A world that cannot be built is a
 * failure.
 */
static const int kind_w[K_NR_KINDS] = {
	[K_ANON] = 50, [K_UNTOUCHED] = 5, [K_ZERO] = 5, [K_UNMAPPED] = 4,
	[K_KERNEL] = 2, [K_NULL] = 1, [K_MISALIGNED] = 4, [K_DUP] = 6,
	[K_THP] = 8, [K_HUGETLB] = 1, [K_MEMFD_SHARED] = 5,
	[K_MEMFD_PRIVATE] = 3, [K_SYSV_SHM] = 2, [K_FORK_SHARED] = 4,
	[K_MLOCKED] = 2, [K_KSM] = 0,
	[K_HUGE_ZERO] = 1, [K_THP_PART_UNMAPPED] = 1, [K_THP_MPROTECTED] = 1,
	[K_MTHP] = 0, [K_THP_FORKED] = 1, [K_HUGETLBFS] = 1,
	[K_VVAR] = 1, [K_VVAR_VCLOCK] = 0, [K_VDSO] = 1, [K_PROT_NONE] = 2,
	[K_GUARD] = 1, [K_UFFD_MISSING] = 1, [K_UFFD_WP] = 1,
	[K_FILE_CLEAN] = 1, [K_FILE_DIRTY] = 1, [K_FILE_PRIVATE] = 1, [K_FILE_COW] = 1,
	[K_TEXT] = 1, [K_SWAPPED] = 1,
	[K_PINNED_PIPE] = 6, [K_PINNED_URING] = 3,
	[K_IN_PAGES] = 2, [K_IN_NODES] = 2, [K_IN_STATUS] = 3,
};

/*
 * Kinds that fit the call: [vvar] and [vvar_vclock] answer differently with
 * MPOL_MF_MOVE, depending on which processes have read the clock (diff_test
 * moves them with MPOL_MF_MOVE_ALL only).
 */
static int kind_fits(int k, const struct mp_spec *s)
{
	if (k == K_VVAR || k == K_VVAR_VCLOCK)
		return s->flags == MPOL_MF_MOVE_ALL && s->caller_uid == MP_ROOT;
	/*
	 * The caller's arrays, at an address of another process, may be any
	 * page of its world (a neighbour that must not move, say).
	 */
	if (k >= K_IN_PAGES)
		return s->target != T_OTHER;
	return 1;
}

static int random_node(void)
{
	static const int odd[] = { 2, -1, 64, 3, INT_MIN, INT_MAX };

	return rnd(100) < 92 ? (int)rnd(2) : odd[rnd(6)];
}

static void random_slot(struct mp_slot *sl, const struct mp_spec *s)
{
	int k;

	do
		k = pick(kind_w, K_NR_KINDS);
	while (!kind_fits(k, s));
	sl->kind = k;
	sl->init = rnd(2);
	sl->node = random_node();
	sl->idx = k == K_THP || k == K_HUGETLB || k == K_HUGE_ZERO ||
		  k == K_THP_MPROTECTED || k == K_THP_FORKED || k == K_HUGETLBFS ?
		  rnd(MP_THP_PAGES) : k >= K_IN_PAGES ? rnd(MP_MAX_SLOTS) : rnd(8);
}

/* Where the arrays live, the userfaultfd handler's act, straddles. */
static void random_arrays(struct mp_spec *s)
{
	static const int in_w[NR_PLACES] = {
		[A_HEAP] = 0, [A_RDONLY] = 4, [A_UNTOUCHED] = 1, [A_ZERO] = 1, [A_UFFD] = 6,
	};
	static const int out_w[NR_PLACES] = {
		[A_HEAP] = 0, [A_RDONLY] = 1, [A_UNTOUCHED] = 4, [A_ZERO] = 3, [A_UFFD] = 6,
	};

	for (int a = 0; a < NR_ARRAYS; a++) {
		s->place[a] = rnd(100) < 75 ? A_HEAP :
			      pick(a == ARR_STATUS ? out_w : in_w, NR_PLACES);
		s->straddle[a] = rnd(100) < 20 ? rnd(s->nr + 1) : 0;
	}
	s->uffd_act = rnd(NR_UFFD_ACTS);
	s->uffd_slot = rnd(s->nr);
}

/* Whether every argument array lives in plain memory. */
static int plain_arrays(const struct mp_spec *s)
{
	for (int a = 0; a < NR_ARRAYS; a++)
		if (s->place[a] != A_HEAP)
			return 0;
	return 1;
}

/*
 * Slots whose page a mutator may change under the call: not the program's
 * own text, the vDSO, the call's arrays (which it reads after the call),
 * nor addresses that are not the world's. Nor with arrays served by a
 * userfaultfd handler: a fork makes the handler's copies fail for a moment
 * (the range's mmap is changing), which no serial run shows.
 */
static int race_fits(const struct mp_case *c, int i)
{
	for (int a = 0; a < NR_ARRAYS; a++)
		if (c->spec.place[a] == A_UFFD)
			return 0;
	while (i > 0 && c->slots[i].kind == K_DUP)
		i--;
	switch (c->slots[i].kind) {
	case K_TEXT: case K_VVAR: case K_VVAR_VCLOCK: case K_VDSO: case K_KERNEL:
	case K_NULL: case K_UNMAPPED: case K_DUP: case K_IN_PAGES: case K_IN_NODES:
	case K_IN_STATUS:
		return 0;
	}
	return 1;
}

/* A concurrent mutator on a slot that fits, or none. */
static void random_race(struct mp_case *c)
{
	static const int race_w[NR_RACES] = {
		[R_MUNMAP] = 3, [R_MPROTECT] = 2, [R_MLOCK] = 1, [R_MUNLOCK] = 1,
		[R_DONTNEED] = 3, [R_COLD] = 1, [R_FORK] = 2, [R_EXIT] = 1,
	};
	static const unsigned short us[] = { 0, 2, 10, 50, 200, 1000 };
	struct mp_spec *s = &c->spec;

	s->race = pick(race_w, NR_RACES);
	s->race_slot = rnd(s->nr);
	s->race_us = us[rnd(ARRAY_SIZE(us))];
	if ((s->race == R_EXIT && s->target != T_OTHER) || !race_fits(c, s->race_slot))
		s->race = R_NONE;
}

/*
 * Whether the extension flags @ext fit case @c (diff.h, mp_spec.ext): the
 * rules of the extensions about user memory (every element of a window read
 * before any lookup), duplicates and unwritable status slots (grouped
 * batches) make answers that are not upstream's by design
 * (Documentation/differences.rst).
 */
static int ext_fits(const struct mp_case *c, int ext)
{
	const struct mp_spec *s = &c->spec;

	if (s->race || !plain_arrays(s))
		return 0;
	/*
	 * Grouped, a status fault ends the request in grouped order; in
	 * parallel, the statuses of a chunk are written after its pages moved
	 * (by design).
	 */
	if ((ext & (MOVE_PAGES_EXT_GROUP_BY_NODE | MOVE_PAGES_EXT_PARALLEL)) &&
	    (s->fault == F_STATUS_PARTIAL || s->fault == F_STATUS_RO))
		return 0;
	for (int i = 0; i < s->nr; i++) {
		int k = c->slots[i].kind;

		if (k >= K_IN_PAGES)
			return 0;
		/*
		 * Grouped or parallel: every entry a page of its own (a folio
		 * named twice answers by the extensions' rules).
		 */
		if ((ext & (MOVE_PAGES_EXT_GROUP_BY_NODE | MOVE_PAGES_EXT_PARALLEL)) &&
		    k != K_ANON && k != K_UNTOUCHED && k != K_UNMAPPED && k != K_KERNEL &&
		    k != K_NULL && k != K_MLOCKED && k != K_PROT_NONE && k != K_FORK_SHARED &&
		    k != K_SWAPPED && k != K_PINNED_PIPE && k != K_PINNED_URING)
			return 0;
	}
	return 1;
}

/* Extension flags for a move, when they fit: exact statuses, grouped or not, parallel or not. */
static void random_ext(struct mp_case *c)
{
	int ext = MOVE_PAGES_EXT_EXACT_STATUS | (rnd(2) ? MOVE_PAGES_EXT_GROUP_BY_NODE : 0) |
		  (rnd(2) ? MOVE_PAGES_EXT_PARALLEL : 0);

	c->spec.ext = ext_fits(c, ext) ? ext : 0;
}

static void random_case(struct mp_case *c)
{
	static const int flags[] = { MPOL_MF_MOVE, MPOL_MF_MOVE_ALL, 0, 0x8, 0x6 };
	static const int flags_w[] = { 70, 15, 10, 3, 2 };
	static const int target_w[] = { 80, 5, 12, 3 };
	struct mp_spec *s = &c->spec;
	int nr = rnd(100) < 90 ? 1 + rnd(48) : 1 + rnd(300);

	memset(s, 0, sizeof(*s));
	s->name = "fuzz";
	s->nr_override = -1;
	s->flags = flags[pick(flags_w, 5)];
	s->query = rnd(100) < 15;
	s->target = pick(target_w, 4);
	if (rnd(100) < 15) {
		s->caller_uid = MP_USER1;
		s->owner_uid = rnd(2) ? MP_USER1 : MP_USER2;
	}
	if (s->target != T_OTHER)
		s->owner_uid = s->caller_uid;
	s->cpuset_node0 = rnd(100) < 3;
	for (int i = 0; i < nr; i++)
		random_slot(&c->slots[i], s);
	s->slots = c->slots;
	s->nr = nr;
	if (rnd(100) < 10) {
		s->fault = 1 + rnd(F_STATUS_RO);
		s->fault_at = rnd(nr);
	}
	if (rnd(100) < 2)
		s->nr_override = 0;
	/* A huge count: the arrays' readable prefix ends the call. */
	if (rnd(100) < 2) {
		s->nr_override = (1LL << 32) + rnd(nr + 1);
		s->fault = F_PAGES_PARTIAL;
		s->fault_at = rnd(nr);
	}
	if (rnd(100) < 30)
		random_arrays(s);
	/*
	 * Node 1 without a free 2 MiB block, and a THP to move there; the
	 * THPs start on node 0 (placed on node 1, they would be split).
	 */
	if (rnd(1000) < 5) {
		s->pressure = P_NO_HUGE_BLOCK;
		c->slots[0] = (struct mp_slot){
			.kind = K_THP, .idx = rnd(MP_THP_PAGES), .node = 1,
		};
		for (int i = 0; i < nr; i++)
			if (c->slots[i].kind == K_THP || c->slots[i].kind == K_THP_FORKED ||
			    c->slots[i].kind == K_THP_PART_UNMAPPED ||
			    c->slots[i].kind == K_THP_MPROTECTED)
				c->slots[i].init = 0;
	}
	if (rnd(100) < 12)
		random_race(c);
	if (rnd(100) < 10)
		random_ext(c);
	/* Node 1's hugetlb pool empty, and a hugetlb page to move there. */
	if (rnd(1000) < 5 && !s->pressure) {
		s->pressure = P_HUGETLB_EXHAUSTED;
		c->slots[0] = (struct mp_slot){
			.kind = K_HUGETLB, .idx = rnd(MP_THP_PAGES), .node = 1,
		};
		if (s->ext && !ext_fits(c, s->ext))
			s->ext = 0;
		if (s->race && !race_fits(c, s->race_slot))
			s->race = R_NONE;
	}
}

/* Text form: "key=value ..." then "slots=kind:idx:init>node,...". */
#define CASE_FORMAT \
	"flags=%d query=%d target=%d uids=%d/%d cpuset=%d fault=%d@%d nr=%lld pressure=%d " \
	"place=%d/%d/%d straddle=%d/%d/%d uffd=%d@%d "

static int case_format(const struct mp_case *c, char *buf, size_t len)
{
	const struct mp_spec *s = &c->spec;
	size_t o;

	o = snprintf(buf, len, CASE_FORMAT,
		     s->flags, s->query, s->target, s->caller_uid, s->owner_uid,
		     s->cpuset_node0, s->fault, s->fault_at, s->nr_override, s->pressure,
		     s->place[0], s->place[1], s->place[2], s->straddle[0], s->straddle[1],
		     s->straddle[2], s->uffd_act, s->uffd_slot);
	if (s->race && o < len)
		o += snprintf(buf + o, len - o, "race=%d@%d+%d ", s->race, s->race_slot,
			      s->race_us);
	if (s->ext && o < len)
		o += snprintf(buf + o, len - o, "ext=%d ", s->ext);
	if (o < len)
		o += snprintf(buf + o, len - o, "slots=");
	for (int i = 0; i < s->nr && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%d:%d:%d>%d", i ? "," : "",
			      c->slots[i].kind, c->slots[i].idx, c->slots[i].init,
			      c->slots[i].node);
	return o < len ? 0 : -1;
}

static int case_parse(const char *line, struct mp_case *c)
{
	struct mp_spec *s = &c->spec;
	const char *p = strstr(line, "slots=");
	const char *r = strstr(line, " race=");
	const char *e = strstr(line, " ext=");
	int pl[3], st[3], act, slot, pressure, target, fault, race = 0, rslot = 0, us = 0;

	memset(s, 0, sizeof(*s));
	s->name = "case";
	if (!p || sscanf(line, CASE_FORMAT, &s->flags, &s->query, &target, &s->caller_uid,
			 &s->owner_uid, &s->cpuset_node0, &fault, &s->fault_at, &s->nr_override,
			 &pressure, &pl[0], &pl[1], &pl[2], &st[0], &st[1], &st[2], &act,
			 &slot) != 18)
		return -1;
	s->pressure = pressure;
	s->target = target;
	s->fault = fault;
	for (int a = 0; a < NR_ARRAYS; a++) {
		s->place[a] = pl[a];
		s->straddle[a] = st[a];
	}
	s->uffd_act = act;
	s->uffd_slot = slot;
	if (r && (sscanf(r, " race=%d@%d+%d", &race, &rslot, &us) != 3 || race < 0 ||
		  race >= NR_RACES))
		return -1;
	s->race = race;
	s->race_slot = rslot;
	s->race_us = us;
	if (e && (sscanf(e, " ext=%d", &us) != 1 || us & ~(MOVE_PAGES_EXT_GROUP_BY_NODE |
							   MOVE_PAGES_EXT_EXACT_STATUS |
							   MOVE_PAGES_EXT_PARALLEL)))
		return -1;
	s->ext = e ? us : 0;
	p += 6;
	while (*p && *p != '\n' && s->nr < MP_MAX_SLOTS) {
		int k, idx, init, node, used;

		if (sscanf(p, "%d:%d:%d>%d%n", &k, &idx, &init, &node, &used) != 4 ||
		    k < 0 || k >= K_NR_KINDS)
			return -1;
		c->slots[s->nr++] = (struct mp_slot){
			.kind = k, .idx = idx, .init = init, .node = node,
		};
		p += used;
		if (*p == ',')
			p++;
	}
	s->slots = c->slots;
	return s->nr && (!s->race || s->race_slot < s->nr) ? 0 : -1;
}

/* One to three changes to a corpus case, or a slice of another one spliced in. */
static void mutate(struct mp_case *c, const struct mp_case *other)
{
	struct mp_spec *s = &c->spec;
	int n = 1 + rnd(3);

	while (n--) {
		int i = rnd(s->nr);

		switch (rnd(14)) {
		case 0:
			random_slot(&c->slots[i], s);
			break;
		case 1:
			c->slots[i].node = random_node();
			break;
		case 2:
			c->slots[i].init ^= 1;
			break;
		case 3: /* insert */
			if (s->nr < MAX_GEN_SLOTS) {
				memmove(&c->slots[i + 1], &c->slots[i],
					(s->nr - i) * sizeof(c->slots[0]));
				random_slot(&c->slots[i], s);
				s->nr++;
			}
			break;
		case 4: /* delete */
			if (s->nr > 1) {
				memmove(&c->slots[i], &c->slots[i + 1],
					(s->nr - i - 1) * sizeof(c->slots[0]));
				s->nr--;
			}
			break;
		case 5: /* the same entry again, right after */
			if (s->nr < MAX_GEN_SLOTS) {
				memmove(&c->slots[i + 1], &c->slots[i],
					(s->nr - i) * sizeof(c->slots[0]));
				c->slots[i + 1].kind = K_DUP;
				s->nr++;
			}
			break;
		case 6:
			random_arrays(s);
			break;
		case 7:
			s->place[rnd(NR_ARRAYS)] = rnd(NR_PLACES);
			s->uffd_act = rnd(NR_UFFD_ACTS);
			s->uffd_slot = rnd(s->nr);
			break;
		case 8: {
			static const int fl[] = { MPOL_MF_MOVE, MPOL_MF_MOVE_ALL, 0, 0x8 };

			s->flags = fl[rnd(4)];
			s->query = rnd(100) < 20;
			break;
		}
		case 9:
			s->fault = rnd(100) < 50 ? F_NONE : 1 + rnd(F_STATUS_RO);
			s->fault_at = rnd(s->nr);
			break;
		case 10:
			s->target = rnd(100) < 70 ? T_SELF : rnd(4);
			if (s->target != T_OTHER)
				s->owner_uid = s->caller_uid;
			break;
		case 11: /* splice a slice of another case in place of the tail */
			if (other && other->spec.nr) {
				int from = rnd(other->spec.nr);
				int len = 1 + rnd(other->spec.nr - from);

				if (i + len > MAX_GEN_SLOTS)
					len = MAX_GEN_SLOTS - i;
				memcpy(&c->slots[i], &other->slots[from],
				       len * sizeof(c->slots[0]));
				s->nr = i + len;
			}
			break;
		case 12:
			if (s->race && rnd(2))
				s->race = R_NONE;
			else
				random_race(c);
			break;
		case 13:
			if (s->ext && rnd(2))
				s->ext = 0;
			else
				random_ext(c);
			break;
		}
	}
	if (s->fault_at >= s->nr)
		s->fault_at = s->nr - 1;
	/*
	 * A count larger than the arrays needs a fault that ends the reading
	 * of entries within them: otherwise the call reads entries and writes
	 * statuses past them, over whatever the caller has there (a status
	 * fault does not do: a move reads a batch's entries before it writes
	 * their statuses).
	 */
	if (s->nr_override > s->nr && s->fault != F_PAGES_PARTIAL && s->fault != F_PAGES_NULL &&
	    !(s->fault == F_NODES_PARTIAL && !s->query)) {
		s->fault = F_PAGES_PARTIAL;
		s->fault_at = rnd(s->nr);
	}
	/* Node 1 without a free 2 MiB block is a state for moving a THP. */
	if (s->pressure == P_NO_HUGE_BLOCK) {
		int thp = 0;

		for (int i = 0; i < s->nr; i++)
			thp |= c->slots[i].kind == K_THP;
		if (!thp)
			s->pressure = P_NONE;
	}
	for (int i = 0; i < s->nr; i++)
		if (!kind_fits(c->slots[i].kind, s))
			c->slots[i].kind = K_ANON;
	if (s->race && (s->race_slot >= s->nr || !race_fits(c, s->race_slot) ||
			(s->race == R_EXIT && s->target != T_OTHER)))
		s->race = R_NONE;
	if (s->ext && !ext_fits(c, s->ext))
		s->ext = 0;
}

static int run_case(const struct mp_case *c, char *why, size_t len)
{
	return mp_diff(&c->spec, why, len);
}

/*
 * A smaller case with the same difference: entries dropped one by one, then
 * the arrays and the count made plain, each kept only if the difference
 * remains. Bounded: each try is a full pair of runs.
 */
static void minimise(struct mp_case *c)
{
	static struct mp_case t;
	char why[512];
	int tries = 0;

	/* Without the mutator, if the difference does not need it. */
	if (c->spec.race) {
		t = *c;
		t.spec.slots = t.slots;
		t.spec.race = R_NONE;
		if (run_case(&t, why, sizeof(why)) == MP_DIFFERENT) {
			*c = t;
			c->spec.slots = c->slots;
		}
	}
	for (int i = c->spec.nr - 1; i >= 0 && c->spec.nr > 1 && tries < 80; i--, tries++) {
		if (c->spec.race && i == c->spec.race_slot)
			continue;
		t = *c;
		t.spec.slots = t.slots;
		memmove(&t.slots[i], &t.slots[i + 1], (t.spec.nr - i - 1) * sizeof(t.slots[0]));
		t.spec.nr--;
		if (t.spec.fault_at >= t.spec.nr)
			t.spec.fault_at = t.spec.nr - 1;
		if (t.spec.uffd_slot > i)
			t.spec.uffd_slot--;
		if (t.spec.race_slot > i)
			t.spec.race_slot--;
		if (t.spec.race && !race_fits(&t, t.spec.race_slot))
			continue;
		if (run_case(&t, why, sizeof(why)) == MP_DIFFERENT) {
			*c = t;
			c->spec.slots = c->slots;
		}
	}
	for (int a = 0; a < NR_ARRAYS; a++) {
		t = *c;
		t.spec.slots = t.slots;
		t.spec.place[a] = A_HEAP;
		t.spec.straddle[a] = 0;
		if (memcmp(&t.spec, &c->spec, sizeof(t.spec)) &&
		    run_case(&t, why, sizeof(why)) == MP_DIFFERENT) {
			*c = t;
			c->spec.slots = c->slots;
		}
	}
}

/* Reports a difference: the reason, and the case as a line to replay. */
static void report_difference(const char *what, struct mp_case *c, const char *why,
			      int shrink)
{
	static char line[LINE_MAX_LEN];

	printf("# %s: %s\n", what, why);
	if (shrink)
		minimise(c);
	if (!case_format(c, line, sizeof(line)))
		printf("# reproducer: %s\n", line);
}

/* How many raced runs there were, and how many mutations landed inside the call. */
static void print_races(void)
{
	long run, landed;

	mp_diff_race_stats(&run, &landed);
	if (run)
		printf("# raced runs: %ld, mutation inside the call: %ld\n", run, landed);
}

/*
 * A random case with a mutator racing the call: cases are drawn from the
 * case's stream until one has a race (random_case() gives one to about one
 * case in eight), else a race is drawn for it; a race that fits no slot, or
 * an extension (which never races, ext_fits()), means another draw.
 */
static void raced_case(struct mp_case *c)
{
	do {
		random_case(c);
		if (c->spec.race == R_NONE && !c->spec.ext)
			random_race(c);
	} while (c->spec.race == R_NONE);
}

static int cmd_random(int cases, unsigned long long seed, int raced)
{
	static struct mp_case c;
	int blocks = (cases + BLOCK - 1) / BLOCK, failed_blocks = 0;
	int same = 0, different = 0, skipped = 0;
	const char *kind = raced ? "raced" : "random";
	char why[512], what[64];

	/* One line per block of cases, and a last one for the cases that could not be built. */
	printf("TAP version 13\n1..%d\n# seed %llu, %d %s cases\n", blocks + 1, seed, cases, kind);
	for (int b = 0; b < blocks; b++) {
		int bad = 0;

		for (int i = b * BLOCK; i < cases && i < (b + 1) * BLOCK; i++) {
			/* Each case has its own stream: reproducible alone. */
			rng = seed * 0x9e3779b97f4a7c15ULL + i + 1;
			if (raced)
				raced_case(&c);
			else
				random_case(&c);
			switch (run_case(&c, why, sizeof(why))) {
			case MP_SAME:
				same++;
				break;
			case MP_SKIPPED:
				skipped++;
				snprintf(what, sizeof(what), "%s case %d (seed %llu) skipped",
					 kind, i, seed);
				report_difference(what, &c, why, 0);
				break;
			default:
				different++;
				bad++;
				snprintf(what, sizeof(what), "%s case %d (seed %llu)", kind, i,
					 seed);
				report_difference(what, &c, why, 0);
			}
		}
		failed_blocks += !!bad;
		printf("%sok %d %s cases %d-%d\n", bad ? "not " : "", b + 1, kind,
		       b * BLOCK, (b + 1) * BLOCK - 1);
		fflush(stdout);
	}
	printf("# %d same, %d different, %d skipped\n", same, different, skipped);
	print_races();
	if (skipped)
		printf("ok %d %s cases built # SKIP %d of %d could not be built\n", blocks + 1,
		       kind, skipped, cases);
	else
		printf("ok %d %s cases built: all %d\n", blocks + 1, kind, cases);
	return failed_blocks ? 1 : 0;
}

typedef int (*case_fn)(struct mp_case *c, const char *line);

/* Calls @fn on each case line of @path (blank lines and # comments skipped). */
static int cases_of_file(const char *path, case_fn fn)
{
	static char line[LINE_MAX_LEN];
	static struct mp_case c;
	FILE *f = fopen(path, "r");
	int bad = 0;

	if (!f) {
		printf("# %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (case_parse(line, &c)) {
			printf("# %s: cannot parse: %s\n", path, line);
			bad++;
			continue;
		}
		bad += fn(&c, line);
	}
	fclose(f);
	return bad;
}

static int replay_one(struct mp_case *c, const char *line)
{
	char why[512];
	int r = run_case(c, why, sizeof(why));

	if (r == MP_SAME)
		return 0;
	printf("# %s: %s\n#   %s\n", r == MP_SKIPPED ? "skipped" : "different", why, line);
	return 1;
}

static int cmd_replay(int nfiles, char **files)
{
	int failed = 0;

	printf("TAP version 13\n1..%d\n", nfiles);
	for (int f = 0; f < nfiles; f++) {
		int bad = cases_of_file(files[f], replay_one);

		failed += !!bad;
		printf("%sok %d %s\n", bad ? "not " : "", f + 1, files[f]);
		fflush(stdout);
	}
	print_races();
	return failed ? 1 : 0;
}

/* The campaign's state: the corpus (as lines), edges and PCs seen. */
static char *corpus[MAX_CORPUS];
static int corpus_n;
static unsigned char edges[1 << EDGE_BITS];
static u64 pcs[PC_TABLE];
static int npcs, nedges;
static u64 *cover;

static unsigned int hash64(u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (unsigned int)x;
}

/* Adds the PCs of the last module call; returns how many edges were new. */
static int absorb_cover(void)
{
	u64 n = cover[0], prev = 0;
	int fresh = 0;

	for (u64 i = 1; i <= n; i++) {
		u64 pc = cover[i];
		unsigned int e = hash64(pc ^ (prev << 1)) & ((1 << EDGE_BITS) - 1);
		unsigned int h = hash64(pc) & (PC_TABLE - 1);

		if (!edges[e]) {
			edges[e] = 1;
			nedges++;
			fresh++;
		}
		while (pcs[h] && pcs[h] != pc)
			h = (h + 1) & (PC_TABLE - 1);
		if (!pcs[h] && npcs < PC_TABLE - 1) {
			pcs[h] = pc;
			npcs++;
		}
		prev = pc;
	}
	return fresh;
}

static void corpus_add(const struct mp_case *c)
{
	static char line[LINE_MAX_LEN];

	if (corpus_n < MAX_CORPUS && !case_format(c, line, sizeof(line)))
		corpus[corpus_n++] = strdup(line);
}

static int campaign_differences;

/* Runs one campaign case: a difference is reported, new coverage kept. */
static int campaign_run(struct mp_case *c, int seeded)
{
	char why[512];
	int r = run_case(c, why, sizeof(why));

	if (r == MP_DIFFERENT) {
		campaign_differences++;
		report_difference("difference", c, why, 1);
		return 1;
	}
	if (absorb_cover() || seeded)
		corpus_add(c);
	return 0;
}

static int seed_one(struct mp_case *c, const char *line)
{
	(void)line;
	return campaign_run(c, 1);
}

/* The start of the module's .text, to print PCs as offsets into it. */
static u64 module_text(void)
{
	unsigned long long a = 0;
	FILE *f = fopen("/sys/module/move_pages/sections/.text", "r");

	if (f) {
		if (fscanf(f, "%llx", &a) != 1)
			a = 0;
		fclose(f);
	}
	return a;
}

static int cmd_campaign(int seconds, unsigned long long seed, int nfiles, char **files)
{
	static struct mp_case c, other;
	time_t end = time(NULL) + seconds, start = time(NULL);
	u64 text = module_text();
	long runs = 0, seeded;
	int col = 0;

	cover = mmap(NULL, (COVER_WORDS + 1) * sizeof(u64), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cover == MAP_FAILED)
		return 1;
	mp_diff_cover(cover, COVER_WORDS);
	printf("TAP version 13\n1..2\n# seed %llu, %d s, module .text at %#llx\n", seed,
	       seconds, (unsigned long long)text);
	for (int f = 0; f < nfiles; f++)
		cases_of_file(files[f], seed_one);
	seeded = corpus_n;
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	while (time(NULL) < end) {
		if (!corpus_n || rnd(10) < 2) {
			random_case(&c);
		} else {
			case_parse(corpus[rnd(corpus_n)], &c);
			case_parse(corpus[rnd(corpus_n)], &other);
			mutate(&c, &other);
		}
		campaign_run(&c, 0);
		if (++runs % 50 == 0) {
			printf("# %ld cases, corpus %d, %d edges, %d PCs, %d differences\n", runs,
			       corpus_n, nedges, npcs, campaign_differences);
			fflush(stdout);
		}
	}
	printf("# campaign: %ld cases in %ld s (%.2f/s), corpus %d (%ld seeds), ", runs,
	       (long)(time(NULL) - start), (double)runs / (time(NULL) - start + !seconds),
	       corpus_n, seeded);
	printf("%d edges, %d PCs, %d differences\n", nedges, npcs, campaign_differences);
	print_races();
	for (int i = 0; i < corpus_n; i++)
		printf("# corpus: %s\n", corpus[i]);
	for (int h = 0; h < PC_TABLE; h++) {
		if (!pcs[h] || pcs[h] < text)
			continue;
		printf("%s%llx", col ? " " : "# pcs: ", (unsigned long long)(pcs[h] - text));
		if (++col == 16) {
			printf("\n");
			col = 0;
		}
	}
	if (col)
		printf("\n");
	printf("ok 1 campaign ran %ld cases\n", runs);
	printf("%sok 2 no differences\n", campaign_differences ? "not " : "");
	return campaign_differences ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "Usage: diff_fuzz random CASES [SEED]\n"
			"       diff_fuzz raced CASES [SEED]\n"
			"       diff_fuzz replay FILE...\n"
			"       diff_fuzz campaign SECONDS [SEED] [FILE...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long seed = (unsigned long long)time(NULL);

	if (argc < 3)
		usage();
	mp_diff_setup_guest();
	mp_diff_setup_kinds();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "random") || !strcmp(argv[1], "raced"))
		return cmd_random(atoi(argv[2]), argc > 3 ? strtoull(argv[3], NULL, 0) : seed,
				  !strcmp(argv[1], "raced"));
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 2, argv + 2);
	if (!strcmp(argv[1], "campaign"))
		return cmd_campaign(atoi(argv[2]), argc > 3 ? strtoull(argv[3], NULL, 0) : seed,
				    argc > 4 ? argc - 4 : 0, argv + 4);
	usage();
	return 2;
}
