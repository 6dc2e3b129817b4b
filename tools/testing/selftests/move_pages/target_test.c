// SPDX-License-Identifier: GPL-2.0
/*
 * target_test - move_pages(2) aimed at targets other than a live process of
 * the caller's own: a kernel thread, a zombie, a process in the middle of its
 * exit, an undumpable process, another user's process by a caller with and
 * without CAP_SYS_NICE; KSM pages moved with MPOL_MF_MOVE_ALL (diff_test's
 * ksm_merged covers MPOL_MF_MOVE); and one request of 102,400 pages.
 *
 * Each scenario builds its world afresh for the native move_pages(2) and
 * again for /dev/move_pages, makes the call with the same arguments, and
 * requires the same return value, errno, status array and, where the target
 * has pages, the same final nodes and intact contents. Every world is checked
 * to be the one intended (the kernel thread has PF_KTHREAD, the zombie is in
 * state Z, the caller's capabilities are exactly the ones named, the owner is
 * undumpable, KSM merged the pages, the nodes have room for 400 MiB); a world
 * that is not is a failure, never a skip.
 *
 * The scenarios with threads (an owner whose main thread has exited, an
 * owner that calls exit_group() while another thread is blocked) are in the
 * 64-bit build only; the 32-bit build does not register them.
 */
#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/capability.h>
/* The threaded scenarios: the 64-bit build (any architecture) only. */
#if __SIZEOF_POINTER__ == 8
#define MP_THREADED 1
#include <pthread.h>
#endif

#include "kselftest_harness.h"
#include "mp_util.h"

#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE	12
#endif

#define SENTINEL	(INT_MIN + 7)
#define MAX_SLOTS	64
#define MPOL_DEFAULT	0
#define MPOL_BIND	2
#define PF_KTHREAD	0x00200000
#define USER1		1000
#define USER2		1001
#define KSM_DIR		"/sys/kernel/mm/ksm/"

static long psz;

/* What one call did, as compared between the native call and the module. */
struct outcome {
	long ret;
	int err;
	int nslots;		/* status slots compared */
	int nfinal;		/* pages whose node afterwards is compared */
	int corrupt;		/* pages whose contents changed */
	int status[MAX_SLOTS];
	int final[MAX_SLOTS];
	char msg[200];		/* the caller could not be set up as intended */
};

static __printf(2, 3) void say(char *msg, const char *fmt, ...)
{
	va_list ap;

	if (msg[0])	/* the first reason is the one reported */
		return;
	va_start(ap, fmt);
	vsnprintf(msg, 200, fmt, ap);
	va_end(ap);
}

/* One call: the native system call when @fd < 0, else the module's ioctl on @fd. */
static void do_call(int fd, int pid, int n, void **pages, const int *nodes, int flags,
		    struct outcome *o)
{
	for (int i = 0; i < n; i++)
		o->status[i] = SENTINEL;
	errno = 0;
	o->ret = fd < 0 ? native_move_pages(pid, n, pages, nodes, o->status, flags)
			: module_move_pages(fd, pid, n, pages, nodes, o->status, flags);
	o->err = o->ret < 0 ? errno : 0;
	o->nslots = n;
}

static int same(const struct outcome *a, const struct outcome *b)
{
	return a->ret == b->ret && a->err == b->err && a->nslots == b->nslots &&
	       a->nfinal == b->nfinal && !a->corrupt && !b->corrupt &&
	       !memcmp(a->status, b->status, a->nslots * sizeof(int)) &&
	       !memcmp(a->final, b->final, a->nfinal * sizeof(int));
}

static void print_outcome(const char *who, const struct outcome *o)
{
	char buf[700];
	int len;

	len = snprintf(buf, sizeof(buf), "%s: ret %ld errno %d status", who, o->ret, o->err);
	for (int i = 0; i < o->nslots && len < 500; i++)
		len += o->status[i] == SENTINEL ? snprintf(buf + len, sizeof(buf) - len, " _") :
		       snprintf(buf + len, sizeof(buf) - len, " %d", o->status[i]);
	if (o->nfinal)
		len += snprintf(buf + len, sizeof(buf) - len, " final");
	for (int i = 0; i < o->nfinal && len < 680; i++)
		len += snprintf(buf + len, sizeof(buf) - len, " %d", o->final[i]);
	if (o->corrupt)
		snprintf(buf + len, sizeof(buf) - len, " corrupt %d", o->corrupt);
	ksft_print_msg("%s\n", buf);
}

/* Where each of @n pages of this process is, and how many lost their pattern @id0 + i. */
static void post_check(char *region, int n, unsigned int id0, struct outcome *o)
{
	void *pages[MAX_SLOTS];

	for (int i = 0; i < n; i++) {
		pages[i] = region + (long)i * psz;
		o->final[i] = SENTINEL;
	}
	if (native_move_pages(0, n, pages, NULL, o->final, 0))
		say(o->msg, "final query: %s", strerror(errno));
	o->nfinal = n;
	for (int i = 0; i < n; i++)
		o->corrupt += !mp_page_intact(region + (long)i * psz, id0 + i, psz);
}

/* Every one of @n pages from @p to @node, natively and as root (shared ones too). */
static int place(char *p, int n, int node)
{
	void **pages = malloc(n * sizeof(void *));
	int *nodes = malloc(n * sizeof(int)), *status = malloc(n * sizeof(int));
	long ret = -1;

	for (int i = 0; pages && nodes && status && i < n; i++) {
		pages[i] = p + (long)i * psz;
		nodes[i] = node;
	}
	if (pages && nodes && status)
		ret = native_move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE_ALL);
	for (int i = 0; !ret && i < n; i++)
		ret = status[i] != node;
	free(pages);
	free(nodes);
	free(status);
	return ret ? -1 : 0;
}

static void pin_cpu(int cpu)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
}

/* The state letter and the flags of /proc/@pid/stat, or of its thread @tid. */
static int proc_stat(int pid, int tid, char *state, unsigned int *flags)
{
	char path[64], buf[512], *p;
	size_t n;
	FILE *f;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name is in parentheses and may hold anything. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", state, flags) != 2)
		return -1;
	return 0;
}

