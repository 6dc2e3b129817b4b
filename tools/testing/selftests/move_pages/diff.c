// SPDX-License-Identifier: GPL-2.0
/*
 * The differential engine: see diff.h.
 *
 * Process model of one run: the test process forks a caller. In T_SELF and
 * T_SELF_PID modes the caller owns the world too; in T_OTHER mode it forks an
 * owner that builds the world and waits. The owner builds its pages as root,
 * places them on their initial nodes with the native syscall, forks a sharer
 * for K_FORK_SHARED pages, joins the node-0 cpuset if asked, then drops to
 * its uid. The caller drops to its uid, makes the one call under test, and
 * the owner then queries where its pages ended and checks their contents.
 * Everything is reported through a MAP_SHARED result block.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "diff.h"
#include "mp_util.h"

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE	14
#endif
#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE	12
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB	0x40000
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC	1U
#endif

#define SENTINEL	(INT_MIN + 7)
#define HUGE_SZ		(2UL << 20)
#define CPUSET_DIR	"/sys/fs/cgroup/mp_node0"
#define UNMAPPED_BASE	0x100000UL

enum path { NATIVE, MODULE };

struct run_result {
	long ret;
	int err;
	int setup_failed;
	int corrupt;		/* pages whose contents changed */
	int status[MP_MAX_SLOTS];
	int final[MP_MAX_SLOTS];	/* node of each address afterwards */
	uintptr_t addrs[MP_MAX_SLOTS];
	char msg[160];
};

struct shared {
	struct run_result res[2];
};

static long psz;

/* The pages of one world, by kind. */
struct world {
	char *anon;		/* a neighbour, a page per anonymous-kind slot, a neighbour */
	int nb_node[2];		/* where the neighbours are before the call */
	char *thp;		/* 2 MiB aligned */
	char *hugetlb;
	char *memfd_shared, *memfd_private;
	char *shm;
	char *forked;		/* one page per K_FORK_SHARED slot */
	char *ksm;		/* pairs of identical pages */
	int memfd, shmid;
	size_t anon_len, memfd_len, shm_len;
	pid_t sharer;
	int nr;
	struct mp_slot slots[MP_MAX_SLOTS];
	uintptr_t addr[MP_MAX_SLOTS];
	char *page[MP_MAX_SLOTS];	/* page holding slot i's data, or NULL */
	unsigned int fill[MP_MAX_SLOTS];	/* id of the pattern of slot i's page */
};

static int file_pages(const struct world *w, int kind)
{
	int max = 0;

	for (int i = 0; i < w->nr; i++)
		if (w->slots[i].kind == kind && w->slots[i].idx + 1 > max)
			max = w->slots[i].idx + 1;
	return max;
}

static int count_kind(const struct world *w, int kind)
{
	int n = 0;

	for (int i = 0; i < w->nr; i++)
		n += w->slots[i].kind == kind;
	return n;
}

