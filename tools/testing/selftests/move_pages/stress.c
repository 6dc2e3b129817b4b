// SPDX-License-Identifier: GPL-2.0
/*
 * stress - races, target exits and injected faults against /dev/move_pages.
 *
 * 1. races: mover threads (overlapping and disjoint ranges) move pages
 *    through the module while a mutator munmaps/remaps, zaps (DONTNEED),
 *    mprotects, flips MADV_HUGEPAGE/NOHUGEPAGE and forks, and a verifier
 *    checks every page's per-page pattern.
 * 2. exits: the target process exits while a move of its pages is running.
 * 3. faults: target allocations made to fail (fail_page_alloc, and a node
 *    filled with hugetlb pages); each answer is compared with the native
 *    system call's under the same fault, every page must still be mapped, on
 *    a node, and intact, and the fault must have fired in both runs. (No
 *    failslab phase: moving small anonymous pages makes no slab allocation,
 *    natively or through the module, so it would compare two clean moves.)
 * Afterwards nr_isolated_anon/file in /proc/vmstat must be back where they
 * started and the kernel log must hold no report (WARN, BUG, lockdep, KFENCE)
 * from the run. The allocation failures injected on purpose make the kernel
 * print warn_alloc()'s stack dump; they are bracketed in the kernel log by
 * "move_pages-test: expected allocation failures begin/end" so that the log
 * scans (here and on the host) do not count those dumps. Prints TAP and the
 * figures; each phase is bounded in time.
 *
 * Usage: stress [SECONDS_PER_PHASE]
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest.h"
#include "mp_util.h"

#define NR	256
#define MOVERS	4

static long psz;
static char *region;
static pthread_mutex_t page_lock[NR];
static int stop;	/* set once by main, read atomically by the threads */
static long ops_moves, ops_mutations, pages_verified, bad_status, corrupt;
static long injected_page, injected_slab, fault_pages_checked;
static int test_n, failures;

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++test_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !ok;
}

static unsigned char pattern(int i)
{
	return (unsigned char)(i * 7 + 3);
}

static void fill(int i)
{
	memset(region + (long)i * psz, pattern(i), psz);
}

static int allowed_status(int s)
{
	return s == 0 || s == 1 || s == -EFAULT || s == -ENOENT || s == -EBUSY ||
	       s == -EACCES || s == -ENOMEM || s == -EAGAIN;
}

