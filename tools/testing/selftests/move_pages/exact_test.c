// SPDX-License-Identifier: GPL-2.0
/*
 * exact_test - requests whose answers depend on the order of every user
 * access, on C's integer rules and on the caller's seccomp filter.
 *
 * Each scenario builds its world in a fresh child process and runs once with
 * the native move_pages(2) and once through /dev/move_pages; the return
 * value, errno, status slots (as raw bytes where a slot may be half written)
 * and the nodes the pages end on must be equal.
 *
 * - A query writes the statuses of 16 entries before it reads and queries
 *   the next 16: a status write (or a read of the pages array) that populates
 *   a page changes the answer for an entry that points there.
 * - A move's return value is an int: "err += nr_pages - i" wraps for
 *   nr_pages >= 2^31 and is returned as it is.
 * - A status slot that straddles the end of a writable page.
 * - A seccomp filter that denies move_pages(2) denies the ioctl too; one that
 *   allows it (or looks at its arguments) is obeyed as for the system call.
 *
 * MP_EXACT_RECORD=file writes each native outcome; MP_EXACT_REPLAY=file takes
 * the native outcomes from there and makes the calls through move_pages(2)
 * (served by the module when its takeover is on).
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define MAX_SLOTS	64
#define SENTINEL	(-12345)
#define MPOL_BIND	2
#define MPOL_F_NODE	1
#define MPOL_F_ADDR	2

#if defined(__x86_64__)
#define MP_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define MP_AUDIT_ARCH	AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define MP_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__arm__)
#define MP_AUDIT_ARCH	AUDIT_ARCH_ARM
#endif

/* What one call did, as compared between the native call and the module. */
struct outcome {
	long ret;
	int err;
	int signal;		/* the child died of this signal */
	int nslots;
	int status[MAX_SLOTS];
	int nnodes;
	int node[MAX_SLOTS];	/* node of each page afterwards (get_mempolicy) */
	int nbytes;
	unsigned char bytes[64];	/* raw bytes around a page boundary */
};

enum door { NATIVE, IOCTL, SYSCALL };

static long psz;
static int dev_fd = -1;

static long call(enum door how, int pid, unsigned long nr, void **pages, const int *nodes,
		 int *status, int flags)
{
	if (how == IOCTL)
		return module_move_pages(dev_fd, pid, nr, pages, nodes, status, flags);
	return native_move_pages(pid, nr, pages, nodes, status, flags);
}

static void record_call(struct outcome *o, long ret)
{
	o->ret = ret;
	o->err = ret == -1 ? errno : 0;
}

/* The node the page at @addr is on (get_mempolicy), or a negative errno. */
static int node_of(void *addr)
{
	int node = -1;

	if (syscall(__NR_get_mempolicy, &node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR))
		return -errno;
	return node;
}

static void nodes_of(struct outcome *o, void **pages, int n)
{
	o->nnodes = n;
	for (int i = 0; i < n; i++)
		o->node[i] = node_of(pages[i]);
}