static void *map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A 2 MiB aligned anonymous region asking for a THP. */
static char *map_thp(void)
{
	char *raw = map_anon(2 * HUGE_SZ, 0), *p;

	if (!raw)
		return NULL;
	p = (char *)(((uintptr_t)raw + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
	madvise(p, HUGE_SZ, MADV_HUGEPAGE);
	return p;
}

/*
 * The contents of the page with pattern @id: every 8-byte word differs with
 * the id and the offset, so a page swapped with, or copied over, another one
 * is seen, not only a page whose bytes changed.
 */
static unsigned long long pattern(unsigned int id, long off)
{
	unsigned long long x = ((unsigned long long)id << 32 | off) * 0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

static void fill_page(char *page, unsigned int id)
{
	for (long off = 0; off < psz; off += 8)
		*(unsigned long long *)(page + off) = pattern(id, off);
}

static int page_intact(const char *page, unsigned int id)
{
	for (long off = 0; off < psz; off += 64)
		if (*(const unsigned long long *)(page + off) != pattern(id, off))
			return 0;
	return *(const unsigned long long *)(page + psz - 8) == pattern(id, psz - 8);
}

/* Pattern ids: a range per kind of page, the page's index in it. */
enum {
	ID_ANON = 0x1000,
	ID_THP = 0x2000,
	ID_HUGETLB = 0x3000,
	ID_MEMFD = 0x4000,
	ID_SHM = 0x5000,
	ID_FORKED = 0x6000,
	ID_KSM = 0x7000,
	ID_NEIGHBOUR = 0x8000,
};

static int wait_ksm_merged(const char *p, int pairs)
{
	char buf[64];
	long merged = 0;

	for (int t = 0; t < 200; t++) {
		if (!read_sysfs("/proc/self/ksm_merging_pages", buf, sizeof(buf)))
			merged = atol(buf);
		if (merged >= pairs * 2)
			return 0;
		usleep(50000);
	}
	(void)p;
	return -1;
}

/*
 * Build the world's pages. Returns 0, or -1 with res->msg set; a world
 * that cannot be built (no THP, no hugetlb page) is a skip, which make test
 * counts as a failure unless the skip is allow-listed (skip_allowlist).
 */
static int build_world(struct world *w, struct run_result *res)
{
	int anon = 0, forked = 0, ksm = 0, nthp, nmemfd, nshm;
	int nanon = 0, nforked = count_kind(w, K_FORK_SHARED);
	int nksm = count_kind(w, K_KSM);

	for (int i = 0; i < w->nr; i++) {
		int k = w->slots[i].kind;

		nanon += k == K_ANON || k == K_UNTOUCHED || k == K_ZERO ||
			 k == K_MISALIGNED || k == K_MLOCKED;
	}
	/*
	 * Two pages that no slot names around the slots' pages, placed on node 0
	 * and node 1: the call must leave them where they are, intact.
	 */
	w->anon_len = (nanon + 2) * psz;
	w->anon = nanon ? map_anon(w->anon_len, 0) : NULL;
	if (w->anon) {
		fill_page(w->anon, ID_NEIGHBOUR);
		fill_page(w->anon + w->anon_len - psz, ID_NEIGHBOUR + 1);
	}
	w->forked = nforked ? map_anon(nforked * psz, 0) : NULL;
	w->ksm = nksm ? map_anon(2 * nksm * psz, 0) : NULL;
	nthp = count_kind(w, K_THP);
	w->thp = nthp ? map_thp() : NULL;
	if ((nanon && !w->anon) || (nforked && !w->forked) ||
	    (nksm && !w->ksm) || (nthp && !w->thp))
		goto oom;
	if (count_kind(w, K_HUGETLB)) {
		w->hugetlb = map_anon(HUGE_SZ, MAP_HUGETLB);
		if (!w->hugetlb) {
			snprintf(res->msg, sizeof(res->msg), "no hugetlb page");
			return -1;
		}
	}
	nmemfd = file_pages(w, K_MEMFD_SHARED);
	if (file_pages(w, K_MEMFD_PRIVATE) > nmemfd)
		nmemfd = file_pages(w, K_MEMFD_PRIVATE);
	w->memfd_len = nmemfd * psz;
	if (nmemfd) {
		w->memfd = memfd_create("mp_diff", MFD_CLOEXEC);
		if (w->memfd < 0 || ftruncate(w->memfd, nmemfd * psz))
			goto oom;
		w->memfd_shared = mmap(NULL, nmemfd * psz, PROT_READ | PROT_WRITE,
				       MAP_SHARED, w->memfd, 0);
		w->memfd_private = mmap(NULL, nmemfd * psz, PROT_READ,
					MAP_PRIVATE, w->memfd, 0);
		if (w->memfd_shared == MAP_FAILED || w->memfd_private == MAP_FAILED)
			goto oom;
		for (int p = 0; p < nmemfd; p++)
			fill_page(w->memfd_shared + p * psz, ID_MEMFD + p);
	}
	nshm = file_pages(w, K_SYSV_SHM);
	w->shm_len = nshm * psz;
	if (nshm) {
		w->shmid = shmget(IPC_PRIVATE, nshm * psz, IPC_CREAT | 0600);
		if (w->shmid < 0)
			goto oom;
		w->shm = shmat(w->shmid, NULL, 0);
		shmctl(w->shmid, IPC_RMID, NULL);
		if (w->shm == (void *)-1)
			goto oom;
		for (int p = 0; p < nshm; p++)
			fill_page(w->shm + p * psz, ID_SHM + p);
	}
	if (w->thp)
		for (int p = 0; p < MP_THP_PAGES; p++)
			fill_page(w->thp + p * psz, ID_THP + p);
	if (w->hugetlb)
		for (int p = 0; p < MP_THP_PAGES; p++)
			fill_page(w->hugetlb + p * psz, ID_HUGETLB + p);

	for (int i = 0; i < w->nr; i++) {
		const struct mp_slot *s = &w->slots[i];
		char *page = NULL;
		uintptr_t addr = 0;

		switch (s->kind) {
		case K_ANON:
		case K_MLOCKED:
		case K_MISALIGNED:
			page = w->anon + ++anon * psz;
			w->fill[i] = ID_ANON + i;
			fill_page(page, w->fill[i]);
			if (s->kind == K_MLOCKED && mlock(page, psz))
				goto oom;
			addr = (uintptr_t)page + (s->kind == K_MISALIGNED ? 123 : 0);
			break;
		case K_UNTOUCHED:
			addr = (uintptr_t)(w->anon + ++anon * psz);
			break;
		case K_ZERO:
			addr = (uintptr_t)(w->anon + ++anon * psz);
			(void)__atomic_load_n((char *)addr, __ATOMIC_RELAXED);
			break;
		case K_UNMAPPED:
			/*
			 * Below the program's text, where mmap() without
			 * MAP_FIXED never places anything: a hole that stays
			 * a hole while the run maps its arrays.
			 */
			addr = UNMAPPED_BASE + (uintptr_t)i * psz;
			break;
		case K_KERNEL:
			addr = sizeof(void *) == 8 ? (uintptr_t)0xffff888000000000ULL
						   : (uintptr_t)0xfffff000UL;
			break;
		case K_NULL:
			addr = 0;
			break;
		case K_DUP:
			if (i) {
				addr = w->addr[i - 1];
				page = w->page[i - 1];
				w->fill[i] = w->fill[i - 1];
			}
			break;
		case K_THP:
			page = w->thp + (s->idx % MP_THP_PAGES) * psz;
			w->fill[i] = ID_THP + s->idx % MP_THP_PAGES;
			addr = (uintptr_t)page;
			break;
		case K_HUGETLB:
			page = w->hugetlb + (s->idx % MP_THP_PAGES) * psz;
			w->fill[i] = ID_HUGETLB + s->idx % MP_THP_PAGES;
			addr = (uintptr_t)page;
			break;
		case K_MEMFD_SHARED:
			page = w->memfd_shared + s->idx * psz;
			w->fill[i] = ID_MEMFD + s->idx;
			addr = (uintptr_t)page;
			break;
		case K_MEMFD_PRIVATE:
			page = w->memfd_private + s->idx * psz;
			w->fill[i] = ID_MEMFD + s->idx;
			addr = (uintptr_t)page;
			(void)__atomic_load_n(page, __ATOMIC_RELAXED);
			break;
		case K_SYSV_SHM:
			page = w->shm + s->idx * psz;
			w->fill[i] = ID_SHM + s->idx;
			addr = (uintptr_t)page;
			break;
		case K_FORK_SHARED:
			page = w->forked + forked++ * psz;
			w->fill[i] = ID_FORKED + i;
			fill_page(page, w->fill[i]);
			addr = (uintptr_t)page;
			break;
		case K_KSM:
			page = w->ksm + 2 * ksm++ * psz;
			/* Every KSM page identical, so that they merge. */
			w->fill[i] = ID_KSM;
			fill_page(page, ID_KSM);
			fill_page(page + psz, ID_KSM);
			addr = (uintptr_t)page;
			break;
		}
		w->addr[i] = addr;
		w->page[i] = page;
	}
	if (nksm) {
		madvise(w->ksm, 2 * nksm * psz, MADV_MERGEABLE);
		if (wait_ksm_merged(w->ksm, nksm)) {
			snprintf(res->msg, sizeof(res->msg), "KSM did not merge");
			return -1;
		}
	}
	return 0;
oom:
	snprintf(res->msg, sizeof(res->msg), "world setup: %s", strerror(errno));
	res->setup_failed = 1;
	return -1;
}

/* Put every page on its initial node (natively, as root, moving shared ones too). */
static int place_world(struct world *w, struct run_result *res)
{
	void *pages[MP_MAX_SLOTS + 2];
	int nodes[MP_MAX_SLOTS + 2], status[MP_MAX_SLOTS + 2];
	int n = 0;
	long ret = 0;

	for (int i = 0; i < w->nr; i++) {
		if (!w->page[i] || w->slots[i].kind == K_DUP)
			continue;
		pages[n] = w->page[i];
		nodes[n++] = w->slots[i].init;
	}
	if (w->anon) {
		pages[n] = w->anon;
		nodes[n++] = 0;
		pages[n] = w->anon + w->anon_len - psz;
		nodes[n++] = 1;
	}
	/*
	 * A page ksmd is working on may refuse to move for a moment (the
	 * migration core gives up on it): try again a few times.
	 */
	for (int tries = 0; n && tries < 5; tries++) {
		ret = native_move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE_ALL);
		if (ret <= 0)
			break;
		usleep(20000);
	}
	if (n && ret) {
		snprintf(res->msg, sizeof(res->msg), "placement failed: %s",
			 ret < 0 ? strerror(errno) : "pages not migrated");
		res->setup_failed = 1;
		return -1;
	}
	return 0;
}

static void dontfork(void *p, size_t len)
{
	if (p)
		madvise(p, len, MADV_DONTFORK);
}

/* A child that keeps the K_FORK_SHARED pages mapped, and nothing else. */
static void fork_sharer(struct world *w)
{
	size_t n = count_kind(w, K_FORK_SHARED);

	if (!n)
		return;
	/* Only the K_FORK_SHARED pages may be mapped twice. */
	dontfork(w->anon, w->anon_len);
	dontfork(w->thp, HUGE_SZ);
	dontfork(w->hugetlb, HUGE_SZ);
	dontfork(w->ksm, 2 * count_kind(w, K_KSM) * psz);
	dontfork(w->memfd_shared, w->memfd_len);
	dontfork(w->memfd_private, w->memfd_len);
	dontfork(w->shm, w->shm_len);
	w->sharer = fork();
	if (w->sharer == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	(void)n;
}

static int join_node0_cpuset(struct run_result *res)
{
	char pid[32];
	int fd = open(CPUSET_DIR "/cgroup.procs", O_WRONLY);
	int ok;

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	ok = fd >= 0 && write(fd, pid, strlen(pid)) > 0;
	if (fd >= 0)
		close(fd);
	if (!ok) {
		snprintf(res->msg, sizeof(res->msg), "cannot join " CPUSET_DIR);
		res->setup_failed = 1;
		return -1;
	}
	return 0;
}

static int drop_to(int uid)
{
	if (uid == MP_ROOT)
		return 0;
	if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	/* Changing uids makes a process undumpable, which ptrace checks. */
	prctl(PR_SET_DUMPABLE, 1);
	return 0;
}

/* Where each address ended, and whether the data survived. */
static void post_check(struct world *w, struct run_result *res)
{
	void *pages[MP_MAX_SLOTS];

	for (int i = 0; i < w->nr; i++) {
		pages[i] = (void *)w->addr[i];
		res->final[i] = SENTINEL;
	}
	if (w->nr && native_move_pages(0, w->nr, pages, NULL, res->final, 0))
		snprintf(res->msg, sizeof(res->msg), "final query failed: %s",
			 strerror(errno));
	for (int i = 0; i < w->nr; i++)
		if (w->page[i] && !page_intact(w->page[i], w->fill[i]))
			res->corrupt++;
	if (w->anon) {
		void *nb[2] = { w->anon, w->anon + w->anon_len - psz };
		int where[2] = { SENTINEL, SENTINEL };

		native_move_pages(0, 2, nb, NULL, where, 0);
		/* Counted with the corrupted pages: moved or changed, it is wrong. */
		for (int k = 0; k < 2; k++)
			res->corrupt += where[k] != w->nb_node[k] ||
					!page_intact(nb[k], ID_NEIGHBOUR + k);
	}
}

/* The argument arrays of the call, with the spec's faults. */
struct args {
	void **pages;
	int *nodes;
	int *status;
	int status_len;	/* entries of status readable afterwards */
};

/* Place an array so that element @at is the first of an unmapped page. */
static void *array_faulting_at(size_t elem, int at, int nr)
{
	size_t before = (size_t)at * elem;
	size_t len = ((before + psz - 1) / psz + 1) * psz;
	char *p = map_anon(len + psz, 0);

	if (!p)
		return NULL;
	munmap(p + len, psz);
	(void)nr;
	return p + len - before;
}

static int build_args(const struct mp_spec *s, struct world *w, struct args *a)
{
	size_t ptr = sizeof(void *);
	int nr = w->nr;

	a->pages = s->fault == F_PAGES_PARTIAL ? array_faulting_at(ptr, s->fault_at, nr)
					       : map_anon(nr * ptr + psz, 0);
	a->nodes = s->fault == F_NODES_PARTIAL ? array_faulting_at(4, s->fault_at, nr)
					       : map_anon(nr * 4 + psz, 0);
	a->status = s->fault == F_STATUS_PARTIAL ? array_faulting_at(4, s->fault_at, nr)
						 : map_anon(nr * 4 + psz, 0);
	if (!a->pages || !a->nodes || !a->status)
		return -1;
	a->status_len = s->fault == F_STATUS_PARTIAL ? s->fault_at : nr;
	for (int i = 0; i < nr; i++) {
		if (s->fault != F_PAGES_PARTIAL || i < s->fault_at)
			a->pages[i] = (void *)w->addr[i];
		if (s->fault != F_NODES_PARTIAL || i < s->fault_at)
			a->nodes[i] = w->slots[i].node;
		if (i < a->status_len)
			a->status[i] = SENTINEL;
	}
	if (s->fault == F_STATUS_RO)
		mprotect(a->status, nr * 4 + psz, PROT_READ);
	if (s->fault == F_PAGES_NULL)
		a->pages = NULL;
	return 0;
}

static void make_call(const struct mp_spec *s, enum path path, pid_t pid,
		      struct world *w, struct run_result *res)
{
	unsigned long nr = s->nr_override >= 0 ? (unsigned long)s->nr_override
						: (unsigned long)w->nr;
	int *nodes;
	struct args a;
	int fd = -1;

	if (build_args(s, w, &a)) {
		snprintf(res->msg, sizeof(res->msg), "argument arrays: %s", strerror(errno));
		res->setup_failed = 1;
		return;
	}
	nodes = s->query ? NULL : a.nodes;
	if (path == MODULE) {
		fd = mp_dev_open();
		if (fd < 0) {
			snprintf(res->msg, sizeof(res->msg), "open: %s", strerror(errno));
			res->setup_failed = 1;
			return;
		}
	}
	errno = 0;
	if (path == NATIVE)
		res->ret = native_move_pages(pid, nr, a.pages, nodes, a.status, s->flags);
	else
		res->ret = module_move_pages(fd, pid, nr, a.pages, nodes, a.status, s->flags);
	res->err = res->ret < 0 ? errno : 0;
	for (int i = 0; i < w->nr; i++)
		res->status[i] = i < a.status_len ? a.status[i] : SENTINEL;
	if (fd >= 0)
		close(fd);
}

static void wait_byte(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void send_byte(int fd)
{
	char c = 1;

	while (write(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* AnonHugePages of the vma of /proc/self/smaps that contains @p, in KiB, or -1. */
static long anon_huge_kib(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end, addr = (unsigned long)p;
	char line[256];
	int in = 0;
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* A vma's first line; field lines ("AnonHugePages:") have no "X-Y". */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = start <= addr && addr < end;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/* Whether the status of this process says it may allocate on node 0 only. */
static int mems_allowed_node0(void)
{
	char line[256];
	int ok = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Mems_allowed_list:", 18))
			ok = !strcmp(line + 18 + strspn(line + 18, " \t"), "0\n");
	fclose(f);
	return ok;
}

/*
 * Owner side: build, place, share, confine; then wait for the call. A page kind
 * or confinement that did not take effect (the THP split or never made, the
 * cpuset not applied) makes the world one that cannot be built.
 */
static int owner_prepare(const struct mp_spec *s, struct world *w, struct run_result *res)
{
	if (build_world(w, res) || place_world(w, res))
		return -1;
	if (w->thp && anon_huge_kib(w->thp) < (long)(HUGE_SZ / 1024)) {
		snprintf(res->msg, sizeof(res->msg), "no THP (AnonHugePages %ld kB)",
			 anon_huge_kib(w->thp));
		return -1;
	}
	fork_sharer(w);
	if (s->cpuset_node0 && join_node0_cpuset(res))
		return -1;
	if (s->cpuset_node0 && !mems_allowed_node0()) {
		snprintf(res->msg, sizeof(res->msg), "owner not confined to node 0");
		res->setup_failed = 1;
		return -1;
	}
	/* Joining the cpuset migrates the owner's pages to node 0 (cgroup v2). */
	if (w->anon) {
		void *nb[2] = { w->anon, w->anon + w->anon_len - psz };

		native_move_pages(0, 2, nb, NULL, w->nb_node, 0);
	}
	memcpy(res->addrs, w->addr, sizeof(w->addr[0]) * w->nr);
	return 0;
}

/* The caller process of one run. Never returns. */
static void caller_main(const struct mp_spec *s, enum path path, struct world *w,
			struct run_result *res)
{
	int ready[2], done[2], ost = 0;
	pid_t owner = 0, pid = 0;

	alarm(60);
	if (s->target != T_OTHER) {
		if (owner_prepare(s, w, res) || drop_to(s->caller_uid))
			_exit(3);
		pid = s->target == T_SELF_PID ? getpid() :
		      s->target == T_NONEXISTENT ? 0x3ffffff0 : 0;
		make_call(s, path, pid, w, res);
		post_check(w, res);
		if (w->sharer > 0)
			kill(w->sharer, SIGKILL);
		_exit(0);
	}

	if (pipe(ready) || pipe(done))
		_exit(3);
	owner = fork();
	if (owner == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (owner_prepare(s, w, res) || drop_to(s->owner_uid)) {
			res->setup_failed = 1;
			send_byte(ready[1]);
			_exit(3);
		}
		send_byte(ready[1]);
		wait_byte(done[0]);
		post_check(w, res);
		if (w->sharer > 0)
			kill(w->sharer, SIGKILL);
		_exit(0);
	}
	wait_byte(ready[0]);
	if (res->setup_failed)
		_exit(3);
	/* The caller builds its arrays from the owner's addresses. */
	memcpy(w->addr, res->addrs, sizeof(w->addr[0]) * w->nr);
	if (drop_to(s->caller_uid))
		_exit(3);
	make_call(s, path, owner, w, res);
	send_byte(done[1]);
	/* The owner checks its pages after the call: it must get to the end. */
	if (waitpid(owner, &ost, 0) != owner || !WIFEXITED(ost) || WEXITSTATUS(ost)) {
		res->setup_failed = 1;
		snprintf(res->msg, sizeof(res->msg), "the owner died (status %#x)", ost);
	}
	_exit(0);
}

static void run_once(const struct mp_spec *s, enum path path, struct world *tmpl,
		     struct run_result *res)
{
	pid_t c;
	int st;

	memset(res, 0, sizeof(*res));
	c = fork();
	if (c == 0)
		caller_main(s, path, tmpl, res);
	if (c < 0 || waitpid(c, &st, 0) != c) {
		res->setup_failed = 1;
		snprintf(res->msg, sizeof(res->msg), "fork/wait failed");
		return;
	}
	if (!WIFEXITED(st) || (WEXITSTATUS(st) && !res->msg[0])) {
		res->setup_failed = 1;
		snprintf(res->msg, sizeof(res->msg), "caller died (status %#x)", st);
	}
}

static int same_status(int a, int b, int may_vary)
{
	return a == b || (may_vary && (a == -EBUSY || b == -EBUSY));
}

/* "ret R errno E status [a b c ...] final [x y z ...]", shortened. */
static void summarize(const struct run_result *r, int nr, char *buf, size_t len)
{
	size_t o = snprintf(buf, len, "ret %ld errno %d status [", r->ret, r->err);

	for (int i = 0; i < nr && i < 12 && o < len; i++)
		o += snprintf(buf + o, len - o, i ? " %d" : "%d", r->status[i]);
	if (o < len)
		o += snprintf(buf + o, len - o, "%s] final [", nr > 12 ? " ..." : "");
	for (int i = 0; i < nr && i < 12 && o < len; i++)
		o += snprintf(buf + o, len - o, i ? " %d" : "%d", r->final[i]);
	if (o < len)
		snprintf(buf + o, len - o, "%s]", nr > 12 ? " ..." : "");
}

/* Compares run @m with run @n (the reference); MP_SAME or MP_DIFFERENT with @why. */
static int compare(const struct mp_spec *spec, int nr, const struct run_result *n,
		   const struct run_result *m, char *why, size_t len)
{
	if (n->ret != m->ret || n->err != m->err) {
		if (!(spec->may_vary && n->ret >= 0 && m->ret >= 0)) {
			snprintf(why, len, "return: native %ld (errno %d), module %ld (errno %d)",
				 n->ret, n->err, m->ret, m->err);
			return MP_DIFFERENT;
		}
	}
	for (int i = 0; i < nr; i++) {
		if (!same_status(n->status[i], m->status[i], spec->may_vary)) {
			snprintf(why, len, "status[%d]: native %d, module %d", i,
				 n->status[i], m->status[i]);
			return MP_DIFFERENT;
		}
		if (!same_status(n->final[i], m->final[i], spec->may_vary) &&
		    !(spec->may_vary && (n->status[i] == -EBUSY || m->status[i] == -EBUSY))) {
			snprintf(why, len, "final node of page %d: native %d, module %d", i,
				 n->final[i], m->final[i]);
			return MP_DIFFERENT;
		}
	}
	if (n->corrupt || m->corrupt) {
		snprintf(why, len, "corrupted pages: native %d, module %d",
			 n->corrupt, m->corrupt);
		return MP_DIFFERENT;
	}
	return MP_SAME;
}

/* A key for a spec's world and call, stable across runs of the same program. */
static unsigned long long spec_key(const struct mp_spec *s, const struct world *w)
{
	unsigned long long h = 1469598103934665603ULL;
	int fields[] = { w->nr, s->flags, s->query, s->target, s->caller_uid, s->owner_uid,
			 s->cpuset_node0, s->fault, s->fault_at, s->nr_override };

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		h = (h ^ (unsigned int)fields[i]) * 1099511628211ULL;
	for (int i = 0; i < w->nr; i++) {
		const unsigned char *b = (const unsigned char *)&w->slots[i];

		for (size_t j = 0; j < sizeof(w->slots[i]); j++)
			h = (h ^ b[j]) * 1099511628211ULL;
	}
	return h;
}

/*
 * MP_DIFF_RECORD=file appends each native result; MP_DIFF_REPLAY=file makes
 * the recorded native result the reference for both runs (used when the
 * takeover serves the "native" system call too).
 */
static void record_native(unsigned long long key, const struct run_result *n)
{
	const char *path = getenv("MP_DIFF_RECORD");
	FILE *f = path ? fopen(path, "a") : NULL;

	if (!f)
		return;
	fwrite(&key, sizeof(key), 1, f);
	fwrite(n, sizeof(*n), 1, f);
	fclose(f);
}

static int recorded_native(unsigned long long key, struct run_result *out)
{
	const char *path = getenv("MP_DIFF_REPLAY");
	FILE *f = path ? fopen(path, "r") : NULL;
	unsigned long long k;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fread(&k, sizeof(k), 1, f) == 1 && fread(out, sizeof(*out), 1, f) == 1)
		found = k == key;
	fclose(f);
	return found;
}

int mp_diff(const struct mp_spec *spec, char *why, size_t len)
{
	static struct world w;
	static struct run_result ref;
	struct shared *sh;
	struct run_result *n, *m;
	unsigned long long key;
	int replay = !!getenv("MP_DIFF_REPLAY");
	int ret;

	psz = sysconf(_SC_PAGESIZE);
	memset(&w, 0, sizeof(w));
	if (spec->build) {
		w.nr = spec->build(w.slots);
	} else {
		w.nr = spec->nr;
		while (!spec->nr && spec->slots[w.nr].kind != K_END)
			w.nr++;
		memcpy(w.slots, spec->slots, sizeof(w.slots[0]) * w.nr);
	}
	key = spec_key(spec, &w);
	if (replay && !recorded_native(key, &ref)) {
		snprintf(why, len, "skipped: no recorded native result");
		return MP_SKIPPED;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(why, len, "no shared memory");
		return MP_DIFFERENT;
	}
	n = &sh->res[NATIVE];
	m = &sh->res[MODULE];
	run_once(spec, NATIVE, &w, n);
	run_once(spec, MODULE, &w, m);

	if (n->setup_failed || m->setup_failed || n->msg[0] || m->msg[0]) {
		int skip = !n->setup_failed && !m->setup_failed;

		snprintf(why, len, "%s: native: %s; module: %s",
			 skip ? "skipped" : "setup failed",
			 n->msg[0] ? n->msg : "ok", m->msg[0] ? m->msg : "ok");
		ret = skip ? MP_SKIPPED : MP_DIFFERENT;
		goto out;
	}
	if (replay) {
		/* Both paths are the module now: each must match the recorded native run. */
		ret = compare(spec, w.nr, &ref, n, why, len);
		if (ret == MP_SAME)
			ret = compare(spec, w.nr, &ref, m, why, len);
	} else {
		ret = compare(spec, w.nr, n, m, why, len);
		if (ret == MP_SAME)
			record_native(key, n);
	}
	if (ret == MP_SAME)
		summarize(n, w.nr, why, len);
out:
	munmap(sh, sizeof(*sh));
	return ret;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			perror(path);
		close(fd);
	}
}

void mp_diff_setup_guest(void)
{
	write_file("/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "4");
	write_file("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "4");
	write_file("/sys/kernel/mm/ksm/pages_to_scan", "2000");
	write_file("/sys/kernel/mm/ksm/sleep_millisecs", "10");
	write_file("/sys/kernel/mm/ksm/run", "1");
	/* The guest's init mounts cgroup2 on /sys/fs/cgroup. */
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset");
	mkdir(CPUSET_DIR, 0755);
	write_file(CPUSET_DIR "/cpuset.cpus", "0-2");
	write_file(CPUSET_DIR "/cpuset.mems", "0");
}
