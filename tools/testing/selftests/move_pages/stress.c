// SPDX-License-Identifier: GPL-2.0
/*
 * stress - races, target exits and injected faults against /dev/move_pages.
 *
 * 1. races: mover threads (overlapping and disjoint ranges) move pages
 *    through the module while a mutator munmaps/remaps, zaps (DONTNEED),
 *    mprotects, flips MADV_HUGEPAGE/NOHUGEPAGE and forks, and a verifier
 *    checks every page's per-page pattern.
 * 2. exits: the target process exits while a move of its pages is running.
 * 3. faults: target allocations made to fail (fail_page_alloc, failslab, and
 *    a node filled with hugetlb pages); each answer is compared with the
 *    native system call's under the same fault, and every page must still be
 *    mapped, on a node, and intact.
 * Afterwards nr_isolated_anon/file in /proc/vmstat must be back where they
 * started. Prints TAP and the figures; each phase is bounded in time.
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
	       s == -EACCES || s == -ENOMEM;
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
		ret = module_move_pages(fd, 0, len, pages, nodes, status, MPOL_MF_MOVE);
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

/* The target exits while a move of its 512 pages runs. */
static void phase_exits(int secs)
{
	time_t end = time(NULL) + secs;
	long runs = 0, odd = 0;
	int fd = mp_dev_open();
	void *pages[512];
	int nodes[512], status[512];
	char *shared = mmap(NULL, 512 * psz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	while (time(NULL) < end && fd >= 0) {
		pid_t c = fork();
		long ret;

		if (c == 0) {
			memset(shared, 0x5a, 512 * psz);
			usleep(rand() % 3000);
			_exit(0);
		}
		usleep(500);
		for (int i = 0; i < 512; i++) {
			pages[i] = shared + (long)i * psz;
			nodes[i] = runs % 2;
		}
		ret = module_move_pages(fd, c, 512, pages, nodes, status, MPOL_MF_MOVE);
		if (ret < 0 && errno != ESRCH && errno != EINVAL)
			odd++;
		waitpid(c, NULL, 0);
		runs++;
	}
	tap(runs > 0 && !odd, "target exits mid-call: %ld runs, %ld unexpected errors", runs, odd);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
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
};

/*
 * The thread's make-it-fail switch, opened before any fault is injected:
 * with failslab on, opening it again would itself fail.
 */
static int make_it_fail = -1;

static void set_fail(int on)
{
	if (pwrite(make_it_fail, on ? "1" : "0", 1, 0) != 1)
		perror("make-it-fail");
}

/* One move of 64 fresh pages to node 1 through @path, with @fail set for this thread. */
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
	if (fail)
		set_fail(1);
	errno = 0;
	r->ret = module ? module_move_pages(fd, 0, 64, pages, nodes, r->status, MPOL_MF_MOVE)
			: native_move_pages(0, 64, pages, nodes, r->status, MPOL_MF_MOVE);
	r->err = r->ret < 0 ? errno : 0;
	if (fail)
		set_fail(0);
	native_move_pages(0, 64, pages, NULL, r->final, 0);
	r->corrupt = 0;
	for (int i = 0; i < 64; i++)
		r->corrupt += p[(long)i * psz] != i + 9 || p[(long)i * psz + psz - 1] != i + 9;
	munmap(p, 64 * psz);
	close(fd);
}

static int same_fault_result(const struct fault_result *a, const struct fault_result *b)
{
	return a->ret == b->ret && a->err == b->err && !a->corrupt && !b->corrupt &&
	       !memcmp(a->status, b->status, sizeof(a->status)) &&
	       !memcmp(a->final, b->final, sizeof(a->final));
}

static void check_faulted(const char *name, const char *fail)
{
	struct fault_result n, m;
	int mapped = 1;

	faulted_move(0, fail, &n);
	faulted_move(1, fail, &m);
	for (int i = 0; i < 64; i++)
		mapped &= m.final[i] == 0 || m.final[i] == 1;
	tap(same_fault_result(&n, &m) && mapped,
	    "%s: native ret %ld errno %d, module ret %ld errno %d, status[0] %d/%d, final[0] %d/%d, corrupt %d/%d",
	    name, n.ret, n.err, m.ret, m.err, n.status[0], m.status[0], n.final[0], m.final[0],
	    n.corrupt, m.corrupt);
}

static void set_knob(const char *dir, const char *file, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", dir, file);
	write_str(path, value);
}

static void phase_faults(void)
{
	static const char * const knobs[] = { "fail_page_alloc", "failslab" };

	make_it_fail = open("/proc/thread-self/make-it-fail", O_WRONLY);
	if (make_it_fail < 0) {
		tap(0, "fault injection: no /proc/thread-self/make-it-fail");
		return;
	}
	for (int k = 0; k < 2; k++) {
#define KNOB(f, v) set_knob(knobs[k], f, v)
		KNOB("task-filter", "Y");
		KNOB("probability", "100");
		KNOB("interval", "1");
		KNOB("times", "-1");
		KNOB("verbose", "0");
		if (k == 0) {
			KNOB("ignore-gfp-wait", "N");
			KNOB("ignore-gfp-highmem", "N");
			KNOB("min-order", "0");
		} else {
			KNOB("ignore-gfp-wait", "N");
		}
		check_faulted(knobs[k], knobs[k]);
		KNOB("probability", "0");
#undef KNOB
	}

	/* Node 1 filled up: its free memory taken by a hugetlb pool. */
	write_str("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "2000");
	{
		char free[96] = "?";

		read_sysfs("/sys/devices/system/node/node1/meminfo", free, sizeof(free));
		printf("# node 1 with its hugetlb pool grown: %s\n", free);
	}
	check_faulted("node 1 hugetlb-filled", NULL);
	write_str("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "4");
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	long iso_anon = read_vmstat("nr_isolated_anon"), iso_file = read_vmstat("nr_isolated_file");
	long anon_after, file_after;

	psz = sysconf(_SC_PAGESIZE);
	printf("TAP version 13\n1..4\n");
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
	printf("# figures: %ld move calls, %ld mutations, %ld pages verified,",
	       ops_moves, ops_mutations, pages_verified);
	printf(" 3 fault kinds injected\n");
	return failures ? 1 : 0;
}