static char *map(long npages, int prot)
{
	char *p = mmap(NULL, npages * psz, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	madvise(p, npages * psz, MADV_NOHUGEPAGE);
	return p;
}

/* A written anonymous page on node 0 (the child's memory is bound there). */
static char *anon_page(void)
{
	char *p = map(1, PROT_READ | PROT_WRITE);

	memset(p, 0x5a, psz);
	return p;
}

static void fill_status(int *status, int n)
{
	for (int i = 0; i < n; i++)
		status[i] = SENTINEL;
}

static void copy_status(struct outcome *o, const int *status, int n)
{
	o->nslots = n;
	memcpy(o->status, status, n * sizeof(int));
}

/*
 * Query, 17 entries: 16 of a written page, the 17th the status array's own
 * page, never touched. The first chunk's status write populates that page
 * before the 17th entry is queried.
 */
static void query_status_populates_page(enum door how, struct outcome *o)
{
	char *a = anon_page();
	int *status = (int *)map(1, PROT_READ | PROT_WRITE);
	void *pages[17];

	for (int i = 0; i < 16; i++)
		pages[i] = a;
	pages[16] = status;
	record_call(o, call(how, 0, 17, pages, NULL, status, 0));
	copy_status(o, status, 17);
}

/* The same with the status page mapped to the shared zero page by a read first. */
static void query_status_over_zero_page(enum door how, struct outcome *o)
{
	char *a = anon_page();
	int *status = (int *)map(1, PROT_READ | PROT_WRITE);
	void *pages[17];

	if (madvise(status, psz, MADV_POPULATE_READ))
		perror("MADV_POPULATE_READ");
	for (int i = 0; i < 16; i++)
		pages[i] = a;
	pages[16] = status;
	record_call(o, call(how, 0, 17, pages, NULL, status, 0));
	copy_status(o, status, 17);
}

/*
 * Query, 32 entries; the pages array straddles two pages, entries 16-31 on
 * the second one, never touched (so they read as NULL). Entry 0 points at
 * that second page: when it is queried the page has not been read yet.
 */
static void query_pages_read_populates_page(enum door how, struct outcome *o)
{
	char *arr = map(2, PROT_READ | PROT_WRITE);
	void **pages = (void **)(arr + psz - 16 * sizeof(void *));
	int status[32];

	for (int i = 1; i < 16; i++)
		pages[i] = anon_page();
	pages[0] = arr + psz;
	fill_status(status, 32);
	record_call(o, call(how, 0, 32, pages, NULL, status, 0));
	copy_status(o, status, 32);
}

/*
 * A page kept busy by a pipe's reference (vmsplice): the migration core gives
 * up on it and counts it as not migrated.
 */
static void pin_with_pipe(char *page)
{
	struct iovec iov = { .iov_base = page, .iov_len = psz };
	int fds[2];

	if (pipe(fds) || vmsplice(fds[1], &iov, 1, 0) != psz) {
		perror("vmsplice");
		exit(2);
	}
}

/*
 * Move, nr_pages = @nr (only the first two entries are ever read): a page
 * that cannot migrate, queued for node 1, then an entry for node 0, which
 * flushes the batch: "err += nr_pages - i" with i = 1.
 */
static void move_count_wraps(enum door how, struct outcome *o, unsigned long nr)
{
	char *a = anon_page(), *b = anon_page();
	void *pages[2] = { a, b };
	int nodes[2] = { 1, 0 }, status[2] = { SENTINEL, SENTINEL };

	pin_with_pipe(a);
	record_call(o, call(how, 0, nr, pages, nodes, status, MPOL_MF_MOVE));
	copy_status(o, status, 2);
	nodes_of(o, pages, 2);
}

static void move_count_wraps_negative(enum door how, struct outcome *o)
{
	move_count_wraps(how, o, 0x80000001UL);
}

static void move_count_wraps_int_min(enum door how, struct outcome *o)
{
	move_count_wraps(how, o, 0x80000000UL);
}

static void move_count_wraps_past_4g(enum door how, struct outcome *o)
{
	/* A 32-bit caller's nr_pages is 32 bits: the same as 0x80000001 there. */
	move_count_wraps(how, o, sizeof(long) == 8 ? (unsigned long)(0x100000005ULL) :
			 0x80000001UL);
}

/*
 * @nr statuses from 4 bytes before the end of a writable page followed by a
 * read-only one, misaligned by 2 bytes: slot 1 straddles the boundary.
 */
static int *straddling_status(struct outcome *o, char **base)
{
	char *p = map(2, PROT_READ | PROT_WRITE);

	memset(p, 0x11, 2 * psz);
	mprotect(p + psz, psz, PROT_READ);
	*base = p;
	o->nbytes = 32;
	return (int *)(p + psz - 6);
}

static void save_boundary(struct outcome *o, const char *p)
{
	memcpy(o->bytes, p + psz - 16, 32);
}

static void move_status_straddles_page(enum door how, struct outcome *o)
{
	void *pages[4];
	int nodes[4] = { 1, 1, 1, 1 };
	char *base;
	int *status = straddling_status(o, &base);

	for (int i = 0; i < 4; i++)
		pages[i] = anon_page();
	record_call(o, call(how, 0, 4, pages, nodes, status, MPOL_MF_MOVE));
	save_boundary(o, base);
	nodes_of(o, pages, 4);
}

static void query_status_straddles_page(enum door how, struct outcome *o)
{
	void *pages[4];
	char *base;
	int *status = straddling_status(o, &base);

	for (int i = 0; i < 4; i++)
		pages[i] = anon_page();
	record_call(o, call(how, 0, 4, pages, NULL, status, 0));
	save_boundary(o, base);
}

/* Seccomp filters on move_pages(2): every other system call is allowed. */
enum filter { DENY, DENY_MOVES, DENY_OTHER_PIDS, ALLOW, KILL, TRAP };

static void install_filter(enum filter f)
{
	unsigned int nr = f == ALLOW ? __NR_mbind : __NR_move_pages;
	unsigned int deny = f == KILL ? SECCOMP_RET_KILL_PROCESS :
			    f == TRAP ? SECCOMP_RET_TRAP : SECCOMP_RET_ERRNO | EPERM;
	/* args[0] is pid, args[3] nodes: low 32 bits are enough to tell 0. */
	unsigned int arg = f == DENY_MOVES ? offsetof(struct seccomp_data, args[3]) :
			   offsetof(struct seccomp_data, args[0]);
	int by_arg = f == DENY_MOVES || f == DENY_OTHER_PIDS;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MP_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg),
		/* Without an argument rule, every call is denied. */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, by_arg ? 1 : 0, 0),
		BPF_STMT(BPF_RET | BPF_K, deny),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(code), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("seccomp");
		exit(2);
	}
}

