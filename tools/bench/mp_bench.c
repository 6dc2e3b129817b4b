// SPDX-License-Identifier: GPL-2.0
/*
 * mp_bench - move_pages(2) against the module's /dev/move_pages, timed.
 *
 * Every workload runs the native system call and the module's ioctl
 * interleaved (native, module, native, module, ...) in the same boot, so that
 * the ratio module/native is meaningful even where absolute times are not
 * (QEMU TCG). Before each timed series the starting state is made again
 * outside the timed region: pages put back on their starting node with a
 * native move, a per-run tag written into every page. Only the move_pages
 * calls are timed (CLOCK_MONOTONIC). After each series, also untimed: every
 * status must be the expected node, a query of every page must find it
 * there, the data must be intact (a tag in every page, whole sampled pages),
 * and native and module must have given the same status array. Whatever
 * fails is counted in "mismatches".
 *
 *   W1     64 MiB of 4 KiB pages (MADV_NOHUGEPAGE) to the other node, one call
 *   W2     the same, one page per call
 *   W3     interleaved targets (page i to node i % 2), one call; every page
 *          starts on the other node than its target (smaller region: -n)
 *   W4     64 MiB of THP (MADV_HUGEPAGE, 2 MiB aligned), one entry per 2 MiB
 *   W5     query (nodes == NULL): 1 Mi entries into a populated 64 MiB
 *          region, each of its 16384 pages listed 64 times
 *   W5s    query of 1 Mi entries at random pages of a populated 1 GiB region
 *          (sparse: few entries of a call share a page table)
 *   W6     two threads (CPUs 0 and 1) moving disjoint 32 MiB concurrently
 *   W7     4096 pages already on their target node, one page per call
 *   W3g    W3 with the module's opt-in MOVE_PAGES_EXT_GROUP_BY_NODE (one
 *          batch per node and window of 1024 entries); native as in W3
 *   W3t, W3tg  W3 and W3g while a second thread of the process runs on
 *          CPU 1: the mm is live on two CPUs, so every batch's TLB flush
 *          needs an IPI (a multi-threaded target, the usual case)
 *   W1p, W4p  W1 and W4 with the module's MOVE_PAGES_EXT_PARALLEL (the
 *          module's choice of threads), the process allowed on every CPU
 *          for both calls; W1p1-W1p3, W4p1-W4p3: at most 1, 2, 3 threads
 *   W6p    W6 with both threads unpinned and the module's calls parallel
 *   sweep  batch sizes 1, 4, 16, ..., 2^18 pages: max(B, 4096) pages moved
 *          in calls of B pages
 *   copy   the copy bound alone: 4 KiB pages copied from node 0 to node 1
 *          memory with rep movsq, as the kernel's copy_page() does
 *
 * Pages/s counts 4 KiB pages moved (for W4 the base pages of the THPs, for
 * W5 the entries queried). Workloads of many calls are shortened to fit the
 * time budget (-t) per series, after a pilot run; the output says so.
 *
 * Output: one JSON object per line per workload or sweep point on stdout,
 * and "# " lines for humans. Exit status 0 when nothing mismatched.
 *
 * Usage: mp_bench [-q] [-r REPS] [-w W1,W2,...,sweep,copy] [-t SECONDS]
 *                 [-n W3_PAGES] [-b MAX_BATCH] [-c] [-p]
 *   -c: copy bound without the TLB warm-up (see copy_warm_up())
 *   -p: profile: the first native and the first module series of each
 *       workload run with tracing on (tracefs tracing_on), between
 *       "mp_profile begin/end NAME native|module" trace markers; the tracer
 *       is set up by the caller (tools/bench/init with mp.profile=1)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "mp_util.h"

#define PAGE_SZ		4096UL
#define QWORDS		(PAGE_SZ / 8)
#define HPAGE_SZ	(2UL << 20)
#define SRC_NODE	0
#define DST_NODE	1
#define MAX_REPS	100
#define SENTINEL	0x5a5a5a5a
#define SAMPLE_EVERY	61	/* whole-page data check of every 61st page */
#define COPY_BUF_PAGES	16384UL	/* 64 MiB on each node for the copy bound */

/* Sizes of the workloads; -q makes them smaller. */
static unsigned long big_pages = 16384;		/* 64 MiB: W1, W2, W4, W6, copy */
static unsigned long w3_pages = 1024;
static unsigned long w5_entries = 1UL << 20;
static unsigned long w5s_pages = 1UL << 18;	/* 1 GiB: W5s */
static unsigned long w7_pages = 4096;
static unsigned long sweep_min = 4096;
static unsigned long sweep_max = 1UL << 18;
static int reps = 7;
static double budget = 3.0;	/* seconds per timed series of many calls */
static int quick;
static const char *selected;