/* Waits up to 20 s for @pid (or its thread @tid) to be in @state. */
static int wait_state(int pid, int tid, char state)
{
	unsigned int flags;
	char now = 0;

	for (int t = 0; t < 2000; t++) {
		if (!proc_stat(pid, tid, &now, &flags) && now == state)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* A kernel thread: kthreadd (pid 2) if it is one, else the first found in /proc. */
static int find_kthread(char *msg)
{
	unsigned int flags;
	struct dirent *d;
	int pid = 0;
	char state;
	DIR *dir;

	if (!proc_stat(2, 0, &state, &flags) && (flags & PF_KTHREAD))
		return 2;
	dir = opendir("/proc");
	while (dir && !pid && (d = readdir(dir)))
		if (atoi(d->d_name) > 0 && !proc_stat(atoi(d->d_name), 0, &state, &flags) &&
		    (flags & PF_KTHREAD))
			pid = atoi(d->d_name);
	if (dir)
		closedir(dir);
	if (!pid)
		say(msg, "no process with PF_KTHREAD in /proc");
	return pid;
}

/* A hexadecimal field of /proc/self/status ("CapEff:"), or ~0. */
static unsigned long long status_hex(const char *key)
{
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			v = strtoull(line + strlen(key), NULL, 16);
			break;
		}
	fclose(f);
	return v;
}

static int drop_to(int uid)
{
	if (!uid)
		return 0;
	return setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid) ?
	       -1 : 0;
}

/* Who makes the call. */
enum caller {
	ROOT,			/* uid 0, every capability */
	NO_CAPS,		/* a non-root uid, no capability */
	SYS_NICE,		/* a non-root uid with CAP_SYS_NICE only */
	SYS_NICE_PTRACE,	/* a non-root uid with CAP_SYS_NICE and CAP_SYS_PTRACE only */
};

/*
 * Takes the identity @who (uid @uid unless ROOT): the permitted set is kept
 * across the change of uid (PR_SET_KEEPCAPS) and cut down with capset(2) to
 * the named capabilities, made effective. Checks the uids and the
 * capability sets the kernel reports afterwards.
 */
static int become(enum caller who, int uid, char *msg)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	unsigned long long want = 0;
	uid_t r, e, s;

	if (who == ROOT) {
		want = 1ULL << CAP_SYS_NICE | 1ULL << CAP_SYS_PTRACE;
		if (getuid() || (status_hex("CapEff:") & want) != want) {
			say(msg, "root: uid %d CapEff %llx", getuid(), status_hex("CapEff:"));
			return -1;
		}
		return 0;
	}
	if (who == SYS_NICE)
		want = 1ULL << CAP_SYS_NICE;
	if (who == SYS_NICE_PTRACE)
		want = 1ULL << CAP_SYS_NICE | 1ULL << CAP_SYS_PTRACE;
	if (prctl(PR_SET_KEEPCAPS, who != NO_CAPS, 0, 0, 0) || drop_to(uid)) {
		say(msg, "cannot take uid %d: %s", uid, strerror(errno));
		return -1;
	}
	memset(data, 0, sizeof(data));
	data[0].effective = (unsigned int)want;
	data[0].permitted = (unsigned int)want;
	if (syscall(__NR_capset, &hdr, data)) {
		say(msg, "capset: %s", strerror(errno));
		return -1;
	}
	if (getresuid(&r, &e, &s) || r != (uid_t)uid || e != (uid_t)uid || s != (uid_t)uid ||
	    status_hex("CapEff:") != want || status_hex("CapPrm:") != want ||
	    status_hex("CapInh:") || status_hex("CapAmb:")) {
		say(msg, "caller: uids %d/%d/%d CapEff %llx CapPrm %llx (want %llx)",
		    r, e, s, status_hex("CapEff:"), status_hex("CapPrm:"), want);
		return -1;
	}
	return 0;
}

/* The target of a scenario. */
enum target {
	T_KTHREAD,		/* a kernel thread */
	T_ZOMBIE,		/* a child that exited, not reaped */
	T_OWNER,		/* a live process with pages (see owner_main()) */
	T_LEADER_EXITED,	/* the same whose main thread exited; another one runs */
	T_LIVE_THREAD,		/* the thread still running there, by its tid */
};

#define NSLOTS		8	/* the owner's pages: 0-3 its own, 4-7 shared with a child */
#define NPRIVATE	4
#define ID_OWNER	0x100

struct scenario {
	enum target target;
	int owner_uid;
	int undumpable;
	enum caller who;
	int caller_uid;
	int flags;
	int query;
	/*
	 * The errno the native call must give (0: it succeeds), for this to be
	 * the world intended: it checks the premise, not the module.
	 */
	int native_err;
};

/* One run of a scenario, shared by the test process, the owner and the caller. */
struct run {
	struct outcome o;	/* the caller's call; the final nodes from the owner */
	int dumpable;		/* PR_GET_DUMPABLE of the owner after it took its uid */
	int proc_uid;		/* owner of /proc/PID/status of the owner */
	int tid;		/* the owner's running thread (T_LEADER_EXITED) */
	char msg[200];		/* the world could not be built as intended */
};

struct owner_ctx {
	char *region;
	int done;		/* read end: EOF when the call has been made */
	int ready;		/* write end */
	int keep;		/* write end: the sharer lives until it is closed */
	pid_t sharer;
	struct run *r;
};

/* After the call: where the owner's pages are, whether intact; then the end of the sharer. */
static void owner_finish(struct owner_ctx *c)
{
	mp_wait_byte(c->done);
	post_check(c->region, NSLOTS, ID_OWNER, &c->r->o);
	close(c->keep);
	waitpid(c->sharer, NULL, 0);
}

#ifdef MP_THREADED
static void *owner_thread(void *arg)
{
	struct owner_ctx *c = arg;

	c->r->tid = gettid();
	mp_send_byte(c->ready);
	owner_finish(c);
	_exit(0);
}
#endif