/* Two pages moved to node 1 (by pid 0 or the caller's own pid) under filter @f. */
static void move_under_filter(enum door how, struct outcome *o, enum filter f, int own_pid)
{
	void *pages[2] = { anon_page(), anon_page() };
	int nodes[2] = { 1, 1 }, status[2] = { SENTINEL, SENTINEL };
	int pid = own_pid ? getpid() : 0;

	install_filter(f);
	record_call(o, call(how, pid, 2, pages, nodes, status, MPOL_MF_MOVE));
	copy_status(o, status, 2);
	nodes_of(o, pages, 2);
}

static void seccomp_denied(enum door how, struct outcome *o)
{
	move_under_filter(how, o, DENY, 0);
}

static void seccomp_denies_moves_only(enum door how, struct outcome *o)
{
	void *pages[2] = { anon_page(), anon_page() };
	int status[2] = { SENTINEL, SENTINEL };

	move_under_filter(how, o, DENY_MOVES, 0);
	/* A query (nodes == NULL) passes the same filter. */
	o->ret = o->ret * 1000 + call(how, 0, 2, pages, NULL, status, 0);
	o->status[0] = status[0];
}

static void seccomp_denies_other_pids(enum door how, struct outcome *o)
{
	move_under_filter(how, o, DENY_OTHER_PIDS, 1);
}

static void seccomp_allows_own_pid_zero(enum door how, struct outcome *o)
{
	move_under_filter(how, o, DENY_OTHER_PIDS, 0);
}

static void seccomp_allowed(enum door how, struct outcome *o)
{
	move_under_filter(how, o, ALLOW, 0);
}

struct scenario {
	const char *name;
	void (*run)(enum door how, struct outcome *o);
};

/*
 * Runs @sc in a fresh child whose memory is on node 0 and which runs on CPU 0.
 * A child killed by a signal reports it.
 */