static void *mover(void *arg)
{
	long id = (long)arg;
	unsigned int seed = id * 7919 + 1;
	int fd = mp_dev_open();
	void *pages[NR];
	int nodes[NR], status[NR];

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) && fd >= 0) {
		/* Movers 0 and 1 share the whole region; 2 and 3 have halves. */
		int lo = id < 2 ? 0 : (id - 2) * NR / 2;
		int len = 1 + rand_r(&seed) % (id < 2 ? NR : NR / 2);
		int target = rand_r(&seed) % 2;
		long ret;

		if (lo + len > NR)
			len = NR - lo;
		for (int i = 0; i < len; i++) {
			pages[i] = region + (long)(lo + i) * psz;
			nodes[i] = target;
		}
		/* Movers 1 and 3 share their moves among CPUs (when THP makes them large). */
		ret = id % 2 ? module_move_pages_par(fd, 0, len, pages, nodes, status,
						     MOVE_PAGES_EXT_PARALLEL, 0) :
			       module_move_pages(fd, 0, len, pages, nodes, status, MPOL_MF_MOVE);
		__atomic_add_fetch(&ops_moves, 1, __ATOMIC_RELAXED);
		if (ret < 0) {
			__atomic_add_fetch(&bad_status, 1, __ATOMIC_RELAXED);
			continue;
		}
		for (int i = 0; ret == 0 && i < len; i++)
			if (!allowed_status(status[i]))
				__atomic_add_fetch(&bad_status, 1, __ATOMIC_RELAXED);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *mutator(void *arg)
{
	unsigned int seed = 4242;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int i = rand_r(&seed) % NR;
		char *p = region + (long)i * psz;
		pid_t c;

		pthread_mutex_lock(&page_lock[i]);
		switch (rand_r(&seed) % 6) {
		case 0:
			madvise(p, psz, MADV_DONTNEED);
			fill(i);
			break;
		case 1:
			munmap(p, psz);
			usleep(100);
			mmap(p, psz, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			fill(i);
			break;
		case 2:
			mprotect(p, psz, PROT_READ);
			usleep(100);
			mprotect(p, psz, PROT_READ | PROT_WRITE);
			break;
		case 3:
			madvise(region, NR * psz,
				rand_r(&seed) % 2 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
			break;
		default:
			c = fork();
			if (c == 0) {
				usleep(2000);
				_exit(0);
			}
			if (c > 0)
				waitpid(c, NULL, 0);
		}
		pthread_mutex_unlock(&page_lock[i]);
		__atomic_add_fetch(&ops_mutations, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *verifier(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (int i = 0; i < NR; i++) {
			const char *p = region + (long)i * psz;

			pthread_mutex_lock(&page_lock[i]);
			if ((unsigned char)p[0] != pattern(i) ||
			    (unsigned char)p[psz - 1] != pattern(i) ||
			    (unsigned char)p[psz / 2] != pattern(i))
				__atomic_add_fetch(&corrupt, 1, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&page_lock[i]);
			__atomic_add_fetch(&pages_verified, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void phase_races(int secs)
{
	pthread_t t[MOVERS + 2];

	region = mmap(NULL, NR * psz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < NR; i++) {
		pthread_mutex_init(&page_lock[i], NULL);
		fill(i);
	}
	for (long i = 0; i < MOVERS; i++)
		pthread_create(&t[i], NULL, mover, (void *)i);
	pthread_create(&t[MOVERS], NULL, mutator, NULL);
	pthread_create(&t[MOVERS + 1], NULL, verifier, NULL);
	sleep(secs);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < MOVERS + 2; i++)
		pthread_join(t[i], NULL);
	tap(ops_moves > 0 && !bad_status && !corrupt,
	    "races: %ld moves, %ld mutations, %ld page checks, %ld bad answers, %ld corrupt",
	    ops_moves, ops_mutations, pages_verified, bad_status, corrupt);
}

/*
 * The target exits while a move of its XN pages runs; every other pair of
 * runs shares the move among CPUs (MOVE_PAGES_EXT_PARALLEL: workers hold the
 * target's mm while it exits). At least XMIN runs whatever the clock says, so
 * both kinds run on a slow machine too.
 */
#define XN	2048
#define XMIN	4
static void phase_exits(int secs)
{
	time_t end = time(NULL) + secs;
	long runs = 0, odd = 0, ops_parallel = 0;
	int fd = mp_dev_open();
	void *pages[XN];
	int nodes[XN], status[XN];
	char *shared = mmap(NULL, XN * psz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	while (fd >= 0 && (runs < XMIN || time(NULL) < end)) {
		pid_t c = fork();
		long ret;

		if (c == 0) {
			memset(shared, 0x5a, XN * psz);
			usleep(rand() % 3000);
			_exit(0);
		}
		usleep(500);
		for (int i = 0; i < XN; i++) {
			pages[i] = shared + (long)i * psz;
			nodes[i] = runs % 2;
		}
		ret = runs % 4 < 2 ?
		      module_move_pages(fd, c, XN, pages, nodes, status, MPOL_MF_MOVE) :
		      module_move_pages_par(fd, c, XN, pages, nodes, status,
					    MOVE_PAGES_EXT_PARALLEL, 0);
		ops_parallel += runs % 4 >= 2;
		if (ret < 0 && errno != ESRCH && errno != EINVAL)
			odd++;
		waitpid(c, NULL, 0);
		runs++;
	}
	tap(runs > 0 && ops_parallel > 0 && !odd,
	    "target exits mid-call: %ld runs (%ld parallel), %ld unexpected errors", runs,
	    ops_parallel, odd);
}

static long read_vmstat(const char *name)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ' ')
			v = atol(line + strlen(name) + 1);
	if (f)
		fclose(f);
	return v;
}

struct fault_result {
	long ret;
	int err;
	int status[64];
	int final[64];
	int corrupt;
	long injected;		/* faults the attribute injected during the move */
};

/*
 * The thread's make-it-fail switch, opened before any fault is injected:
 * with failslab on, opening it again would itself fail.
 */
static int make_it_fail = -1;

/*
 * How the fault of the next faulted_move() is armed: with fail_space 0, every
 * allocation the fault attribute sees fails (up to BUDGET, counted down by
 * the kernel in "times"); otherwise allocations of that size in total (pages
 * for fail_page_alloc, bytes for failslab) succeed and the next one fails,
 * once.
 */
#define BUDGET	1000000
static long fail_space;

/* Called right before the measured move of faulted_move(), when set. */
static void (*pre_move)(void);

static void set_fail(const char *knob, int on)
{
	char v[24];

	if (on) {
		snprintf(v, sizeof(v), "%ld", fail_space);
		set_fault_knob(knob, "space", v);
		snprintf(v, sizeof(v), "%d", fail_space ? 1 : BUDGET);
		set_fault_knob(knob, "times", v);
	}
	if (pwrite(make_it_fail, on ? "1" : "0", 1, 0) != 1)
		perror("make-it-fail");
	if (!on)
		*(strcmp(knob, "failslab") ? &injected_page : &injected_slab) +=
			(fail_space ? 1 : BUDGET) - get_fault_knob(knob, "times");
}

/* One move of 64 fresh pages to node 1, natively or through the module, under @fail. */
static void faulted_move(int module, const char *fail, struct fault_result *r)
{
	char *p = mmap(NULL, 64 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *pages[64];
	int nodes[64], fd = mp_dev_open();

	for (int i = 0; i < 64; i++) {
		memset(p + (long)i * psz, i + 9, psz);
		pages[i] = p + (long)i * psz;
		nodes[i] = 0;
	}
	native_move_pages(0, 64, pages, nodes, r->status, MPOL_MF_MOVE);
	for (int i = 0; i < 64; i++) {
		nodes[i] = 1;
		r->status[i] = -12345;
	}
	long injected = injected_page + injected_slab;

	if (fail)
		set_fail(fail, 1);
	if (pre_move)
		pre_move();
	errno = 0;
	r->ret = module ? module_move_pages(fd, 0, 64, pages, nodes, r->status, MPOL_MF_MOVE)
			: native_move_pages(0, 64, pages, nodes, r->status, MPOL_MF_MOVE);
	r->err = r->ret < 0 ? errno : 0;
	if (fail)
		set_fail(fail, 0);
	r->injected = injected_page + injected_slab - injected;
	native_move_pages(0, 64, pages, NULL, r->final, 0);
	r->corrupt = 0;
	for (int i = 0; i < 64; i++) {
		const unsigned char *q = (const unsigned char *)p + (long)i * psz;

		for (long b = 0; b < psz; b += 64)
			r->corrupt += q[b] != i + 9;
		r->corrupt += q[psz - 1] != i + 9;
	}
	fault_pages_checked += 64;
	munmap(p, 64 * psz);
	close(fd);
}

static int same_fault_result(const struct fault_result *a, const struct fault_result *b)
{
	return a->ret == b->ret && a->err == b->err && !a->corrupt && !b->corrupt &&
	       !memcmp(a->status, b->status, sizeof(a->status)) &&
	       !memcmp(a->final, b->final, sizeof(a->final));
}

static int on_node(const struct fault_result *r, int node)
{
	int n = 0;

	for (int i = 0; i < 64; i++)
		n += r->final[i] == node;
	return n;
}

static int failed(const struct fault_result *r)
{
	return (r->ret < 0 && r->err == ENOMEM) || r->ret > 0;
}

/*
 * Native first, then the module, under the same fault. With @exact, both
 * answers (return value, errno, status array, where the pages ended) must be
 * equal. Without it (a node filled up, where a page freed meanwhile may let
 * one more move succeed), both must have failed: -ENOMEM, or the upstream
 * count of pages not migrated with the batch's status slots left unwritten.
 * Always: every page mapped, on node 0 or 1, contents intact.
 */
static void check_faulted(const char *name, const char *fail, int exact)
{
	struct fault_result n, m;
	int ok, tries = 0;

	do {
		faulted_move(0, fail, &n);
		faulted_move(1, fail, &m);
		tries++;
	} while (!exact && tries < 5 && (!failed(&n) || !failed(&m)) &&
		 (m.ret == 0 || n.ret == 0));
	if (exact)
		ok = same_fault_result(&n, &m);
	else
		ok = !n.corrupt && !m.corrupt && failed(&n) && failed(&m);
	ok &= on_node(&m, 0) + on_node(&m, 1) == 64;
	/* An injected fault that never fired would compare two clean moves. */
	if (fail)
		ok &= n.injected > 0 && m.injected > 0;
	tap(ok,
	    "%s: native ret %ld errno %d, module ret %ld errno %d, status[0] %d/%d, pages moved %d/%d, corrupt %d/%d%s, %d tries, faults injected %ld/%ld",
	    name, n.ret, n.err, m.ret, m.err, n.status[0], m.status[0], on_node(&n, 1),
	    on_node(&m, 1), n.corrupt, m.corrupt,
	    exact ? "" : same_fault_result(&n, &m) ? " (equal)" : " (not equal)", tries,
	    n.injected, m.injected);
}

/* The filler of a full node 1: FILL_LEN of pages, moved there as far as they go. */
#define FILL_LEN	(64L << 20)
static char *filler;
static void **fill_pages;
static int *fill_nodes, *fill_status;

static void top_up(void)
{
	native_move_pages(0, FILL_LEN / psz, fill_pages, fill_nodes, fill_status, MPOL_MF_MOVE);
}

static void phase_faults(void)
{
	static const char * const knobs[] = { "fail_page_alloc", "failslab" };
	static const char nr_huge[] =
		"/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages";
	char old_pool[32] = "0", pool[32] = "0";
	long free_before, free_pool, free_full, fill_ret;
	int fill_err;

	make_it_fail = open("/proc/thread-self/make-it-fail", O_WRONLY);
	if (make_it_fail < 0) {
		tap(0, "fault injection: no /proc/thread-self/make-it-fail");
		return;
	}
	log_mark("move_pages-test: expected allocation failures begin\n");
	for (int k = 0; k < 2; k++) {
#define KNOB(f, v) set_fault_knob(knobs[k], f, v)
		KNOB("task-filter", "Y");
		KNOB("probability", "100");
		KNOB("interval", "1");
		KNOB("verbose", "0");
		KNOB("ignore-gfp-wait", "N");
		if (k == 0) {
			KNOB("ignore-gfp-highmem", "N");
			KNOB("min-order", "0");
		}
#undef KNOB
	}
	fail_space = 0;
	check_faulted("fail_page_alloc, every allocation", "fail_page_alloc", 1);
	/* The first 20 pages' allocations succeed, then one fails: a partial batch. */
	fail_space = 20;
	check_faulted("fail_page_alloc, the 21st allocation", "fail_page_alloc", 1);
	for (int k = 0; k < 2; k++) {
		set_fault_knob(knobs[k], "probability", "0");
		set_fault_knob(knobs[k], "space", "0");
		set_fault_knob(knobs[k], "times", "-1");
	}

	/*
	 * Node 1 filled up: a hugetlb pool takes every free 2 MiB block, then
	 * pages moved there from node 0 take the rest, until the node's
	 * allocations fail (__GFP_THISNODE: no OOM kill, nothing to reclaim
	 * without swap). Memory freed on the node meanwhile (exiting processes,
	 * per-CPU lists) is taken again by topping the filler up right before
	 * each measured move. Moves to node 1 must then fail in both
	 * implementations, and every page stay mapped and intact; if the node
	 * still had room for one of them, the pair is tried again (5 times).
	 */
	free_before = node_free_kib(1);
	read_sysfs(nr_huge, old_pool, sizeof(old_pool));
	write_str(nr_huge, "100000");
	free_pool = node_free_kib(1);
	read_sysfs(nr_huge, pool, sizeof(pool));
	filler = mmap(NULL, FILL_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fill_pages = calloc(FILL_LEN / psz, sizeof(void *));
	fill_nodes = calloc(FILL_LEN / psz, sizeof(int));
	fill_status = calloc(FILL_LEN / psz, sizeof(int));
	for (long i = 0; i < FILL_LEN / psz; i++) {
		filler[i * psz] = 1;
		fill_pages[i] = filler + i * psz;
		fill_nodes[i] = 1;
	}
	fill_ret = native_move_pages(0, FILL_LEN / psz, fill_pages, fill_nodes, fill_status,
				     MPOL_MF_MOVE);
	fill_err = fill_ret < 0 ? errno : 0;
	free_full = node_free_kib(1);
	printf("# node 1 free: %ld kB; with a hugetlb pool of %ld pages: %ld kB;",
	       free_before, atol(pool), free_pool);
	printf(" after a move of %ld pages there (ret %ld, errno %d): %ld kB\n",
	       FILL_LEN / psz, fill_ret, fill_err, free_full);
	pre_move = top_up;
	check_faulted("node 1 full", NULL, 0);
	pre_move = NULL;
	munmap(filler, FILL_LEN);
	free(fill_pages);
	free(fill_nodes);
	free(fill_status);
	write_str(nr_huge, old_pool);
	log_mark("move_pages-test: expected allocation failures end\n");
}

/*
 * Reports in the kernel log since the "stress begin" mark, as the log scans
 * count them (splat_scan.sh, next to this program in the guest); -1 if the
 * scan cannot run or the mark is not in the log.
 */
static int kernel_reports(void)
{
	FILE *scan;
	char line[512];
	int n = 0, marked = 0;

	scan = popen("dmesg | grep -c 'move_pages-test: stress begin'", "r");
	if (!scan)
		return -1;
	marked = fgets(line, sizeof(line), scan) && atoi(line) > 0;
	pclose(scan);
	scan = popen("dmesg | sh ./splat_scan.sh --since 'move_pages-test: stress begin' -", "r");
	if (!scan)
		return -1;
	while (fgets(line, sizeof(line), scan)) {
		printf("# report: %s", line);
		n++;
	}
	pclose(scan);
	return marked ? n : -1;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	long iso_anon = read_vmstat("nr_isolated_anon"), iso_file = read_vmstat("nr_isolated_file");
	long anon_after, file_after;
	int reports;

	psz = sysconf(_SC_PAGESIZE);
	log_mark("move_pages-test: stress begin\n");
	printf("TAP version 13\n1..7\n");
	phase_races(secs);
	phase_exits(secs / 2 + 1);
	phase_faults();
	/* Give the put-back paths time to settle, then compare. */
	sleep(1);
	anon_after = read_vmstat("nr_isolated_anon");
	file_after = read_vmstat("nr_isolated_file");
	tap(anon_after == iso_anon && file_after == iso_file,
	    "nothing left isolated: nr_isolated_anon %ld -> %ld, nr_isolated_file %ld -> %ld",
	    iso_anon, anon_after, iso_file, file_after);
	reports = kernel_reports();
	tap(reports == 0, "kernel reports during the run: %d", reports);
	printf("# figures: %ld move calls, %ld mutations, %ld pages verified (%ld under faults),",
	       ops_moves, ops_mutations, pages_verified + fault_pages_checked,
	       fault_pages_checked);
	printf(" faults injected: %ld page allocations, %ld slab allocations; %d kernel reports\n",
	       injected_page, injected_slab, reports);
	return failures ? 1 : 0;
}