/*
 * The owner: NSLOTS written pages on node 0, the last four also mapped by a
 * child it forks (the sharer), so that MPOL_MF_MOVE leaves them (-EACCES)
 * and MPOL_MF_MOVE_ALL moves them. It then takes its uid and dumpability,
 * and for T_LEADER_EXITED starts a thread and ends its main thread.
 */
static void owner_main(const struct scenario *sc, struct owner_ctx *c)
{
	int keep[2];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	madvise(c->region, NSLOTS * psz, MADV_NOHUGEPAGE);
	for (int i = 0; i < NSLOTS; i++)
		mp_fill_page(c->region + (long)i * psz, ID_OWNER + i, psz);
	if (place(c->region, NSLOTS, 0)) {
		say(c->r->msg, "owner: pages not placed on node 0");
		_exit(1);
	}
	madvise(c->region, NPRIVATE * psz, MADV_DONTFORK);
	/* The sharer lives until the owner is done with it, or gone (EOF). */
	if (pipe(keep))
		_exit(1);
	c->sharer = fork();
	if (c->sharer == 0) {
		close(keep[1]);
		close(c->ready);
		close(c->done);
		mp_wait_byte(keep[0]);
		_exit(0);
	}
	close(keep[0]);
	c->keep = keep[1];
	if (drop_to(sc->owner_uid)) {
		say(c->r->msg, "owner: cannot become uid %d", sc->owner_uid);
		_exit(1);
	}
	/* A change of uid makes a process undumpable: set it as the scenario says. */
	prctl(PR_SET_DUMPABLE, !sc->undumpable, 0, 0, 0);
	c->r->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
#ifdef MP_THREADED
	if (sc->target == T_LEADER_EXITED || sc->target == T_LIVE_THREAD) {
		/* Not on the stack of the thread about to exit. */
		static struct owner_ctx ctx;
		pthread_t t;

		ctx = *c;
		if (pthread_create(&t, NULL, owner_thread, &ctx)) {
			say(c->r->msg, "owner: no thread");
			_exit(1);
		}
		pthread_exit(NULL);
	}
#endif
	mp_send_byte(c->ready);
	owner_finish(c);
	_exit(0);
}

/*
 * A child of the scenario's owner uid and dumpability that has exited and is
 * left unreaped: state Z. (The dumpability outlives the mm: a zombie that
 * was undumpable is still undumpable to the ptrace check.)
 */
static pid_t make_zombie(const struct scenario *sc, char *msg)
{
	siginfo_t si;
	pid_t pid = fork();

	if (pid == 0) {
		if (drop_to(sc->owner_uid))
			_exit(1);
		prctl(PR_SET_DUMPABLE, !sc->undumpable, 0, 0, 0);
		_exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == !sc->undumpable ? 0 : 1);
	}
	memset(&si, 0, sizeof(si));
	if (pid < 0 || waitid(P_PID, pid, &si, WEXITED | WNOWAIT) || wait_state(pid, 0, 'Z'))
		say(msg, "no zombie (pid %d)", pid);
	return pid;
}