static void run_child(const struct scenario *sc, enum door how, struct outcome *shared)
{
	unsigned long node0 = 1;
	cpu_set_t cpus;
	int st;
	pid_t pid;

	memset(shared, 0, sizeof(*shared));
	pid = fork();
	if (pid == 0) {
		CPU_ZERO(&cpus);
		CPU_SET(0, &cpus);
		sched_setaffinity(0, sizeof(cpus), &cpus);
		if (syscall(__NR_set_mempolicy, MPOL_BIND, &node0, 8 * sizeof(node0)))
			perror("set_mempolicy");
		sc->run(how, shared);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		shared->signal = WTERMSIG(st);
	else if (WEXITSTATUS(st))
		shared->signal = -WEXITSTATUS(st);
}

static void print_outcome(const char *who, const struct outcome *o)
{
	char buf[1024];
	int len;

	len = snprintf(buf, sizeof(buf), "%s: ret %ld errno %d signal %d status", who, o->ret,
		       o->err, o->signal);
	for (int i = 0; i < o->nslots && len < 900; i++)
		len += snprintf(buf + len, sizeof(buf) - len, " %d", o->status[i]);
	len += snprintf(buf + len, sizeof(buf) - len, " nodes");
	for (int i = 0; i < o->nnodes && len < 980; i++)
		len += snprintf(buf + len, sizeof(buf) - len, " %d", o->node[i]);
	if (o->nbytes)
		len += snprintf(buf + len, sizeof(buf) - len, " bytes %02x%02x%02x%02x|%02x%02x",
				o->bytes[12], o->bytes[13], o->bytes[14], o->bytes[15],
				o->bytes[16], o->bytes[17]);
	ksft_print_msg("%s\n", buf);
}

/* The native outcome of @name, recorded earlier in this boot (MP_EXACT_REPLAY). */
static int replayed(const char *name, struct outcome *o)
{
	const char *path = getenv("MP_EXACT_REPLAY");
	char want[128];
	FILE *f;
	int found = 0;

	f = path ? fopen(path, "r") : NULL;
	if (!f)
		return 0;
	while (fread(want, sizeof(want), 1, f) == 1 && fread(o, sizeof(*o), 1, f) == 1) {
		if (!strncmp(want, name, sizeof(want))) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static void record(const char *name, const struct outcome *o)
{
	const char *path = getenv("MP_EXACT_RECORD");
	char key[128] = "";
	FILE *f;

	f = path ? fopen(path, "a") : NULL;
	if (!f)
		return;
	snprintf(key, sizeof(key), "%s", name);
	fwrite(key, sizeof(key), 1, f);
	fwrite(o, sizeof(*o), 1, f);
	fclose(f);
}

static int same(const struct outcome *a, const struct outcome *b)
{
	return a->ret == b->ret && a->err == b->err && a->signal == b->signal &&
	       a->nslots == b->nslots && a->nnodes == b->nnodes && a->nbytes == b->nbytes &&
	       !memcmp(a->status, b->status, a->nslots * sizeof(int)) &&
	       !memcmp(a->node, b->node, a->nnodes * sizeof(int)) &&
	       !memcmp(a->bytes, b->bytes, a->nbytes);
}

/* The counter of the module's takeover in debugfs: calls served through this ABI's syscall. */
static long syscalls_served(void)
{
	return read_field("/sys/kernel/debug/move_pages/stats",
			  sizeof(long) == 8 ? "calls_syscall " : "calls_syscall32 ");
}

FIXTURE(exact) {
	struct outcome *native, *module;
};

FIXTURE_VARIANT(exact) {
	struct scenario sc;
	/* The native call never reaches the module: its counter must not move. */
	int denied_at_entry;
};

FIXTURE_VARIANT_ADD(exact, query_status_populates_page) {
	.sc = { "query_status_populates_page", query_status_populates_page },
};

FIXTURE_VARIANT_ADD(exact, query_status_over_zero_page) {
	.sc = { "query_status_over_zero_page", query_status_over_zero_page },
};

FIXTURE_VARIANT_ADD(exact, query_pages_read_populates_page) {
	.sc = { "query_pages_read_populates_page", query_pages_read_populates_page },
};

FIXTURE_VARIANT_ADD(exact, move_count_wraps_negative) {
	.sc = { "move_count_wraps_negative", move_count_wraps_negative },
};

FIXTURE_VARIANT_ADD(exact, move_count_wraps_int_min) {
	.sc = { "move_count_wraps_int_min", move_count_wraps_int_min },
};

FIXTURE_VARIANT_ADD(exact, move_count_wraps_past_4g) {
	.sc = { "move_count_wraps_past_4g", move_count_wraps_past_4g },
};

FIXTURE_VARIANT_ADD(exact, move_status_straddles_page) {
	.sc = { "move_status_straddles_page", move_status_straddles_page },
};

FIXTURE_VARIANT_ADD(exact, query_status_straddles_page) {
	.sc = { "query_status_straddles_page", query_status_straddles_page },
};

FIXTURE_VARIANT_ADD(exact, seccomp_denied) {
	.sc = { "seccomp_denied", seccomp_denied },
	.denied_at_entry = 1,
};

FIXTURE_VARIANT_ADD(exact, seccomp_denies_moves_only) {
	.sc = { "seccomp_denies_moves_only", seccomp_denies_moves_only },
};

FIXTURE_VARIANT_ADD(exact, seccomp_denies_other_pids) {
	.sc = { "seccomp_denies_other_pids", seccomp_denies_other_pids },
	.denied_at_entry = 1,
};

FIXTURE_VARIANT_ADD(exact, seccomp_allows_own_pid_zero) {
	.sc = { "seccomp_allows_own_pid_zero", seccomp_allows_own_pid_zero },
};

FIXTURE_VARIANT_ADD(exact, seccomp_allowed) {
	.sc = { "seccomp_allowed", seccomp_allowed },
};

FIXTURE_SETUP(exact)
{
	psz = sysconf(_SC_PAGESIZE);
	self->native = mmap(NULL, 2 * sizeof(struct outcome), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->native != MAP_FAILED);
	self->module = self->native + 1;
	if (!getenv("MP_EXACT_REPLAY")) {
		dev_fd = mp_dev_open();
		ASSERT_LE(0, dev_fd);
	}
}

FIXTURE_TEARDOWN(exact)
{
	if (dev_fd >= 0)
		close(dev_fd);
	dev_fd = -1;
	munmap(self->native, 2 * sizeof(struct outcome));
}

TEST_F_TIMEOUT(exact, same_as_native, MP_SCENARIO_TIMEOUT)
{
	const struct scenario *sc = &variant->sc;
	long before, after;

	if (getenv("MP_EXACT_REPLAY")) {
		ASSERT_TRUE(replayed(sc->name, self->native)) {
			TH_LOG("no recorded native outcome for %s", sc->name);
		}
		before = syscalls_served();
		run_child(sc, SYSCALL, self->module);
		after = syscalls_served();
		ASSERT_LE(0, before);
		/* Served by the module, unless seccomp refused it at the entry. */
		EXPECT_LE(before, after);
		EXPECT_EQ(variant->denied_at_entry, before == after);
	} else {
		run_child(sc, NATIVE, self->native);
		record(sc->name, self->native);
		run_child(sc, IOCTL, self->module);
	}
	print_outcome("native", self->native);
	print_outcome("module", self->module);
	ASSERT_EQ(0, self->native->signal);
	ASSERT_TRUE(same(self->native, self->module));
}

/*
 * Filters whose action the ioctl cannot take (kill the process, send SIGSYS)
 * deny the request with EPERM instead; the process lives on. The system call
 * is killed, natively and through the takeover (seccomp acts at the entry).
 */
static void seccomp_kills(enum door how, struct outcome *o)
{
	move_under_filter(how, o, KILL, 0);
}

static void seccomp_traps(enum door how, struct outcome *o)
{
	move_under_filter(how, o, TRAP, 0);
}

TEST(seccomp_kill_and_trap)
{
	static const struct scenario filters[] = {
		{ "seccomp_kills", seccomp_kills },
		{ "seccomp_traps", seccomp_traps },
	};
	struct outcome *o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int replay = !!getenv("MP_EXACT_REPLAY");
	long before = syscalls_served();

	psz = sysconf(_SC_PAGESIZE);
	for (int i = 0; i < 2; i++) {
		run_child(&filters[i], NATIVE, o);
		EXPECT_EQ(SIGSYS, o->signal);
	}
	if (replay) {
		/* Not one of those calls reached the module. */
		EXPECT_EQ(before, syscalls_served());
		return;
	}
	dev_fd = mp_dev_open();
	ASSERT_LE(0, dev_fd);
	for (int i = 0; i < 2; i++) {
		run_child(&filters[i], IOCTL, o);
		print_outcome(filters[i].name, o);
		EXPECT_EQ(0, o->signal);
		EXPECT_EQ(-1, o->ret);
		EXPECT_EQ(EPERM, o->err);
		EXPECT_EQ(0, o->node[0]);
		EXPECT_EQ(0, o->node[1]);
	}
	close(dev_fd);
	dev_fd = -1;
}

#if __SIZEOF_LONG__ == 8
/*
 * Per-CPU batches that take a folio reference without taking the folio off
 * the LRU (mlock_folio(), munlock_folio()) hold it until the batch is
 * drained; upstream has the batches disabled for the whole request, so they
 * drain at once. A thread on the other CPU faults the last pages of a shared
 * file region into a locked mapping of its own (mlock_vma_folio() on the
 * fault: a batch reference that nothing drains) while the region is moved,
 * after a delay swept across the rounds so that it lands at every phase of
 * the move. Every page the native call moves must move through the module.
 */
#define RACE_PAGES	2048
#define RACE_LOCKED	16
#define RACE_FILLER	64
#define RACE_ROUNDS	24

/* The racer's steps, driven by the mover: idle, burst on the region, clean up. */
enum { RACE_IDLE, RACE_GO, RACE_BURST_DONE, RACE_CLEAN, RACE_STOP };

struct racer {
	int memfd;
	char *locked;
	int state;
	int delay_us;
};

static void race_set(struct racer *r, int state)
{
	__atomic_store_n(&r->state, state, __ATOMIC_RELEASE);
}

static void race_wait(struct racer *r, int state)
{
	while (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != state)
		sched_yield();
}

/* Faults the last RACE_LOCKED pages of the file into a new locked mapping. */
static void race_burst(struct racer *r)
{
	long first = RACE_PAGES - RACE_LOCKED;

	r->locked = mmap(NULL, RACE_PAGES * psz, PROT_READ, MAP_SHARED, r->memfd, 0);
	if (r->locked == MAP_FAILED || mlock2(r->locked, RACE_PAGES * psz, MLOCK_ONFAULT)) {
		perror("locked mapping");
		exit(2);
	}
	for (long i = first; i < RACE_PAGES; i++) {
		char c = r->locked[i * psz];

		/* A read fault on each page, kept by the compiler. */
		asm volatile("" : : "r"(c));
	}
}

/*
 * Unmaps the locked mapping, then faults new anonymous pages into a locked
 * mapping until this CPU's batch has been drained of the region's pages.
 */
static void race_clean(struct racer *r)
{
	char *filler = mmap(NULL, RACE_FILLER * psz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	munmap(r->locked, RACE_PAGES * psz);
	if (filler == MAP_FAILED || mlock2(filler, RACE_FILLER * psz, MLOCK_ONFAULT)) {
		perror("filler");
		exit(2);
	}
	for (long i = 0; i < RACE_FILLER; i++)
		filler[i * psz] = 1;
	munmap(filler, RACE_FILLER * psz);
}

static void *mlock_racer(void *arg)
{
	struct racer *r = arg;
	cpu_set_t cpus;
	int state;

	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	for (;;) {
		state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
		if (state == RACE_STOP)
			break;
		if (state == RACE_GO) {
			usleep(r->delay_us);
			race_burst(r);
			race_set(r, RACE_BURST_DONE);
		} else if (state == RACE_CLEAN) {
			race_clean(r);
			race_set(r, RACE_IDLE);
		} else {
			sched_yield();
		}
	}
	return NULL;
}

/* Pages not moved over all the rounds of the race, natively (fd < 0) or through @fd. */
static long race_not_moved(int fd, int *rounds_failed)
{
	struct racer r = { .state = RACE_IDLE };
	void **pages = calloc(RACE_PAGES, sizeof(void *));
	int *nodes = calloc(RACE_PAGES, sizeof(int)), *status = calloc(RACE_PAGES, sizeof(int));
	long total = 0;
	char *region;
	pthread_t t;

	r.memfd = memfd_create("race", 0);
	if (r.memfd < 0 || ftruncate(r.memfd, RACE_PAGES * psz)) {
		perror("memfd");
		exit(2);
	}
	region = mmap(NULL, RACE_PAGES * psz, PROT_READ | PROT_WRITE, MAP_SHARED, r.memfd, 0);
	memset(region, 0x3c, RACE_PAGES * psz);
	for (int i = 0; i < RACE_PAGES; i++)
		pages[i] = region + (long)i * psz;
	pthread_create(&t, NULL, mlock_racer, &r);
	*rounds_failed = 0;
	for (int round = 0; round < RACE_ROUNDS; round++) {
		long ret;

		for (int i = 0; i < RACE_PAGES; i++)
			nodes[i] = (round + 1) % 2;
		r.delay_us = round * 10000;
		race_set(&r, RACE_GO);
		ret = fd < 0 ? native_move_pages(0, RACE_PAGES, pages, nodes, status,
						 MPOL_MF_MOVE_ALL)
			     : module_move_pages(fd, 0, RACE_PAGES, pages, nodes, status,
						 MPOL_MF_MOVE_ALL);
		race_wait(&r, RACE_BURST_DONE);
		race_set(&r, RACE_CLEAN);
		race_wait(&r, RACE_IDLE);
		if (ret != 0) {
			ksft_print_msg("%s, round %d (delay %d us): %ld\n",
				       fd < 0 ? "native" : "module", round, r.delay_us, ret);
			*rounds_failed += 1;
			total += ret > 0 ? ret : RACE_PAGES;
		}
	}
	race_set(&r, RACE_STOP);
	pthread_join(t, NULL);
	munmap(region, RACE_PAGES * psz);
	close(r.memfd);
	free(pages);
	free(nodes);
	free(status);
	return total;
}

#endif

/*
 * 64-bit only: the race is the migration core's, whatever the caller's ABI.
 * Under the takeover (MP_EXACT_REPLAY) the module serves the system call and
 * the native count is the one recorded earlier.
 */
#if __SIZEOF_LONG__ == 8
FIXTURE(lru) {};
FIXTURE_SETUP(lru) {}
FIXTURE_TEARDOWN(lru) {}

/* 24 rounds of two 2048-page moves each: minutes under a sanitizer kernel. */
TEST_F_TIMEOUT(lru, batch_reference_during_move, 600)
{
	static const char *name = "lru_batch_reference_during_move";
	struct outcome rec = { 0 };
	int native_rounds = -1, module_rounds;
	long native, module;
	cpu_set_t cpus;

	psz = sysconf(_SC_PAGESIZE);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	if (getenv("MP_EXACT_REPLAY")) {
		ASSERT_TRUE(replayed(name, &rec));
		native = rec.ret;
		module = race_not_moved(-1, &module_rounds);
	} else {
		native = race_not_moved(-1, &native_rounds);
		rec.ret = native;
		record(name, &rec);
		dev_fd = mp_dev_open();
		ASSERT_LE(0, dev_fd);
		module = race_not_moved(dev_fd, &module_rounds);
		close(dev_fd);
		dev_fd = -1;
	}
	ksft_print_msg("not moved over %d rounds: native %ld (%d rounds), module %ld (%d rounds)\n",
		       RACE_ROUNDS, native, native_rounds, module, module_rounds);
	/*
	 * A fault that lands on a page while it is being unmapped can make
	 * either implementation give up on that one page; a page whose batch
	 * reference nobody drains fails for the whole round (RACE_LOCKED).
	 */
	EXPECT_LE(module, native + 4);
}
#endif

TEST_HARNESS_MAIN