static int dev_fd = -1;
static long total_mismatches;
/* Extension flags of the module's calls (MOVE_PAGES_EXT_*), 0 for plain move_pages(2). */
static unsigned int module_ext;
/* With MOVE_PAGES_EXT_PARALLEL: the most threads per call, 0 for the module's choice. */
static unsigned int module_workers;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "mp_bench: %s: %s\n", what, strerror(errno));
	printf("# FATAL: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("calloc");
	return p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stats(const double *v, int n)
{
	struct stat3 s = { 0, 0, 0 };
	double tmp[MAX_REPS];

	if (n <= 0)
		return s;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	s.min = tmp[0];
	s.max = tmp[n - 1];
	s.med = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
	return s;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("# note: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

/* Allows the calling thread on every online CPU. */
static void unpin(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("# note: cannot allow every CPU: %s\n", strerror(errno));
}

static int selected_workload(const char *name)
{
	const char *p = selected;
	size_t len = strlen(name);

	if (!p)
		return 1;
	while (*p) {
		if (!strncasecmp(p, name, len) && (p[len] == ',' || !p[len]))
			return 1;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return 0;
}

/* AnonHugePages of this process in KiB (/proc/self/smaps_rollup), or -1. */
static long anon_huge_kib(void)
{
	return read_field("/proc/self/smaps_rollup", "AnonHugePages:");
}

/* A region of anonymous memory and the address of each of its 4 KiB pages. */
struct region {
	char *map;
	size_t map_len;
	char *mem;
	unsigned long npages;
	void **all;
};

static unsigned long long pattern(unsigned long page, unsigned long q)
{
	return (page * 0x9e3779b97f4a7c15ULL) ^ (q * 0xff51afd7ed558ccdULL) ^ 0x5bd1e995ULL;
}

static unsigned long long tag(unsigned long page, unsigned int run)
{
	return pattern(page, 0) ^ ((unsigned long long)run << 40) ^ 0xa5a5ULL;
}

static void region_alloc(struct region *r, unsigned long npages, int thp)
{
	size_t len = npages * PAGE_SZ;
	unsigned long i, q;

	memset(r, 0, sizeof(*r));
	r->npages = npages;
	r->map_len = thp ? len + HPAGE_SZ : len;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (r->map == MAP_FAILED)
		die("mmap");
	r->mem = r->map;
	if (thp)
		r->mem = (char *)(((unsigned long)r->map + HPAGE_SZ - 1) & ~(HPAGE_SZ - 1));
	if (madvise(r->mem, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise");
	r->all = xcalloc(npages, sizeof(*r->all));
	for (i = 0; i < npages; i++) {
		unsigned long long *p = (unsigned long long *)(r->mem + i * PAGE_SZ);

		r->all[i] = p;
		for (q = 0; q < QWORDS; q++)
			p[q] = pattern(i, q);
	}
}

static void region_free(struct region *r)
{
	munmap(r->map, r->map_len);
	free(r->all);
	memset(r, 0, sizeof(*r));
}

static void tag_pages(struct region *r, unsigned int run)
{
	unsigned long i;

	for (i = 0; i < r->npages; i++)
		*(unsigned long long *)r->all[i] = tag(i, run);
}

/* Pages whose tag or (sampled) contents are wrong. */
static long check_data(struct region *r, unsigned int run)
{
	unsigned long i, q;
	long bad = 0;

	for (i = 0; i < r->npages; i++) {
		unsigned long long *p = r->all[i];
		int ok = p[0] == tag(i, run);

		if (ok && (i % SAMPLE_EVERY == 0 || i == r->npages - 1))
			for (q = 1; q < QWORDS; q++)
				if (p[q] != pattern(i, q)) {
					ok = 0;
					break;
				}
		bad += !ok;
	}
	return bad;
}

/*
 * Puts each of the n entries on node want[i] with native calls (one per
 * node), untimed. Returns the number of pages a query then finds elsewhere.
 */
static long place(void **pages, unsigned long n, const int *want)
{
	void **list = xcalloc(n, sizeof(*list));
	int *nodes = xcalloc(n, sizeof(*nodes));
	int *status = xcalloc(n, sizeof(*status));
	unsigned long i, k;
	long bad = 0;
	int node;

	for (node = 0; node <= 1; node++) {
		for (i = 0, k = 0; i < n; i++)
			if (want[i] == node) {
				list[k] = pages[i];
				nodes[k++] = node;
			}
		if (k && native_move_pages(0, k, list, nodes, status, MPOL_MF_MOVE) < 0)
			die("move_pages (placement)");
	}
	if (native_move_pages(0, n, pages, NULL, status, 0) < 0)
		die("move_pages (placement query)");
	for (i = 0; i < n; i++)
		bad += status[i] != want[i];
	free(list);
	free(nodes);
	free(status);
	return bad;
}

static void place_all(struct region *r, int node)
{
	int *want = xcalloc(r->npages, sizeof(*want));
	unsigned long i;
	long bad;

	for (i = 0; i < r->npages; i++)
		want[i] = node;
	bad = place(r->all, r->npages, want);
	if (bad)
		printf("# note: %ld pages could not be placed on node %d\n", bad, node);
	free(want);
}

/* Pages a query finds elsewhere than on node want[i] (or node *want if one). */
static long check_query(struct region *r, const int *want, int one)
{
	int *status = xcalloc(r->npages, sizeof(*status));
	unsigned long i;
	long bad = 0;

	if (native_move_pages(0, r->npages, r->all, NULL, status, 0) < 0)
		die("move_pages (query)");
	for (i = 0; i < r->npages; i++)
		bad += status[i] != (one ? want[0] : want[i]);
	free(status);
	return bad;
}

/*
 * The timed part: nr entries in calls of batch entries, through the native
 * call or the module. Returns the seconds taken; *bad_ret counts calls that
 * did not return 0.
 */
static double run_calls(int module, void **pages, const int *nodes, int *status,
			unsigned long nr, unsigned long batch, long *bad_ret)
{
	int flags = nodes ? MPOL_MF_MOVE : 0;
	unsigned long off, n;
	double t0, t1;
	long ret;

	t0 = now_s();
	for (off = 0; off < nr; off += batch) {
		n = nr - off < batch ? nr - off : batch;
		if (module && nodes && (module_ext & MOVE_PAGES_EXT_PARALLEL))
			ret = module_move_pages_par(dev_fd, 0, n, pages + off, nodes + off,
						    status + off, module_ext, module_workers);
		else if (module)
			ret = module_move_pages_ext(dev_fd, 0, n, pages + off,
						    nodes ? nodes + off : NULL, status + off,
						    flags, module_ext);
		else
			ret = native_move_pages(0, n, pages + off, nodes ? nodes + off : NULL,
						status + off, flags);
		if (ret)
			(*bad_ret)++;
	}
	t1 = now_s();
	return t1 - t0;
}

/* The copy bound: node-0 pages copied to node-1 pages like copy_page(). */
static struct region copy_src, copy_dst;

#if defined(__x86_64__)
#define COPY_PAGE_HOW	"rep movsq (copy_page)"
static inline void copy_page_movsq(void *to, const void *from)
{
	unsigned long cnt = QWORDS;

	asm volatile("rep movsq" : "+D" (to), "+S" (from), "+c" (cnt) : : "memory");
}
#else
/*
 * arm64's copy_page() is a loop of ldp/stp, as memcpy() is, and the migration
 * core's copy is memcpy() itself (no ARCH_HAS_COPY_MC: copy_mc_to_kernel() is
 * the generic one): one copy bound, no second measurement.
 */
#define COPY_PAGE_HOW	"memcpy (copy_page's ldp/stp)"
static inline void copy_page_movsq(void *to, const void *from)
{
	memcpy(to, from, PAGE_SZ);
}
#endif

struct copy_cache {
	unsigned long pages;
	double pps;
};

#define COPY_KNOWN	32
static struct copy_cache copy_known[COPY_KNOWN];
static int nr_copy_known;

static void copy_setup(void)
{
	unsigned long n = big_pages < COPY_BUF_PAGES ? big_pages : COPY_BUF_PAGES;

	if (copy_src.npages)
		return;
	region_alloc(&copy_src, n, 0);
	region_alloc(&copy_dst, n, 0);
	place_all(&copy_src, SRC_NODE);
	place_all(&copy_dst, DST_NODE);
}

/*
 * rep movsb, as the migration core copies: folio_mc_copy() goes through
 * copy_mc_to_kernel(), which is copy_mc_enhanced_fast_string() (rep movsb)
 * on a CPU with ERMS.
 */
#if defined(__x86_64__)
#define COPY_MC_HOW	"rep movsb (folio_mc_copy's copy_mc_enhanced_fast_string)"
static inline void copy_page_movsb(void *to, const void *from)
{
	unsigned long cnt = PAGE_SZ;

	asm volatile("rep movsb" : "+D" (to), "+S" (from), "+c" (cnt) : : "memory");
}
#else
/* Never called: copy_bytes is set only where COPY_MC_HOW is defined. */
#define copy_page_movsb copy_page_movsq
#endif

static int copy_bytes;	/* copy_loop() with rep movsb instead of rep movsq */

/* Copies npages pages, cycling through the buffers; returns the seconds. */
static double copy_loop(unsigned long npages)
{
	unsigned long i, k;
	double t0 = now_s();

	for (i = 0, k = 0; i < npages; i++) {
		if (copy_bytes)
			copy_page_movsb(copy_dst.all[k], copy_src.all[k]);
		else
			copy_page_movsq(copy_dst.all[k], copy_src.all[k]);
		if (++k == copy_src.npages)
			k = 0;
	}
	return now_s() - t0;
}

/*
 * QEMU TCG's software TLB grows only when the guest flushes its TLB while
 * most of it is in use; a copy loop alone never flushes, and then measures
 * the emulator's TLB misses (a move does flush, often). So before timing,
 * copy growing working sets with a full TLB flush after each (mprotect() of
 * more than 33 pages flushes the whole TLB). No effect on real hardware.
 */
static void copy_warm_up(void)
{
	size_t len = 64 * PAGE_SZ;
	unsigned long n;
	int round;

	if (copy_src.npages < 64)
		len = copy_src.npages * PAGE_SZ;
	for (round = 0, n = 128; round < 12; round++, n *= 2) {
		copy_loop(n < copy_src.npages ? n : copy_src.npages);
		if (mprotect(copy_dst.mem, len, PROT_READ) ||
		    mprotect(copy_dst.mem, len, PROT_READ | PROT_WRITE))
			die("mprotect");
	}
}

static int copy_cold;	/* -c: no warm-up */

/* Median pages/s of copying npages pages; all: median, min and max. */
static double copy_pps(unsigned long npages, struct stat3 *all)
{
	double v[MAX_REPS];
	struct stat3 s;
	int rep, i;

	for (i = 0; i < nr_copy_known; i++)
		if (copy_known[i].pages == npages && !all)
			return copy_known[i].pps;
	copy_setup();
	if (!copy_cold)
		copy_warm_up();
	for (rep = 0; rep < reps; rep++)
		v[rep] = npages / copy_loop(npages);
	s = stats(v, reps);
	if (all)
		*all = s;
	if (nr_copy_known < COPY_KNOWN) {
		copy_known[nr_copy_known].pages = npages;
		copy_known[nr_copy_known++].pps = s.med;
	}
	return s.med;
}

/* One result line. */
struct result {
	const char *name;
	const char *kind;
	const char *desc;
	unsigned long pages;	/* 4 KiB pages moved (entries for a query) */
	unsigned long entries;
	unsigned long batch;
	unsigned long calls;
	int reps;
	double native[MAX_REPS], module[MAX_REPS], ratio[MAX_REPS];
	double copy;		/* pages/s, 0 when not applicable */
	long mismatches;
	long thp_before, thp_after;	/* KiB, -1 when not measured */
	int restarts;
	int skipped;
	int profiled;		/* bit 0 native, bit 1 module: series traced (-p) */
	char notes[512];
};

/* -p: tracefs tracing_on and trace_marker, open. */
static int trace_on_fd = -1, trace_marker_fd = -1;

/* Tracing on (before a series) or off (after it), once per workload and side. */
static void profile(struct result *res, int module, int on)
{
	char buf[160];
	int n;

	if (trace_on_fd < 0 || res->profiled & (1 << module))
		return;
	if (on && pwrite(trace_on_fd, "1", 1, 0) != 1)
		return;
	n = snprintf(buf, sizeof(buf), "mp_profile %s %s %s\n", on ? "begin" : "end", res->name,
		     module ? "module" : "native");
	if (write(trace_marker_fd, buf, n) != n)
		printf("# note: trace marker not written: %s\n", strerror(errno));
	if (!on) {
		if (pwrite(trace_on_fd, "0", 1, 0) != 1)
			printf("# note: tracing not stopped: %s\n", strerror(errno));
		res->profiled |= 1 << module;
	}
}

static void result_init(struct result *res, const char *name, const char *kind,
			const char *desc)
{
	memset(res, 0, sizeof(*res));
	res->name = name;
	res->kind = kind;
	res->desc = desc;
	res->thp_before = -1;
	res->thp_after = -1;
}

static void note(struct result *res, const char *fmt, ...)
{
	size_t len = strlen(res->notes);
	va_list ap;

	if (len && len < sizeof(res->notes) - 2) {
		strcat(res->notes, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(res->notes + len, sizeof(res->notes) - len, fmt, ap);
	va_end(ap);
}

static void json_num(const char *key, double v, const char *fmt)
{
	printf(",\"%s\":", key);
	if (v > 0)
		printf(fmt, v);
	else
		printf("null");
}

static void json_str(const char *key, const char *s)
{
	printf(",\"%s\":\"", key);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

static void json_reps(const char *key, const double *v, int n)
{
	int i;

	printf(",\"%s\":[", key);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i ? "," : "", v[i]);
	printf("]");
}

static void emit(struct result *res)
{
	struct stat3 n = stats(res->native, res->reps);
	struct stat3 m = stats(res->module, res->reps);
	struct stat3 r = stats(res->ratio, res->reps);

	if (res->skipped) {
		n.med = 0;
		n.min = 0;
		n.max = 0;
		m = n;
		r = n;
	}
	printf("{\"name\":\"%s\"", res->name);
	json_str("kind", res->kind);
	json_str("desc", res->desc);
	printf(",\"pages\":%lu,\"entries\":%lu,\"batch\":%lu,\"calls\":%lu,\"reps\":%d",
	       res->pages, res->entries, res->batch, res->calls, res->skipped ? 0 : res->reps);
	json_num("native_pps_median", n.med, "%.1f");
	json_num("native_pps_min", n.min, "%.1f");
	json_num("native_pps_max", n.max, "%.1f");
	json_num("module_pps_median", m.med, "%.1f");
	json_num("module_pps_min", m.min, "%.1f");
	json_num("module_pps_max", m.max, "%.1f");
	json_num("ratio_median", r.med, "%.4f");
	json_num("ratio_min", r.min, "%.4f");
	json_num("ratio_max", r.max, "%.4f");
	json_num("copy_pps", res->copy, "%.1f");
	json_num("module_over_copy", res->copy > 0 && !res->skipped ? m.med / res->copy : 0,
		 "%.4f");
	printf(",\"mismatches\":%ld", res->mismatches);
	if (res->thp_before >= 0)
		printf(",\"thp_before_kib\":%ld,\"thp_after_kib\":%ld", res->thp_before,
		       res->thp_after);
	printf(",\"skipped\":%s", res->skipped ? "true" : "false");
	json_reps("native_pps_reps", res->native, res->skipped || !res->calls ? 0 : res->reps);
	json_reps("module_pps_reps", res->module, res->skipped || !res->calls ? 0 : res->reps);
	json_str("notes", res->notes);
	printf("}\n");
	if (res->skipped) {
		printf("# %s: skipped: %s\n", res->name, res->notes);
	} else if (!res->calls) {
		printf("# %s: %lu pages, %d reps: %s\n", res->name, res->pages, res->reps,
		       res->notes);
	} else {
		printf("# %s: %lu pages, %lu calls, %d reps: ", res->name, res->pages, res->calls,
		       res->reps);
		printf("native %.0f p/s, module %.0f p/s, ", n.med, m.med);
		printf("module/native %.3f (%.3f..%.3f)", r.med, r.min, r.max);
		if (res->copy > 0)
			printf(", copy bound %.0f p/s, module/copy %.3f", res->copy,
			       m.med / res->copy);
		printf(", mismatches %ld%s%s\n", res->mismatches, res->notes[0] ? "; " : "",
		       res->notes);
	}
	fflush(stdout);
	total_mismatches += res->mismatches;
}

/*
 * A single-threaded workload: entries[] (into region r) moved to targets[]
 * (or queried when targets is NULL) in calls of batch entries. Before each
 * series the pages are put on start[] (per region page; NULL: left where
 * they are), and afterwards every region page must be on expect[] (per
 * region page, or expect[0] for all when expect_one).
 */
struct workload {
	struct region *r;
	void **entries;
	const int *targets;
	unsigned long nr;
	unsigned long batch;
	const int *start;
	const int *expect;
	int expect_one;
	int thp;
	unsigned long pages_per_entry;
};

/* Makes the starting state of a series (untimed). */
static void prepare(struct workload *w, unsigned int run, int *status)
{
	unsigned long i;
	long bad;

	if (w->start) {
		bad = place(w->r->all, w->r->npages, w->start);
		if (bad)
			printf("# note: %ld pages not on their starting node\n", bad);
	}
	tag_pages(w->r, run);
	for (i = 0; i < w->nr; i++)
		status[i] = SENTINEL;
}

/* Untimed checks after a series: status, query, data. Returns the count. */
static long verify(struct workload *w, unsigned int run, const int *status, long bad_ret,
		   struct result *res)
{
	long bad_status = 0, bad_query, bad_data;
	unsigned long i;

	for (i = 0; i < w->nr; i++) {
		int want = w->targets ? w->targets[i] : w->expect[0];

		if (!w->targets && !w->expect_one)
			want = w->expect[i % w->r->npages];
		bad_status += status[i] != want;
	}
	bad_query = check_query(w->r, w->expect, w->expect_one);
	bad_data = check_data(w->r, run);
	if (bad_status || bad_query || bad_data || bad_ret) {
		printf("# %s run %u: %ld bad status, %ld misplaced, %ld corrupt, %ld bad calls\n",
		       res->name, run, bad_status, bad_query, bad_data, bad_ret);
		if (!strstr(res->notes, "see # lines"))
			note(res, "errors: see # lines");
	}
	return bad_status + bad_query + bad_data + bad_ret;
}

static double one_series(struct workload *w, int module, unsigned int run, int *status,
			 struct result *res, unsigned long nr)
{
	long bad_ret = 0;
	double t;

	prepare(w, run, status);
	if (w->thp) {
		long kib = anon_huge_kib();

		if (res->thp_before < 0 || kib < res->thp_before)
			res->thp_before = kib;
	}
	profile(res, module, 1);
	t = run_calls(module, w->entries, w->targets, status, nr, w->batch, &bad_ret);
	if (trace_on_fd >= 0 && !(res->profiled & (1 << module)))
		printf("# profile %s %s: %.1f us traced\n", res->name, module ? "module" : "native",
		       t * 1e6);
	profile(res, module, 0);
	if (w->thp) {
		long kib = anon_huge_kib();

		if (res->thp_after < 0 || kib < res->thp_after)
			res->thp_after = kib;
	}
	if (nr == w->nr)
		res->mismatches += verify(w, run, status, bad_ret, res);
	return t;
}

/*
 * Shortens a workload of many calls to what fits the time budget per
 * series, from a native pilot run of a few calls.
 */
static void fit_budget(struct workload *w, struct result *res, int *status)
{
	unsigned long pilot, fit;
	double t;

	if (w->batch >= w->nr)
		return;
	pilot = w->batch * (quick ? 4 : 16);
	if (pilot < 64)
		pilot = 64 - 64 % w->batch;
	if (pilot >= w->nr)
		return;
	t = one_series(w, 0, 999, status, res, pilot);
	fit = (unsigned long)(budget * pilot / t) / w->batch * w->batch;
	if (fit < w->batch)
		fit = w->batch;
	if (fit < w->nr) {
		note(res, "shortened from %lu to %lu entries to fit %.1f s per series", w->nr, fit,
		     budget);
		w->nr = fit;
		/* The rest of the region is left out of the checks too. */
		if (w->entries == w->r->all)
			w->r->npages = fit;
	}
}

/*
 * The time of a call can change during a run (under TCG the native call has
 * been seen to take either ~70 us or ~5 ms, in phases): when a series of many
 * calls took more than three budgets, the workload is shortened and its
 * repetitions start again (twice at most), so that all have the same size.
 */
static int refit(struct workload *w, struct result *res, int rep, double t)
{
	unsigned long fit;

	if (w->batch >= w->nr || t <= 3 * budget || res->restarts >= 2)
		return 0;
	fit = (unsigned long)(budget * w->nr / t) / w->batch * w->batch;
	if (fit < w->batch)
		fit = w->batch;
	note(res, "a series of rep %d took %.1f s: restarted with %lu entries instead of %lu",
	     rep, t, fit, w->nr);
	w->nr = fit;
	if (w->entries == w->r->all)
		w->r->npages = fit;
	res->restarts++;
	return 1;
}

static void run_workload(struct workload *w, struct result *res)
{
	int *st_native = xcalloc(w->nr, sizeof(int));
	int *st_module = xcalloc(w->nr, sizeof(int));
	unsigned long i;
	double tn, tm;
	long diff;
	int rep;

	fit_budget(w, res, st_native);
again:
	res->entries = w->nr;
	res->batch = w->batch;
	res->calls = (w->nr + w->batch - 1) / w->batch;
	res->pages = w->nr * w->pages_per_entry;
	res->reps = reps;
	for (rep = 0; rep < reps; rep++) {
		tn = one_series(w, 0, 2 * rep, st_native, res, w->nr);
		tm = one_series(w, 1, 2 * rep + 1, st_module, res, w->nr);
		res->native[rep] = res->pages / tn;
		res->module[rep] = res->pages / tm;
		res->ratio[rep] = tn / tm;
		for (i = 0, diff = 0; i < w->nr; i++)
			diff += st_native[i] != st_module[i];
		if (diff) {
			printf("# %s rep %d: %ld status entries differ between native and module\n",
			       res->name, rep, diff);
			res->mismatches += diff;
		}
		if (rep < reps - 1 && refit(w, res, rep, tn > tm ? tn : tm))
			goto again;
	}
	free(st_native);
	free(st_module);
}

/* Is there room for npages on both nodes (plus a margin)? */
static int room_for(unsigned long npages, struct result *res)
{
	long need = npages * (PAGE_SZ / 1024) + 64 * 1024;
	long f0 = node_free_kib(SRC_NODE), f1 = node_free_kib(DST_NODE);

	if (f0 < 0 || f1 < 0 || (f0 >= need && f1 >= need))
		return 1;
	res->skipped = 1;
	note(res, "not enough free memory: need %ld KiB per node, free %ld KiB + %ld KiB",
	     need, f0, f1);
	return 0;
}

static int *node_array(unsigned long n, int node)
{
	int *a = xcalloc(n, sizeof(*a));
	unsigned long i;

	for (i = 0; i < n; i++)
		a[i] = node;
	return a;
}

static const int src_one = SRC_NODE, dst_one = DST_NODE;

/* W1, W2, W7 and the sweep: all pages from start_node to DST_NODE. */
static void simple_move(const char *name, const char *kind, const char *desc,
			unsigned long npages, unsigned long batch, int start_node,
			int with_copy)
{
	struct workload w = { 0 };
	struct result res;
	struct region r;
	int *targets, *start;

	result_init(&res, name, kind, desc);
	if (!room_for(npages, &res)) {
		res.batch = batch;
		res.pages = npages;
		emit(&res);
		return;
	}
	region_alloc(&r, npages, 0);
	targets = node_array(npages, DST_NODE);
	start = node_array(npages, start_node);
	place_all(&r, start_node);
	w.r = &r;
	w.entries = r.all;
	w.targets = targets;
	w.nr = npages;
	w.batch = batch;
	w.start = start;
	w.expect = &dst_one;
	w.expect_one = 1;
	w.pages_per_entry = 1;
	if (start_node == DST_NODE) {
		w.start = NULL;	/* stays put */
		note(&res, "pages already on node %d: nothing is copied", DST_NODE);
	}
	run_workload(&w, &res);
	if (with_copy)
		res.copy = copy_pps(res.pages, NULL);
	emit(&res);
	region_free(&r);
	free(targets);
	free(start);
}

static int spin_stop;	/* written by main, read atomically by the spinner */

/* A thread of the process kept running on CPU 1, so that the mm is live there. */
static void *spinner(void *arg)
{
	cpu_set_t set;

	(void)arg;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!__atomic_load_n(&spin_stop, __ATOMIC_RELAXED))
		;
	return NULL;
}

static void w3_interleaved(const char *name, unsigned int ext, int two_cpus)
{
	pthread_t spin;
	struct workload w = { 0 };
	struct result res;
	struct region r;
	int *targets, *start;
	unsigned long i;

	static const char * const desc[2][2] = {
		{ "interleaved targets (page i to node i%2), one call, from the other node",
		  "W3 while another thread of the process runs on CPU 1" },
		{ "W3, the module with MOVE_PAGES_EXT_GROUP_BY_NODE (native as in W3)",
		  "W3t, the module with MOVE_PAGES_EXT_GROUP_BY_NODE (native as in W3t)" },
	};

	result_init(&res, name, ext ? "extension" : "workload", desc[!!ext][two_cpus]);
	region_alloc(&r, w3_pages, 0);
	targets = xcalloc(w3_pages, sizeof(*targets));
	start = xcalloc(w3_pages, sizeof(*start));
	for (i = 0; i < w3_pages; i++) {
		targets[i] = i % 2;
		start[i] = !targets[i];
	}
	w.r = &r;
	w.entries = r.all;
	w.targets = targets;
	w.nr = w3_pages;
	w.batch = w3_pages;
	w.start = start;
	w.expect = targets;
	w.pages_per_entry = 1;
	note(&res, "smaller region: %lu pages (%lu KiB), not 64 MiB", w3_pages,
	     w3_pages * PAGE_SZ / 1024);
	module_ext = ext;
	__atomic_store_n(&spin_stop, 0, __ATOMIC_RELAXED);
	if (two_cpus && pthread_create(&spin, NULL, spinner, NULL))
		die("pthread_create");
	run_workload(&w, &res);
	if (two_cpus) {
		__atomic_store_n(&spin_stop, 1, __ATOMIC_RELAXED);
		pthread_join(spin, NULL);
	}
	module_ext = 0;
	res.copy = copy_pps(res.pages, NULL);
	emit(&res);
	region_free(&r);
	free(targets);
	free(start);
}

static void w4_thp(const char *name, const char *kind, const char *desc)
{
	unsigned long per = HPAGE_SZ / PAGE_SZ, nthp = big_pages / per, i;
	struct workload w = { 0 };
	struct result res;
	struct region r;
	void **heads;
	int *targets, *start;
	long before;

	result_init(&res, name, kind, desc);
	if (!nthp)
		nthp = 1;
	region_alloc(&r, nthp * per, 1);
	place_all(&r, SRC_NODE);
	before = anon_huge_kib();
	heads = xcalloc(nthp, sizeof(*heads));
	targets = node_array(nthp, DST_NODE);
	start = node_array(r.npages, SRC_NODE);
	for (i = 0; i < nthp; i++)
		heads[i] = r.all[i * per];
	w.r = &r;
	w.entries = heads;
	w.targets = targets;
	w.nr = nthp;
	w.batch = nthp;
	w.pages_per_entry = per;
	w.start = start;
	w.expect = &dst_one;
	w.expect_one = 1;
	w.thp = 1;
	if (before < (long)(r.npages * PAGE_SZ / 1024)) {
		/* No (or not only) THPs: list every 4 KiB page instead. */
		w.entries = r.all;
		free(targets);
		targets = node_array(r.npages, DST_NODE);
		w.targets = targets;
		w.nr = r.npages;
		w.batch = r.npages;
		w.pages_per_entry = 1;
		note(&res, "THP short: AnonHugePages %ld KiB of %lu KiB, every 4 KiB page listed",
		     before, r.npages * PAGE_SZ / 1024);
	}
	run_workload(&w, &res);
	note(&res, "THP used: %s (AnonHugePages min before %ld KiB, after %ld KiB, region %lu KiB)",
	     res.thp_before >= (long)(r.npages * PAGE_SZ / 1024) ? "yes" : "no", res.thp_before,
	     res.thp_after, r.npages * PAGE_SZ / 1024);
	if (res.thp_after < res.thp_before)
		note(&res, "THPs split by the move");
	res.copy = copy_pps(res.pages, NULL);
	emit(&res);
	region_free(&r);
	free(heads);
	free(targets);
	free(start);
}

/*
 * W5 and W5s: a query of w5_entries entries into a populated region of @npages
 * pages, in order (each page listed w5_entries / @npages times) or, with
 * @random, at random pages.
 */
static void w5_query(const char *name, unsigned long npages, int random)
{
	unsigned int seed = 20261201;
	struct workload w = { 0 };
	struct result res;
	struct region r;
	void **entries;
	unsigned long i;

	result_init(&res, name, "workload", random ?
		    "query (nodes == NULL) of entries at random pages of a populated region" :
		    "query (nodes == NULL) of many entries into a populated region, one call");
	if (!room_for(npages, &res)) {
		res.pages = w5_entries;
		emit(&res);
		return;
	}
	region_alloc(&r, npages, 0);
	place_all(&r, SRC_NODE);
	entries = xcalloc(w5_entries, sizeof(*entries));
	for (i = 0; i < w5_entries; i++)
		entries[i] = r.all[random ? rand_r(&seed) % r.npages : i % r.npages];
	w.r = &r;
	w.entries = entries;
	w.nr = w5_entries;
	w.batch = w5_entries;
	w.expect = &src_one;
	w.expect_one = 1;
	w.pages_per_entry = 1;
	if (random)
		note(&res, "%lu entries at random pages of a %lu-page (%lu MiB) region; %s",
		     w5_entries, r.npages, r.npages * PAGE_SZ >> 20, "pages/s = entries/s");
	else
		note(&res, "%lu entries into a %lu-page region, each page %lu times; %s",
		     w5_entries, r.npages, (w5_entries + r.npages - 1) / r.npages,
		     "pages/s = entries/s");
	run_workload(&w, &res);
	emit(&res);
	region_free(&r);
	free(entries);
}

/* W6: two threads, each moving its own region in one call. */
struct mover {
	pthread_t tid;
	int cpu;
	int pinned;	/* to CPU cpu, else allowed on every CPU */
	int module;
	struct region *r;
	int *targets;
	int *status;
	pthread_barrier_t *go;
	double t0, t1;
	long bad_ret;
};

static void *mover_thread(void *arg)
{
	struct mover *m = arg;

	if (m->pinned)
		pin_cpu(m->cpu);
	else
		unpin();
	pthread_barrier_wait(m->go);
	m->t0 = now_s();
	run_calls(m->module, m->r->all, m->targets, m->status, m->r->npages, m->r->npages,
		  &m->bad_ret);
	m->t1 = now_s();
	return NULL;
}

static long check_mover(struct mover *m, unsigned int run, struct result *res)
{
	long bad = m->bad_ret, bq, bd;
	unsigned long i;

	for (i = 0; i < m->r->npages; i++)
		bad += m->status[i] != DST_NODE;
	bq = check_query(m->r, &dst_one, 1);
	bd = check_data(m->r, run);
	if (bad || bq || bd) {
		printf("# W6 run %u thread %d: %ld bad status/calls, %ld misplaced, %ld corrupt\n",
		       run, m->cpu, bad, bq, bd);
		note(res, "errors: see # lines");
	}
	return bad + bq + bd;
}

static void w6_threads(int parallel)
{
	unsigned long half = big_pages / 2, i;
	struct region r[2];
	struct mover mv[2];
	struct result res;
	pthread_barrier_t go;
	int *targets, *st[2][2];
	int rep, mod, k;
	double t[2];

	if (parallel)
		result_init(&res, "W6p", "extension",
			    "W6, threads unpinned, the module's calls with MOVE_PAGES_EXT_PARALLEL");
	else
		result_init(&res, "W6", "workload",
			    "two threads (CPU 0 and CPU 1) each moving its own region in one call, concurrently");
	targets = node_array(half, DST_NODE);
	for (k = 0; k < 2; k++) {
		region_alloc(&r[k], half, 0);
		st[k][0] = xcalloc(half, sizeof(int));
		st[k][1] = xcalloc(half, sizeof(int));
	}
	res.pages = 2 * half;
	res.entries = 2 * half;
	res.batch = half;
	res.calls = 2;
	res.reps = reps;
	for (rep = 0; rep < reps; rep++) {
		for (mod = 0; mod < 2; mod++) {
			unsigned int run = 2 * rep + mod;

			module_ext = parallel ? MOVE_PAGES_EXT_PARALLEL : 0;
			pthread_barrier_init(&go, NULL, 3);
			for (k = 0; k < 2; k++) {
				place_all(&r[k], SRC_NODE);
				tag_pages(&r[k], run);
				for (i = 0; i < half; i++)
					st[k][mod][i] = SENTINEL;
				mv[k] = (struct mover){ .cpu = k, .pinned = !parallel,
							.module = mod, .r = &r[k],
							.targets = targets, .status = st[k][mod],
							.go = &go };
				if (pthread_create(&mv[k].tid, NULL, mover_thread, &mv[k]))
					die("pthread_create");
			}
			pthread_barrier_wait(&go);
			for (k = 0; k < 2; k++)
				pthread_join(mv[k].tid, NULL);
			pthread_barrier_destroy(&go);
			module_ext = 0;
			t[mod] = (mv[0].t1 > mv[1].t1 ? mv[0].t1 : mv[1].t1) -
				 (mv[0].t0 < mv[1].t0 ? mv[0].t0 : mv[1].t0);
			for (k = 0; k < 2; k++)
				res.mismatches += check_mover(&mv[k], run, &res);
		}
		res.native[rep] = res.pages / t[0];
		res.module[rep] = res.pages / t[1];
		res.ratio[rep] = t[0] / t[1];
		for (k = 0; k < 2; k++)
			for (i = 0; i < half; i++)
				res.mismatches += st[k][0][i] != st[k][1][i];
	}
	note(&res, "pages/s = total pages / wall time of both threads; copy bound is one thread's");
	res.copy = copy_pps(res.pages, NULL);
	emit(&res);
	for (k = 0; k < 2; k++) {
		region_free(&r[k]);
		free(st[k][0]);
		free(st[k][1]);
	}
	free(targets);
}

static void copy_line(void)
{
	struct result res;
	struct stat3 s;

	result_init(&res, "copy", "copy",
		    "copy bound: 4 KiB pages node 0 -> node 1 with " COPY_PAGE_HOW ", one thread");
	if (!copy_cold) {
		/* For comparison: the first measurement, before any warm-up. */
		copy_cold = 1;
		copy_pps(big_pages, &s);
		copy_cold = 0;
		nr_copy_known = 0;
		note(&res, "without TLB warm-up %.1f pages/s", s.med);
	}
	copy_pps(big_pages, &s);
	res.pages = big_pages;
	res.entries = big_pages;
	res.reps = reps;
	res.copy = s.med;
	note(&res, "copy pages/s median %.1f, min %.1f, max %.1f; buffers of %lu pages per node",
	     s.med, s.min, s.max, copy_src.npages);
#ifdef COPY_MC_HOW
	/* The migration core's own copy instruction, for comparison (not cached). */
	copy_bytes = 1;
	nr_copy_known = 0;
	copy_pps(big_pages, &s);
	copy_bytes = 0;
	nr_copy_known = 0;
	note(&res, "with " COPY_MC_HOW " %.1f pages/s", s.med);
#endif
	emit(&res);
}

static void batch_sweep(void)
{
	static char names[24][24];
	unsigned long b;
	int i = 0;
	double t0;

	for (b = 1; b <= sweep_max && i < 24; b *= 4, i++) {
		unsigned long n = b > sweep_min ? b : sweep_min;

		snprintf(names[i], sizeof(names[i]), "sweep-%lu", b);
		t0 = now_s();
		simple_move(names[i], "sweep", "max(B, minimum) pages in calls of B pages", n, b,
			    SRC_NODE, 1);
		printf("# %s took %.1f s\n", names[i], now_s() - t0);
		if (b * 4 > sweep_max && b < sweep_max)
			b = sweep_max / 4;	/* end exactly on sweep_max */
	}
}

/*
 * W1p and W4p (the module's choice of threads), then W1p1-W1p3 and
 * W4p1-W4p3 (at most 1, 2, 3 threads): the module's calls with
 * MOVE_PAGES_EXT_PARALLEL, the process allowed on every CPU for the native
 * calls too.
 */
static void parallel_rows(void)
{
	static const char * const names[2][4] = {
		{ "W1p", "W1p1", "W1p2", "W1p3" }, { "W4p", "W4p1", "W4p2", "W4p3" },
	};
	static char desc[2][4][128];

	for (int w = 0; w < 2; w++) {
		for (int k = 0; k < 4; k++) {
			if (!selected_workload(names[w][k]))
				continue;
			if (k)
				snprintf(desc[w][k], sizeof(desc[w][k]),
					 "%s, the module with MOVE_PAGES_EXT_PARALLEL, %d thread%s at most",
					 w ? "W4" : "W1", k, k > 1 ? "s" : "");
			else
				snprintf(desc[w][k], sizeof(desc[w][k]),
					 "%s, the module with MOVE_PAGES_EXT_PARALLEL (its choice of threads)",
					 w ? "W4" : "W1");
			module_ext = MOVE_PAGES_EXT_PARALLEL;
			module_workers = k;
			unpin();
			if (w)
				w4_thp(names[w][k], "extension", desc[w][k]);
			else
				simple_move(names[w][k], "extension", desc[w][k], big_pages,
					    big_pages, SRC_NODE, 1);
			pin_cpu(0);
			module_ext = 0;
			module_workers = 0;
		}
	}
}

static void bad_usage(void)
{
	fprintf(stderr, "mp_bench [-q] [-r REPS] [-w W1,...,W7,sweep,copy] [-t SECONDS]\n");
	fprintf(stderr, "         [-n W3_PAGES] [-b MAX_BATCH] [-c] [-p]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct utsname u;
	double t0 = now_s();
	int opt, nr_reps = -1;
	long n3 = -1, maxb = -1;

	while ((opt = getopt(argc, argv, "cpqr:w:t:n:b:h")) != -1) {
		switch (opt) {
		case 'c':
			copy_cold = 1;
			break;
		case 'p':
			trace_on_fd = open("/sys/kernel/debug/tracing/tracing_on", O_WRONLY);
			trace_marker_fd = open("/sys/kernel/debug/tracing/trace_marker", O_WRONLY);
			if (trace_on_fd < 0 || trace_marker_fd < 0)
				die("tracefs (-p)");
			break;
		case 'q':
			quick = 1;
			break;
		case 'r':
			nr_reps = atoi(optarg);
			break;
		case 'w':
			selected = optarg;
			break;
		case 't':
			budget = atof(optarg);
			break;
		case 'n':
			n3 = atol(optarg);
			break;
		case 'b':
			maxb = atol(optarg);
			break;
		default:
			bad_usage();
		}
	}
	if (quick) {
		reps = 2;
		big_pages = 1024;
		w3_pages = 128;
		w5_entries = 1UL << 16;
		w5s_pages = 1UL << 14;
		w7_pages = 256;
		sweep_min = 256;
		sweep_max = 1024;
		budget = 0.5;
	}
	if (nr_reps > 0)
		reps = nr_reps < MAX_REPS ? nr_reps : MAX_REPS;
	if (n3 > 0)
		w3_pages = n3;
	if (maxb > 0)
		sweep_max = maxb;
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	printf("# mp_bench: kernel %s, %ld CPUs, reps %d, budget %.1f s per series%s\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), reps, budget, quick ? ", quick mode" : "");
	printf("# free: node0 %ld KiB, node1 %ld KiB; THP enabled: ", node_free_kib(0),
	       node_free_kib(1));
	{
		char buf[128];

		if (read_sysfs("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "?");
		printf("%s\n", buf);
	}
	pin_cpu(0);
	dev_fd = mp_dev_open();
	if (dev_fd < 0)
		die(MOVE_PAGES_DEVICE);

	if (selected_workload("copy"))
		copy_line();
	if (selected_workload("W1"))
		simple_move("W1", "workload", "4 KiB pages to the other node, one call", big_pages,
			    big_pages, SRC_NODE, 1);
	if (selected_workload("W2"))
		simple_move("W2", "workload", "4 KiB pages to the other node, one page per call",
			    big_pages, 1, SRC_NODE, 1);
	if (selected_workload("W3"))
		w3_interleaved("W3", 0, 0);
	if (selected_workload("W3g"))
		w3_interleaved("W3g", MOVE_PAGES_EXT_GROUP_BY_NODE, 0);
	if (selected_workload("W3t"))
		w3_interleaved("W3t", 0, 1);
	if (selected_workload("W3tg"))
		w3_interleaved("W3tg", MOVE_PAGES_EXT_GROUP_BY_NODE, 1);
	if (selected_workload("W4"))
		w4_thp("W4", "workload",
		       "THP-backed region (MADV_HUGEPAGE, 2 MiB aligned), one entry per 2 MiB, one call");
	if (selected_workload("W5"))
		w5_query("W5", big_pages, 0);
	if (selected_workload("W5s"))
		w5_query("W5s", w5s_pages, 1);
	if (selected_workload("W6"))
		w6_threads(0);
	parallel_rows();
	if (selected_workload("W6p"))
		w6_threads(1);
	if (selected_workload("W7"))
		simple_move("W7", "workload",
			    "pages already on their target node, one page per call (re-applied plan)",
			    w7_pages, 1, DST_NODE, 0);
	if (selected_workload("sweep"))
		batch_sweep();
	printf("# mp_bench: done in %.1f s, %ld mismatches\n", now_s() - t0, total_mismatches);
	close(dev_fd);
	return total_mismatches ? 1 : 0;
}