/* The world of @sc, the call through @door (the module when 1), the owner's check. */
static void run_scenario(const struct scenario *sc, int door, struct run *r)
{
	char *region = mmap(NULL, NSLOTS * psz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct owner_ctx c = { .region = region, .r = r };
	int ready[2], done[2], nodes[NSLOTS], st = 0;
	pid_t owner = -1, caller, target = 0;
	void *pages[NSLOTS];
	struct stat sb;

	memset(r, 0, sizeof(*r));
	if (region == MAP_FAILED || pipe(ready) || pipe(done)) {
		say(r->msg, "setup: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < NSLOTS; i++) {
		pages[i] = region + (long)i * psz;
		nodes[i] = 1;
	}
	if (sc->target == T_KTHREAD) {
		target = find_kthread(r->msg);
	} else if (sc->target == T_ZOMBIE) {
		owner = make_zombie(sc, r->msg);
		target = owner;
	} else {
		owner = fork();
		if (owner == 0) {
			close(ready[0]);
			close(done[1]);
			c.ready = ready[1];
			c.done = done[0];
			owner_main(sc, &c);
		}
		close(ready[1]);
		close(done[0]);
		ready[1] = -1;
		done[0] = -1;
		mp_wait_byte(ready[0]);
		target = sc->target == T_LIVE_THREAD ? r->tid : owner;
		if (!r->msg[0] && (sc->target == T_LEADER_EXITED || sc->target == T_LIVE_THREAD) &&
		    (!r->tid || wait_state(owner, 0, 'Z') || wait_state(owner, r->tid, 'S')))
			say(r->msg, "main thread not exited or thread %d not waiting", r->tid);
	}
	if (owner > 0 && sc->target != T_ZOMBIE && !r->msg[0]) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d/status", owner);
		r->proc_uid = stat(path, &sb) ? -1 : (int)sb.st_uid;
	}
	if (!r->msg[0]) {
		caller = fork();
		if (caller == 0) {
			int fd = -1;

			if (become(sc->who, sc->caller_uid, r->o.msg))
				_exit(1);
			/* The device is opened as the caller: its mode lets anyone in. */
			if (door)
				fd = mp_dev_open();
			if (door && fd < 0) {
				say(r->o.msg, "open: %s", strerror(errno));
				_exit(1);
			}
			do_call(fd, target, NSLOTS, pages, sc->query ? NULL : nodes, sc->flags,
				&r->o);
			_exit(0);
		}
		if (caller < 0 || waitpid(caller, &st, 0) != caller || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			say(r->msg, "the caller failed (status %#x)", st);
	}
	if (done[1] >= 0)
		close(done[1]);
	if (owner > 0 && (waitpid(owner, &st, 0) != owner || !WIFEXITED(st) ||
			  WEXITSTATUS(st)))
		say(r->msg, "the owner failed (status %#x)", st);
	close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (done[0] >= 0)
		close(done[0]);
	munmap(region, NSLOTS * psz);
}

FIXTURE(target) {
	struct run *native, *module;
};

FIXTURE_VARIANT(target) {
	struct scenario sc;
};

/*
 * 1. A kernel thread: root passes the ptrace check and finds no mm
 * (-EINVAL); another uid fails the check (-EPERM).
 */
FIXTURE_VARIANT_ADD(target, kthread_query_root) {
	.sc = { .target = T_KTHREAD, .who = ROOT, .query = 1, .native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, kthread_move_root) {
	.sc = { .target = T_KTHREAD, .who = ROOT, .flags = MPOL_MF_MOVE, .native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, kthread_move_all_root) {
	.sc = { .target = T_KTHREAD, .who = ROOT, .flags = MPOL_MF_MOVE_ALL,
		.native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, kthread_query_other_uid) {
	.sc = { .target = T_KTHREAD, .who = NO_CAPS, .caller_uid = USER1, .query = 1,
		.native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, kthread_move_all_other_uid_sys_nice) {
	.sc = { .target = T_KTHREAD, .who = SYS_NICE, .caller_uid = USER1,
		.flags = MPOL_MF_MOVE_ALL, .native_err = EPERM },
};

/* 2. A zombie: found, but its mm is gone. */
FIXTURE_VARIANT_ADD(target, zombie_query_root) {
	.sc = { .target = T_ZOMBIE, .who = ROOT, .query = 1, .native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, zombie_move_root) {
	.sc = { .target = T_ZOMBIE, .who = ROOT, .flags = MPOL_MF_MOVE, .native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, zombie_move_all_root) {
	.sc = { .target = T_ZOMBIE, .who = ROOT, .flags = MPOL_MF_MOVE_ALL,
		.native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, zombie_query_same_uid) {
	.sc = { .target = T_ZOMBIE, .owner_uid = USER1, .who = NO_CAPS, .caller_uid = USER1,
		.query = 1, .native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, zombie_query_same_uid_undumpable) {
	.sc = { .target = T_ZOMBIE, .owner_uid = USER1, .undumpable = 1, .who = NO_CAPS,
		.caller_uid = USER1, .query = 1, .native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, zombie_move_other_uid) {
	.sc = { .target = T_ZOMBIE, .owner_uid = USER2, .who = NO_CAPS, .caller_uid = USER1,
		.flags = MPOL_MF_MOVE, .native_err = EPERM },
};

#ifdef MP_THREADED
/*
 * 3. (the deterministic part) A process whose main thread has exited while
 * another thread waits: its pid names the exited leader, whose mm is gone;
 * the waiting thread's tid names a task with the mm.
 */
FIXTURE_VARIANT_ADD(target, leader_exited_query_root) {
	.sc = { .target = T_LEADER_EXITED, .who = ROOT, .query = 1, .native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, leader_exited_move_root) {
	.sc = { .target = T_LEADER_EXITED, .who = ROOT, .flags = MPOL_MF_MOVE,
		.native_err = EINVAL },
};

FIXTURE_VARIANT_ADD(target, leader_exited_live_thread_query_root) {
	.sc = { .target = T_LIVE_THREAD, .who = ROOT, .query = 1 },
};

FIXTURE_VARIANT_ADD(target, leader_exited_live_thread_move_all_root) {
	.sc = { .target = T_LIVE_THREAD, .who = ROOT, .flags = MPOL_MF_MOVE_ALL },
};
#endif

/*
 * 4. An undumpable owner (uid USER2): its own uid, another uid with or
 * without CAP_SYS_NICE fail the ptrace check; root passes it. A dumpable
 * owner of the same uid, for contrast, lets its uid in.
 */
#define UNDUMPABLE	.target = T_OWNER, .owner_uid = USER2, .undumpable = 1

FIXTURE_VARIANT_ADD(target, undumpable_query_same_uid) {
	.sc = { UNDUMPABLE, .who = NO_CAPS, .caller_uid = USER2, .query = 1,
		.native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, undumpable_move_same_uid) {
	.sc = { UNDUMPABLE, .who = NO_CAPS, .caller_uid = USER2, .flags = MPOL_MF_MOVE,
		.native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, undumpable_query_other_uid) {
	.sc = { UNDUMPABLE, .who = NO_CAPS, .caller_uid = USER1, .query = 1,
		.native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, undumpable_move_other_uid) {
	.sc = { UNDUMPABLE, .who = NO_CAPS, .caller_uid = USER1, .flags = MPOL_MF_MOVE,
		.native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, undumpable_move_other_uid_sys_nice) {
	.sc = { UNDUMPABLE, .who = SYS_NICE, .caller_uid = USER1, .flags = MPOL_MF_MOVE,
		.native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, undumpable_query_root) {
	.sc = { UNDUMPABLE, .who = ROOT, .query = 1 },
};

FIXTURE_VARIANT_ADD(target, undumpable_move_root) {
	.sc = { UNDUMPABLE, .who = ROOT, .flags = MPOL_MF_MOVE },
};

FIXTURE_VARIANT_ADD(target, undumpable_move_all_root) {
	.sc = { UNDUMPABLE, .who = ROOT, .flags = MPOL_MF_MOVE_ALL },
};

FIXTURE_VARIANT_ADD(target, dumpable_move_same_uid) {
	.sc = { .target = T_OWNER, .owner_uid = USER2, .who = NO_CAPS, .caller_uid = USER2,
		.flags = MPOL_MF_MOVE },
};

/*
 * 5. Another uid's process (USER2, dumpable). CAP_SYS_NICE is what
 * MPOL_MF_MOVE_ALL needs; the permission to the target is the ptrace check
 * (CAP_SYS_PTRACE for another uid), so CAP_SYS_NICE alone moves nothing of
 * another uid's. With the target's own uid, CAP_SYS_NICE makes
 * MPOL_MF_MOVE_ALL move the shared pages too.
 */
#define OTHERS		.target = T_OWNER, .owner_uid = USER2, .caller_uid = USER1

FIXTURE_VARIANT_ADD(target, sys_nice_move_other_uid) {
	.sc = { OTHERS, .who = SYS_NICE, .flags = MPOL_MF_MOVE, .native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, sys_nice_move_all_other_uid) {
	.sc = { OTHERS, .who = SYS_NICE, .flags = MPOL_MF_MOVE_ALL, .native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, sys_nice_query_other_uid) {
	.sc = { OTHERS, .who = SYS_NICE, .query = 1, .native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, no_caps_move_other_uid) {
	.sc = { OTHERS, .who = NO_CAPS, .flags = MPOL_MF_MOVE, .native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, no_caps_move_all_other_uid) {
	.sc = { OTHERS, .who = NO_CAPS, .flags = MPOL_MF_MOVE_ALL, .native_err = EPERM },
};

FIXTURE_VARIANT_ADD(target, sys_nice_ptrace_move_other_uid) {
	.sc = { OTHERS, .who = SYS_NICE_PTRACE, .flags = MPOL_MF_MOVE },
};

FIXTURE_VARIANT_ADD(target, sys_nice_ptrace_move_all_other_uid) {
	.sc = { OTHERS, .who = SYS_NICE_PTRACE, .flags = MPOL_MF_MOVE_ALL },
};

FIXTURE_VARIANT_ADD(target, sys_nice_move_all_same_uid) {
	.sc = { .target = T_OWNER, .owner_uid = USER2, .who = SYS_NICE, .caller_uid = USER2,
		.flags = MPOL_MF_MOVE_ALL },
};

FIXTURE_VARIANT_ADD(target, no_caps_move_all_same_uid) {
	.sc = { .target = T_OWNER, .owner_uid = USER2, .who = NO_CAPS, .caller_uid = USER2,
		.flags = MPOL_MF_MOVE_ALL, .native_err = EPERM },
};

FIXTURE_SETUP(target)
{
	psz = sysconf(_SC_PAGESIZE);
	self->native = mmap(NULL, 2 * sizeof(struct run), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->native != MAP_FAILED);
	self->module = self->native + 1;
}

FIXTURE_TEARDOWN(target)
{
	munmap(self->native, 2 * sizeof(struct run));
}

TEST_F_TIMEOUT(target, same_as_native, 180)
{
	const struct scenario *sc = &variant->sc;
	struct run *runs[2] = { self->native, self->module };

	run_scenario(sc, 0, self->native);
	run_scenario(sc, 1, self->module);
	print_outcome("native", &self->native->o);
	print_outcome("module", &self->module->o);
	for (int i = 0; i < 2; i++) {
		const struct run *r = runs[i];

		ASSERT_TRUE(!r->msg[0] && !r->o.msg[0]) {
			TH_LOG("%s run: %s; %s", i ? "module" : "native", r->msg, r->o.msg);
		}
		if (sc->target == T_KTHREAD || sc->target == T_ZOMBIE)
			continue;
		/* Undumpable as the kernel shows it too: /proc/PID/status is then root's. */
		ASSERT_EQ(!sc->undumpable, r->dumpable);
		ASSERT_EQ(sc->undumpable ? 0 : sc->owner_uid, r->proc_uid);
	}
	ASSERT_EQ(sc->native_err, self->native->o.err) {
		TH_LOG("the native call does not answer as this world is meant to make it");
	}
	ASSERT_TRUE(same(&self->native->o, &self->module->o));
}

/*
 * 3. (the race) An owner exits while the caller keeps calling on its pid.
 * What is compared: before the owner is told to exit, one native call per
 * target node on the live owner gives the reference "alive" outcome (every
 * page moved there, or where it is for a query). From the moment it is told
 * to exit, calls are made back to back through the door under test until one
 * gives something else; that one, and every call until the owner is a
 * zombie, must give what a native call on the zombie gives (-EINVAL, nothing
 * written: the mm is gone, which the kernel sees atomically under the task
 * lock); and on the reaped pid what a native call gives there (-ESRCH). So
 * each call's outcome is one native gives for the owner's state at the time,
 * and the state changes only once. Native rounds check the reference set;
 * module rounds are compared with it. Both report how many calls saw the
 * owner alive after "go" and how many saw it gone before it was a zombie.
 * The multi-threaded owner exits with exit_group() while its other thread is
 * blocked in pause().
 */
#define RACE_NR		32
#define RACE_ROUNDS	8
#define RACE_MAX_CALLS	200000

struct race_count {
	long live_after_go;
	long dead_before_zombie;
};

#ifdef MP_THREADED
static void *blocked_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static int start_blocked_thread(void)
{
	pthread_t t;

	return pthread_create(&t, NULL, blocked_thread, NULL) ? -1 : 0;
}
#else
static int start_blocked_thread(void)
{
	return -1;
}
#endif

/* The racing owner: RACE_NR written pages on node 0; exits when @go reads EOF. */
static void race_owner(char *region, int threaded, int ready, int go, char *msg)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pin_cpu(1);
	madvise(region, RACE_NR * psz, MADV_NOHUGEPAGE);
	for (int i = 0; i < RACE_NR; i++)
		mp_fill_page(region + (long)i * psz, ID_OWNER + i, psz);
	if (place(region, RACE_NR, 0))
		say(msg, "owner: pages not placed on node 0");
	if (threaded && start_blocked_thread())
		say(msg, "owner: no second thread");
	mp_send_byte(ready);
	mp_wait_byte(go);
	_exit(0);
}

static int race_round(int fd, int query, int threaded, char *shared_msg,
		      struct race_count *cnt, char *why)
{
	char *region = mmap(NULL, RACE_NR * psz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static struct outcome live[2], o, first, ref;
	int ready[2], go[2], nodes[2][RACE_NR], fail = -1, reaped = 0;
	void *pages[RACE_NR];
	char path[64];
	siginfo_t si;
	pid_t owner;
	long calls;

	if (region == MAP_FAILED || pipe(ready) || pipe(go)) {
		say(why, "setup: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < RACE_NR; i++) {
		pages[i] = region + (long)i * psz;
		nodes[0][i] = 0;
		nodes[1][i] = 1;
	}
	shared_msg[0] = 0;
	owner = fork();
	if (owner == 0) {
		close(ready[0]);
		close(go[1]);
		race_owner(region, threaded, ready[1], go[0], shared_msg);
	}
	close(ready[1]);
	close(go[0]);
	mp_wait_byte(ready[0]);
	snprintf(path, sizeof(path), "/proc/%d/status", owner);
	if (shared_msg[0] || (threaded && read_field(path, "Threads:") != 2)) {
		say(why, "owner not as intended: %s (threads %ld)", shared_msg,
		    read_field(path, "Threads:"));
		goto out;
	}
	/* Alive: to node 1, then back to node 0 (where the pages start). */
	for (int t = 1; t >= 0; t--) {
		memset(&live[t], 0, sizeof(live[t]));
		do_call(-1, owner, RACE_NR, pages, query ? NULL : nodes[t], MPOL_MF_MOVE,
			&live[t]);
		for (int i = 0; i < RACE_NR; i++)
			if (live[t].ret || live[t].status[i] != (query ? 0 : t)) {
				say(why, "native call on the live owner: ret %ld status[%d] %d",
				    live[t].ret, i, live[t].status[i]);
				goto out;
			}
	}
	close(go[1]);
	go[1] = -1;
	memset(&o, 0, sizeof(o));
	for (calls = 0; calls < RACE_MAX_CALLS; calls++) {
		int t = query ? 0 : (calls + 1) % 2;

		do_call(fd, owner, RACE_NR, pages, query ? NULL : nodes[t], MPOL_MF_MOVE, &o);
		if (!same(&o, &live[t]))
			break;
		cnt->live_after_go++;
	}
	first = o;
	for (; calls < RACE_MAX_CALLS; calls++) {
		memset(&si, 0, sizeof(si));
		if (!waitid(P_PID, owner, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid == owner)
			break;
		do_call(fd, owner, RACE_NR, pages, query ? NULL : nodes[1], MPOL_MF_MOVE, &o);
		if (!same(&o, &first)) {
			say(why, "call %ld: ret %ld errno %d, first after exit: ret %ld errno %d",
			    calls, o.ret, o.err, first.ret, first.err);
			goto out;
		}
		cnt->dead_before_zombie++;
	}
	if (calls == RACE_MAX_CALLS || wait_state(owner, 0, 'Z')) {
		say(why, "the owner did not become a zombie (%ld calls)", calls);
		goto out;
	}
	memset(&ref, 0, sizeof(ref));
	do_call(-1, owner, RACE_NR, pages, query ? NULL : nodes[1], MPOL_MF_MOVE, &ref);
	do_call(fd, owner, RACE_NR, pages, query ? NULL : nodes[1], MPOL_MF_MOVE, &o);
	if (ref.err != EINVAL || !same(&first, &ref) || !same(&o, &ref)) {
		say(why, "zombie: native %ld/%d; first after exit %ld/%d; this %ld/%d",
		    ref.ret, ref.err, first.ret, first.err, o.ret, o.err);
		goto out;
	}
	waitpid(owner, NULL, 0);
	reaped = 1;
	do_call(-1, owner, RACE_NR, pages, query ? NULL : nodes[1], MPOL_MF_MOVE, &ref);
	do_call(fd, owner, RACE_NR, pages, query ? NULL : nodes[1], MPOL_MF_MOVE, &o);
	if (ref.err != ESRCH || !same(&o, &ref)) {
		say(why, "reaped: native ret %ld errno %d, this ret %ld errno %d",
		    ref.ret, ref.err, o.ret, o.err);
		goto out;
	}
	fail = 0;
out:
	if (go[1] >= 0)
		close(go[1]);
	if (owner > 0 && !reaped) {
		kill(owner, SIGKILL);
		waitpid(owner, NULL, 0);
	}
	close(ready[0]);
	munmap(region, RACE_NR * psz);
	return fail;
}

FIXTURE(exiting) {
	char *msg;	/* shared with the owner */
};

FIXTURE_VARIANT(exiting) {
	int query;
	int threaded;
};

FIXTURE_VARIANT_ADD(exiting, query) {
	.query = 1,
};

FIXTURE_VARIANT_ADD(exiting, move) {
	.query = 0,
};

#ifdef MP_THREADED
FIXTURE_VARIANT_ADD(exiting, threaded_query) {
	.query = 1,
	.threaded = 1,
};

FIXTURE_VARIANT_ADD(exiting, threaded_move) {
	.threaded = 1,
};
#endif

FIXTURE_SETUP(exiting)
{
	psz = sysconf(_SC_PAGESIZE);
	self->msg = mmap(NULL, 200, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->msg != MAP_FAILED);
}

FIXTURE_TEARDOWN(exiting)
{
	munmap(self->msg, 200);
}

TEST_F_TIMEOUT(exiting, calls_during_exit, 600)
{
	struct race_count cnt[2];
	char why[200] = "";
	int fd = mp_dev_open();

	ASSERT_LE(0, fd);
	memset(cnt, 0, sizeof(cnt));
	pin_cpu(0);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		for (int door = 0; door < 2; door++) {
			ASSERT_EQ(0, race_round(door ? fd : -1, variant->query, variant->threaded,
						self->msg, &cnt[door], why)) {
				TH_LOG("%s, round %d: %s", door ? "module" : "native", round, why);
			}
		}
	}
	for (int door = 0; door < 2; door++)
		ksft_print_msg("%s: %ld calls alive after go, %ld gone before Z, %d rounds\n",
			       door ? "module" : "native", cnt[door].live_after_go,
			       cnt[door].dead_before_zombie, RACE_ROUNDS);
	close(fd);
}

/*
 * 6. KSM pages moved with MPOL_MF_MOVE_ALL (diff_test's ksm_merged moves
 * them with MPOL_MF_MOVE). KSM_PAIRS pairs of identical pages, each pair
 * merged into one KSM page mapped twice, and KSM_UNIQUE pages that merge
 * with nothing. The request names both pages of pairs 0-7 for node 1 (the
 * second entry finds the page already queued), the first for node 1 and the
 * second for node 0 for pairs 8-11, only the first for pairs 12-15. ksmd is
 * stopped (run=0, merged pages stay merged) once the pages have merged, so
 * that it touches nothing during the call.
 */
#define KSM_PAIRS	16
#define KSM_UNIQUE	2
#define KSM_PAGES	(2 * KSM_PAIRS + KSM_UNIQUE)
#define ID_KSM		0x7000

struct ksm_run {
	struct outcome o;
	long merged_before, merged_after, shared;
	char msg[200];
};

static unsigned int ksm_id(int page)
{
	return page < 2 * KSM_PAIRS ? ID_KSM + page / 2 : ID_KSM + 0x100 + page;
}

static int ksm_slots(char *region, void **pages, int *nodes)
{
	int n = 0;

	for (int k = 0; k < KSM_PAIRS; k++) {
		char *a = region + 2L * k * psz;

		pages[n] = a;
		nodes[n++] = 1;
		if (k < 12) {
			pages[n] = a + psz;
			nodes[n++] = k < 8 ? 1 : 0;
		}
	}
	for (int j = 2 * KSM_PAIRS; j < KSM_PAGES; j++) {
		pages[n] = region + (long)j * psz;
		nodes[n++] = 1;
	}
	return n;
}

/* In a fresh child: merge, stop ksmd, move through the module if @door, check. */
static void ksm_child(int door, struct ksm_run *r)
{
	char *region = mmap(NULL, KSM_PAGES * psz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *pages[MAX_SLOTS], *all[KSM_PAGES];
	int nodes[MAX_SLOTS], fd = -1, n;
	char buf[32] = "";
	long scans;

	if (region == MAP_FAILED)
		_exit(1);
	madvise(region, KSM_PAGES * psz, MADV_NOHUGEPAGE);
	for (int i = 0; i < KSM_PAGES; i++) {
		mp_fill_page(region + (long)i * psz, ksm_id(i), psz);
		all[i] = region + (long)i * psz;
	}
	if (place(region, KSM_PAGES, 0)) {
		say(r->msg, "pages not placed on node 0");
		_exit(1);
	}
	if (write_str(KSM_DIR "run", "1") ||
	    madvise(region, KSM_PAGES * psz, MADV_MERGEABLE)) {
		say(r->msg, "KSM not started: %s", strerror(errno));
		_exit(1);
	}
	mp_ksm_wait_merged(2 * KSM_PAIRS, 5, 300, &scans);
	write_str(KSM_DIR "run", "0");
	r->merged_before = mp_ksm_merging_pages();
	if (!read_sysfs(KSM_DIR "pages_shared", buf, sizeof(buf)))
		r->shared = atol(buf);
	if (r->merged_before != 2 * KSM_PAIRS || r->shared < KSM_PAIRS) {
		say(r->msg,
		    "KSM did not merge: ksm_merging_pages %ld (want %d), pages_shared %ld, after %ld full scans",
		    r->merged_before, 2 * KSM_PAIRS, r->shared, scans);
		_exit(1);
	}
	if (native_move_pages(0, KSM_PAGES, all, NULL, r->o.final, 0)) {
		say(r->msg, "query: %s", strerror(errno));
		_exit(1);
	}
	for (int i = 0; i < KSM_PAGES; i++)
		if (r->o.final[i] != 0) {
			say(r->msg, "page %d on node %d after merging", i, r->o.final[i]);
			_exit(1);
		}
	if (door)
		fd = mp_dev_open();
	if (door && fd < 0) {
		say(r->msg, "open: %s", strerror(errno));
		_exit(1);
	}
	n = ksm_slots(region, pages, nodes);
	do_call(fd, 0, n, pages, nodes, MPOL_MF_MOVE_ALL, &r->o);
	r->merged_after = mp_ksm_merging_pages();
	if (native_move_pages(0, KSM_PAGES, all, NULL, r->o.final, 0))
		say(r->msg, "final query: %s", strerror(errno));
	r->o.nfinal = KSM_PAGES;
	for (int i = 0; i < KSM_PAGES; i++)
		r->o.corrupt += !mp_page_intact(region + (long)i * psz, ksm_id(i), psz);
	_exit(0);
}

FIXTURE(ksm) {
	/* The knobs as found, restored by the parent whatever happens to the test. */
	char run[16], pages_to_scan[16], sleep_millisecs[16];
	struct ksm_run *res;
};

FIXTURE_SETUP(ksm)
{
	psz = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, read_sysfs(KSM_DIR "run", self->run, sizeof(self->run)));
	ASSERT_EQ(0, read_sysfs(KSM_DIR "pages_to_scan", self->pages_to_scan,
				sizeof(self->pages_to_scan)));
	ASSERT_EQ(0, read_sysfs(KSM_DIR "sleep_millisecs", self->sleep_millisecs,
				sizeof(self->sleep_millisecs)));
	self->res = mmap(NULL, 2 * sizeof(struct ksm_run), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->res != MAP_FAILED);
}

FIXTURE_TEARDOWN_PARENT(ksm)
{
	if (self->run[0])
		write_str(KSM_DIR "run", self->run);
	if (self->pages_to_scan[0])
		write_str(KSM_DIR "pages_to_scan", self->pages_to_scan);
	if (self->sleep_millisecs[0])
		write_str(KSM_DIR "sleep_millisecs", self->sleep_millisecs);
	if (self->res != MAP_FAILED)
		munmap(self->res, 2 * sizeof(struct ksm_run));
}

TEST_F_TIMEOUT(ksm, move_all_same_as_native, 900)
{
	struct ksm_run *n = &self->res[0], *m = &self->res[1];

	ASSERT_EQ(0, write_str(KSM_DIR "pages_to_scan", "1000"));
	ASSERT_EQ(0, write_str(KSM_DIR "sleep_millisecs", "20"));
	memset(self->res, 0, 2 * sizeof(struct ksm_run));
	for (int door = 0; door < 2; door++) {
		struct ksm_run *r = &self->res[door];
		pid_t pid = fork();
		int st = 0;

		if (pid == 0)
			ksm_child(door, r);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st) && !r->msg[0]) {
			TH_LOG("%s run: %s (status %#x)", door ? "module" : "native", r->msg, st);
		}
	}
	print_outcome("native", &n->o);
	print_outcome("module", &m->o);
	ksft_print_msg("pages merged before and after the move: native %ld, %ld; module %ld, %ld\n",
		       n->merged_before, n->merged_after, m->merged_before, m->merged_after);
	ASSERT_TRUE(same(&n->o, &m->o));
	ASSERT_EQ(n->merged_after, m->merged_after);
}

/*
 * 7. One request of BIG_NR pages (400 MiB), all written with a pattern of
 * their own on node 0 and moved to node 1, by the native call and then by
 * the module, each in a child of its own (its memory freed before the next
 * one). Compared: the return value, errno, every status, the node of every
 * page afterwards (a query), and every page's contents. 64-bit only: the
 * compat path's array handling is the same for any size, and each run takes a
 * minute under the sanitizer kernel.
 */
#if __SIZEOF_LONG__ == 8
#define BIG_NR		102400

struct big_run {
	long ret;
	int err;
	int corrupt;
	long not_on_node0;	/* pages not on node 0 before the move */
	double secs;
	char msg[200];
	int status[BIG_NR];
	int final[BIG_NR];
};

/* Whether both nodes have room for the pages, with 64 MiB to spare. */
static int room_for_big(char *msg)
{
	long need = (long)BIG_NR * (psz / 1024) + 64 * 1024;

	for (int node = 0; node < 2; node++) {
		long free_kib = node_free_kib(node);

		if (free_kib < need) {
			say(msg, "node %d has %ld MiB free; the %d-page move needs %ld MiB there",
			    node, free_kib / 1024, BIG_NR, need / 1024);
			return -1;
		}
	}
	return 0;
}

static void big_child(int door, struct big_run *b)
{
	unsigned long node0 = 1;
	long len = (long)BIG_NR * psz;
	void **pages = malloc(BIG_NR * sizeof(void *));
	int *nodes = malloc(BIG_NR * sizeof(int));
	struct timespec t0, t1;
	int fd = -1;
	char *p;

	if (door)
		fd = mp_dev_open();
	if (!pages || !nodes || (door && fd < 0)) {
		say(b->msg, "setup: %s", strerror(errno));
		_exit(1);
	}
	/* Every page faulted in on node 0. */
	if (syscall(__NR_set_mempolicy, MPOL_BIND, &node0, 8 * sizeof(node0))) {
		say(b->msg, "set_mempolicy: %s", strerror(errno));
		_exit(1);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		say(b->msg, "mmap of %ld bytes: %s", len, strerror(errno));
		_exit(1);
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	for (long i = 0; i < BIG_NR; i++) {
		mp_fill_page(p + i * psz, i, psz);
		pages[i] = p + i * psz;
		nodes[i] = 1;
	}
	syscall(__NR_set_mempolicy, MPOL_DEFAULT, NULL, 0);
	if (native_move_pages(0, BIG_NR, pages, NULL, b->final, 0)) {
		say(b->msg, "query: %s", strerror(errno));
		_exit(1);
	}
	for (long i = 0; i < BIG_NR; i++)
		b->not_on_node0 += b->final[i] != 0;
	if (b->not_on_node0) {
		say(b->msg, "%ld pages not on node 0 before the move", b->not_on_node0);
		_exit(1);
	}
	for (long i = 0; i < BIG_NR; i++)
		b->status[i] = SENTINEL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	b->ret = fd < 0 ? native_move_pages(0, BIG_NR, pages, nodes, b->status, MPOL_MF_MOVE)
			: module_move_pages(fd, 0, BIG_NR, pages, nodes, b->status, MPOL_MF_MOVE);
	b->err = b->ret < 0 ? errno : 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	b->secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (long i = 0; i < BIG_NR; i++)
		b->final[i] = SENTINEL;
	if (native_move_pages(0, BIG_NR, pages, NULL, b->final, 0))
		say(b->msg, "final query: %s", strerror(errno));
	for (long i = 0; i < BIG_NR; i++)
		b->corrupt += !mp_page_intact(p + i * psz, i, psz);
	_exit(0);
}

FIXTURE(big) {
	struct big_run *res;
};

FIXTURE_SETUP(big)
{
	psz = sysconf(_SC_PAGESIZE);
	self->res = mmap(NULL, 2 * sizeof(struct big_run), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->res != MAP_FAILED);
	memset(self->res, 0, 2 * sizeof(struct big_run));
}

FIXTURE_TEARDOWN(big)
{
	munmap(self->res, 2 * sizeof(struct big_run));
}

TEST_F_TIMEOUT(big, move_102400_pages_same_as_native, 1500)
{
	struct big_run *res = self->res;
	long moved[2] = { 0, 0 };

	for (int door = 0; door < 2; door++) {
		struct big_run *b = &res[door];
		pid_t pid;
		int st = 0;

		ASSERT_EQ(0, room_for_big(b->msg)) {
			TH_LOG("before the %s run: %s", door ? "module" : "native", b->msg);
		}
		pid = fork();
		if (pid == 0)
			big_child(door, b);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st) && !b->msg[0]) {
			TH_LOG("%s run: %s (status %#x)", door ? "module" : "native", b->msg, st);
		}
		for (long i = 0; i < BIG_NR; i++)
			moved[door] += b->final[i] == 1;
		ksft_print_msg("%s: ret %ld errno %d, %ld of %d on node 1, %d corrupt, %.2f s\n",
			       door ? "module" : "native", b->ret, b->err, moved[door], BIG_NR,
			       b->corrupt, b->secs);
	}
	ASSERT_EQ(res[0].ret, res[1].ret);
	ASSERT_EQ(res[0].err, res[1].err);
	for (long i = 0; i < BIG_NR; i++) {
		ASSERT_EQ(res[0].status[i], res[1].status[i]) {
			TH_LOG("status[%ld]", i);
		}
		ASSERT_EQ(res[0].final[i], res[1].final[i]) {
			TH_LOG("node of page %ld afterwards", i);
		}
	}
	ASSERT_EQ(0, res[0].corrupt);
	ASSERT_EQ(0, res[1].corrupt);
}
#endif

TEST_HARNESS_MAIN
