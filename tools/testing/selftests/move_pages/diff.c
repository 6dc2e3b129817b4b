// SPDX-License-Identifier: GPL-2.0
/*
 * The differential engine: see diff.h.
 *
 * Process model of one run: the test process forks a caller. In T_SELF and
 * T_SELF_PID modes the caller owns the world too; in T_OTHER mode it forks an
 * owner that builds the world and waits. The owner builds its pages as root,
 * places them on their initial nodes with the native syscall, finishes what
 * placement would undo (half a THP unmapped, a page paged out...), forks a
 * sharer for K_FORK_SHARED pages and the forked THP, applies its part of the
 * spec's pressure, checks that every page kind is in effect, joins the node-0
 * cpuset if asked, then drops to its uid. The caller drops to its uid, makes
 * the one call under test, and the owner then queries where its pages ended
 * and checks their contents. Everything is reported through a MAP_SHARED
 * result block. Global settings a world needs are set by the test process
 * around its two runs (guest_prepare(), guest_restore()). A spec with a
 * concurrent mutator has four runs (see mp_diff()): the mutation is made by
 * the process that owns the world, after the call, before it, or from a
 * second thread (the owner, for another process's world) while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/io_uring.h>
#include <linux/userfaultfd.h>

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
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT	1
#endif
#ifndef MPOL_PREFERRED
#define MPOL_PREFERRED	1
#define MPOL_BIND	2
#endif

#ifndef BIT_ULL
#define BIT_ULL(nr)	(1ULL << (nr))
#endif

/* /proc/self/pagemap entries. */
#define PM_PFN(e)	((e) & (BIT_ULL(55) - 1))
#define PM_UFFD_WP	BIT_ULL(57)
#define PM_GUARD	BIT_ULL(58)
#define PM_FILE		BIT_ULL(61)
#define PM_SWAP		BIT_ULL(62)
#define PM_PRESENT	BIT_ULL(63)
/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_DIRTY	4
#define KPF_ANON	12
#define KPF_HEAD	15
#define KPF_TAIL	16
#define KPF_HUGE	17
#define KPF_THP		22
#define KPF_ZERO_PAGE	24

#define EXT2_MAGIC	0xEF53
#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define NODE0_HUGE	"/sys/devices/system/node/node0/hugepages/hugepages-2048kB/"
#define NODE1_HUGE	"/sys/devices/system/node/node1/hugepages/hugepages-2048kB/"

#define SENTINEL	(INT_MIN + 7)
#define MP_GUARD	4	/* ints checked on each side of the status array */
#define HUGE_SZ		(2UL << 20)
#define MTHP_SZ		(64UL << 10)
#define MTHP_PAGES	16
#define FRAG_SZ		(32UL << 20)
#define CPUSET_DIR	"/sys/fs/cgroup/mp_node0"
#define UNMAPPED_BASE	0x100000UL

enum path { NATIVE, MODULE };

struct run_result {
	long ret;
	int err;
	int setup_failed;
	int corrupt;		/* pages whose contents changed */
	int lost_wp;		/* K_UFFD_WP pages no longer write-protected */
	/*
	 * Slots whose page is in a THP after the call (root only). Reported,
	 * not compared: whether the migration core moves a large folio whole
	 * or splits it depends on the moment (an mTHP is split now and then,
	 * natively too).
	 */
	int large_after;
	int status[MP_MAX_SLOTS];
	int guard[2 * MP_GUARD];	/* the ints around the status array afterwards */
	int final[MP_MAX_SLOTS];	/* node of each address afterwards */
	uintptr_t addrs[MP_MAX_SLOTS];
	long long call_ns[2];	/* CLOCK_MONOTONIC: the call began, returned */
	long long mutated_ns;	/* the mutator began its mutation */
	char msg[160];
};

struct shared {
	struct run_result res[4];	/* native, module; raced specs: serial after, before */
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
	char *huge_zero;	/* 2 MiB aligned, read-faulted */
	char *thp_part;		/* a THP; its second half unmapped after placement */
	char *thp_mprot;	/* a THP; its middle made read-only after placement */
	char *mthp;		/* 64 KiB aligned and long */
	char *thp_forked;	/* a THP the sharer maps too */
	char *hugetlbfs;	/* a hugetlbfs file's 2 MiB page, MAP_SHARED */
	char *own[MP_MAX_SLOTS];	/* the page slot i has to itself, or NULL */
	int memfd, shmid, uffd, file_fd;
	int pin_pipe[2], ring;	/* hold the K_PINNED_* pages */
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

static long mbind_node(void *p, size_t len, int mode, int node)
{
	unsigned long mask = 1UL << node;

	return syscall(__NR_mbind, p, len, mode, &mask, 8 * sizeof(mask), 0);
}

/* A 2 MiB aligned anonymous region asking for a THP. */
static char *map_thp(void)
{
	char *raw = map_anon(2 * HUGE_SZ, 0), *p;

	if (!raw)
		return NULL;
	p = (char *)(((uintptr_t)raw + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
	madvise(p, HUGE_SZ, MADV_HUGEPAGE);
	/*
	 * Made on node 0 whatever CPU runs the owner: a THP fault tries only
	 * the preferred node, and node 1 may have no free 2 MiB block
	 * (P_NO_HUGE_BLOCK). Placement moves it where the slot wants it.
	 */
	mbind_node(p, HUGE_SZ, MPOL_PREFERRED, 0);
	return p;
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
	ID_THP_PART = 0xa000,
	ID_THP_MPROT = 0xb000,
	ID_MTHP = 0xc000,
	ID_THP_FORKED = 0xd000,
	ID_HUGETLBFS = 0xe000,
	ID_OWN = 0x10000,
	ID_FILE = 0x11000,
};

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

/* Set up once per program by mp_diff_setup_kinds(); empty when not. */
static char ext2_dir[64], zram_dev[32];

static void touch_read(const void *p)
{
	char c = __atomic_load_n((const char *)p, __ATOMIC_RELAXED);

	/* The load must happen: nothing uses its value. */
	asm volatile("" : : "r"(c));
}

/* A 2 MiB aligned THP (or what the fault gave) filled with patterns id, id + 1, ... */
static char *map_thp_filled(unsigned int id)
{
	char *p = map_thp();

	if (p)
		for (int i = 0; i < MP_THP_PAGES; i++)
			mp_fill_page(p + i * psz, id + i, psz);
	return p;
}

/* @len bytes of anonymous memory aligned to @align, nothing else in their vma. */
static char *map_aligned(size_t len, size_t align)
{
	char *raw = map_anon(len + align, 0), *p;
	size_t head;

	if (!raw)
		return NULL;
	p = (char *)(((uintptr_t)raw + align - 1) & ~(align - 1));
	head = p - raw;
	if (head)
		munmap(raw, head);
	munmap(p + len, align - head);
	return p;
}

/* Entry @index of an array of 64-bit words in a /proc file, or 0. */
static u64 proc_u64(const char *path, u64 index)
{
	u64 v = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &v, sizeof(v), (off_t)(index * sizeof(v))) != sizeof(v))
		v = 0;
	close(fd);
	return v;
}

/* The /proc/self/pagemap entry of @p (the PFN only for root). */
static u64 pagemap_entry(const void *p)
{
	return proc_u64("/proc/self/pagemap", (uintptr_t)p / psz);
}

static u64 kpage_flags(u64 pfn)
{
	return proc_u64("/proc/kpageflags", pfn);
}

/* The kpageflags of the page mapped at @p, or 0 when none is. */
static u64 page_flags(const void *p)
{
	u64 e = pagemap_entry(p);

	return (e & PM_PRESENT) && PM_PFN(e) ? kpage_flags(PM_PFN(e)) : 0;
}

/*
 * The line of /proc/self/@file describing the vma that contains @p, or the
 * first one named @name when @p is NULL, and in smaps the line starting with
 * @field after it. Returns the vma's start, 0 when not found.
 */
static uintptr_t vma_line(const char *file, const void *p, const char *name,
			  const char *field, char *out, size_t len)
{
	char path[32], line[512];
	unsigned long start, end;
	uintptr_t found = 0;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &n) == 2 && n) {
			if (found)
				break;
			line[strcspn(line, "\n")] = 0;
			if (p ? start <= (uintptr_t)p && (uintptr_t)p < end
			      : !strcmp(line + n, name)) {
				found = start;
				snprintf(out, len, "%s", line);
				if (!field)
					break;
			}
		} else if (found && field && !strncmp(line, field, strlen(field))) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, len, "%s", line);
			break;
		}
		n = 0;
	}
	fclose(f);
	return found;
}

/* Whether the vma containing @p has the VmFlags mnemonic @flag (smaps). */
static int vma_flag(const void *p, const char *flag)
{
	char line[256] = "", *at;

	if (!vma_line("smaps", p, NULL, "VmFlags:", line, sizeof(line)))
		return 0;
	for (at = strstr(line, flag); at; at = strstr(at + 1, flag))
		if (at[-1] == ' ' && (at[2] == ' ' || !at[2]))
			return 1;
	return 0;
}

/* The permissions ("rwxp") of the vma containing @p, or "" if none does. */
static void vma_perms(const void *p, char perms[5])
{
	char line[512];

	perms[0] = 0;
	if (vma_line("maps", p, NULL, NULL, line, sizeof(line)))
		sscanf(line, "%*s %4s", perms);
}

static long node1_free_hugetlb(void)
{
	char buf[32];

	return read_sysfs(NODE1_HUGE "free_hugepages", buf, sizeof(buf)) ? -1 : atol(buf);
}

/* Free blocks of 2 MiB or more on node 1 (in 2 MiB units), from /proc/buddyinfo. */
static long node1_free_huge_blocks(void)
{
	FILE *f = fopen("/proc/buddyinfo", "r");
	char line[512];
	long blocks = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		int node, n = 0;

		if (sscanf(line, "Node %d, zone %*s %n", &node, &n) != 1 || !n || node != 1)
			continue;
		p += n;
		for (int order = 0;; order++) {
			char *next;
			long count = strtol(p, &next, 10);

			if (next == p)
				break;
			if (order >= 9)
				blocks += count << (order - 9);
			p = next;
		}
	}
	fclose(f);
	return blocks;
}

/* A world whose page kind or condition did not take effect: a failure, not a skip. */
static __printf(2, 3) int not_built(struct run_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	res->setup_failed = 1;
	return -1;
}

/* The 2 MiB page of a hugetlbfs file, MAP_SHARED, filled. */
static int build_hugetlbfs(struct world *w, struct run_result *res)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/hugepages/mp_diff.%d", getpid());
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return not_built(res, "hugetlbfs file %s: %s", path, strerror(errno));
	unlink(path);
	w->hugetlbfs = ftruncate(fd, HUGE_SZ) ? MAP_FAILED :
		       mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (w->hugetlbfs == MAP_FAILED) {
		w->hugetlbfs = NULL;
		return not_built(res, "hugetlbfs mapping: %s", strerror(errno));
	}
	for (int p = 0; p < MP_THP_PAGES; p++)
		mp_fill_page(w->hugetlbfs + p * psz, ID_HUGETLBFS + p, psz);
	return 0;
}

static int is_file_kind(int k)
{
	return k == K_FILE_CLEAN || k == K_FILE_DIRTY || k == K_FILE_PRIVATE || k == K_FILE_COW;
}

/*
 * A file on the ext2 file system: page i holds pattern ID_FILE + i for every
 * file-kind slot i, written and synced, so that the page cache is clean.
 */
static int build_file(struct world *w, struct run_result *res)
{
	char path[96], *buf = malloc(psz);
	struct statfs sfs;

	if (!ext2_dir[0] || !buf) {
		free(buf);
		return not_built(res, "no ext2 file system (mp_diff_setup_kinds)");
	}
	snprintf(path, sizeof(path), "%s/f.%d", ext2_dir, getpid());
	w->file_fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
	unlink(path);
	if (w->file_fd < 0 || ftruncate(w->file_fd, (off_t)w->nr * psz))
		goto fail;
	for (int i = 0; i < w->nr; i++) {
		if (!is_file_kind(w->slots[i].kind))
			continue;
		mp_fill_page(buf, ID_FILE + i, psz);
		if (pwrite(w->file_fd, buf, psz, (off_t)i * psz) != psz)
			goto fail;
	}
	if (fsync(w->file_fd) || fstatfs(w->file_fd, &sfs))
		goto fail;
	free(buf);
	if (sfs.f_type != EXT2_MAGIC)
		return not_built(res, "%s is not on ext2 (f_type %#lx)", path,
				 (unsigned long)sfs.f_type);
	return 0;
fail:
	free(buf);
	return not_built(res, "file %s: %s", path, strerror(errno));
}

/* The regions of the kinds that share one (a THP, an mTHP, a file...). */
static int build_kind_regions(struct world *w, struct run_result *res)
{
	int nfile = 0;

	w->uffd = -1;
	w->file_fd = -1;
	for (int i = 0; i < w->nr; i++)
		nfile += is_file_kind(w->slots[i].kind);
	if (count_kind(w, K_HUGE_ZERO)) {
		w->huge_zero = map_thp();
		if (!w->huge_zero)
			return not_built(res, "huge zero page region: %s", strerror(errno));
		/* A read fault in a MADV_HUGEPAGE range maps the huge zero page. */
		touch_read(w->huge_zero);
	}
	if (count_kind(w, K_THP_PART_UNMAPPED)) {
		w->thp_part = map_thp_filled(ID_THP_PART);
		if (!w->thp_part)
			return not_built(res, "THP region: %s", strerror(errno));
	}
	if (count_kind(w, K_THP_MPROTECTED)) {
		w->thp_mprot = map_thp_filled(ID_THP_MPROT);
		if (!w->thp_mprot)
			return not_built(res, "THP region: %s", strerror(errno));
	}
	if (count_kind(w, K_THP_FORKED)) {
		w->thp_forked = map_thp_filled(ID_THP_FORKED);
		if (!w->thp_forked)
			return not_built(res, "THP region: %s", strerror(errno));
	}
	if (count_kind(w, K_MTHP)) {
		/* 64 KiB alone in its vma: no larger folio fits it. */
		w->mthp = map_aligned(MTHP_SZ, MTHP_SZ);
		if (!w->mthp || madvise(w->mthp, MTHP_SZ, MADV_HUGEPAGE))
			return not_built(res, "mTHP region: %s", strerror(errno));
		for (int p = 0; p < MTHP_PAGES; p++)
			mp_fill_page(w->mthp + p * psz, ID_MTHP + p, psz);
	}
	if (count_kind(w, K_HUGETLBFS) && build_hugetlbfs(w, res))
		return -1;
	if (nfile && build_file(w, res))
		return -1;
	if (count_kind(w, K_UFFD_MISSING) || count_kind(w, K_UFFD_WP)) {
		struct uffdio_api api = { .api = UFFD_API };

		w->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		if (w->uffd < 0 || ioctl(w->uffd, UFFDIO_API, &api))
			return not_built(res, "userfaultfd: %s", strerror(errno));
	}
	return 0;
}

static int uffd_register(int uffd, void *p, size_t len, unsigned long long mode)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = mode,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg);
}

/* Slot @i of a kind after K_KSM: its address, page and pattern. */
static int build_kind_slot(struct world *w, int i, struct run_result *res)
{
	const struct mp_slot *s = &w->slots[i];
	static const char * const special[] = {
		[K_VVAR] = "[vvar]", [K_VVAR_VCLOCK] = "[vvar_vclock]", [K_VDSO] = "[vdso]",
	};
	char line[512];
	char *page = NULL;
	uintptr_t addr = 0;
	unsigned int fill = 0;
	int k = s->kind;

	switch (k) {
	case K_HUGE_ZERO:
		addr = (uintptr_t)(w->huge_zero + s->idx % MP_THP_PAGES * psz);
		break;
	case K_THP_PART_UNMAPPED:
		page = w->thp_part + s->idx % (MP_THP_PAGES / 2) * psz;
		fill = ID_THP_PART + s->idx % (MP_THP_PAGES / 2);
		break;
	case K_THP_MPROTECTED:
		page = w->thp_mprot + s->idx % MP_THP_PAGES * psz;
		fill = ID_THP_MPROT + s->idx % MP_THP_PAGES;
		break;
	case K_THP_FORKED:
		page = w->thp_forked + s->idx % MP_THP_PAGES * psz;
		fill = ID_THP_FORKED + s->idx % MP_THP_PAGES;
		break;
	case K_MTHP:
		page = w->mthp + s->idx % MTHP_PAGES * psz;
		fill = ID_MTHP + s->idx % MTHP_PAGES;
		break;
	case K_HUGETLBFS:
		page = w->hugetlbfs + s->idx % MP_THP_PAGES * psz;
		fill = ID_HUGETLBFS + s->idx % MP_THP_PAGES;
		break;
	case K_VVAR:
	case K_VVAR_VCLOCK:
	case K_VDSO:
		addr = vma_line("maps", NULL, special[k], NULL, line, sizeof(line));
		if (!addr)
			return not_built(res, "slot %d: no %s mapping", i, special[k]);
		/* [vvar_vclock] has no page under emulation: a read would fault. */
		if (k != K_VVAR_VCLOCK)
			touch_read((void *)addr);
		break;
	case K_PROT_NONE:
	case K_UFFD_WP:
	case K_SWAPPED:
	case K_PINNED_PIPE:
	case K_PINNED_URING:
		page = map_anon(psz, 0);
		w->own[i] = page;
		if (!page)
			return not_built(res, "slot %d: %s", i, strerror(errno));
		fill = ID_OWN + i;
		mp_fill_page(page, fill, psz);
		break;
	case K_GUARD:
	case K_UFFD_MISSING:
		w->own[i] = map_anon(psz, 0);
		addr = (uintptr_t)w->own[i];
		if (!w->own[i] ||
		    (k == K_GUARD ? madvise(w->own[i], psz, MADV_GUARD_INSTALL) :
		     uffd_register(w->uffd, w->own[i], psz, UFFDIO_REGISTER_MODE_MISSING)))
			return not_built(res, "slot %d: %s: %s", i,
					 k == K_GUARD ? "MADV_GUARD_INSTALL" : "UFFDIO_REGISTER",
					 strerror(errno));
		break;
	case K_FILE_CLEAN:
	case K_FILE_DIRTY:
	case K_FILE_PRIVATE:
	case K_FILE_COW:
		page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
			    k == K_FILE_CLEAN || k == K_FILE_DIRTY ? MAP_SHARED : MAP_PRIVATE,
			    w->file_fd, (off_t)i * psz);
		if (page == MAP_FAILED)
			return not_built(res, "slot %d: file mapping: %s", i, strerror(errno));
		w->own[i] = page;
		fill = ID_FILE + i;
		/* Writing the bytes the page holds: dirties it, or makes the copy. */
		if (k == K_FILE_DIRTY || k == K_FILE_COW)
			mp_fill_page(page, fill, psz);
		else
			touch_read(page);
		break;
	case K_TEXT:
		/*
		 * Placed like any page, not checked (fill 0): it is the code
		 * running. A forked world does not inherit the parent's text
		 * page table entries: read the page so that it is mapped here.
		 */
		addr = (uintptr_t)&mp_diff;
		page = (char *)(addr & ~(uintptr_t)(psz - 1));
		touch_read(page);
		break;
	case K_IN_PAGES:
	case K_IN_NODES:
	case K_IN_STATUS:
		/* The arrays are made for the call: build_args() sets the address. */
		break;
	default:
		return not_built(res, "slot %d: unknown kind %d", i, k);
	}
	w->addr[i] = addr ? addr : (uintptr_t)page;
	w->page[i] = page;
	w->fill[i] = fill;
	return 0;
}

/*
 * After placement: what would be undone by moving the pages into place (a
 * THP partly unmapped is split when migrated) or would stop it (swapped out).
 */
/*
 * The K_PINNED_PIPE pages, placed, go into one pipe: each pipe buffer holds
 * a reference to its page until the owner exits.
 */
static int pin_by_pipe(struct world *w, struct run_result *res)
{
	int n = count_kind(w, K_PINNED_PIPE);

	if (pipe(w->pin_pipe))
		return not_built(res, "pipe: %s", strerror(errno));
	if (n > 16 && fcntl(w->pin_pipe[1], F_SETPIPE_SZ, n * psz) < 0)
		return not_built(res, "pipe of %d pages: %s", n, strerror(errno));
	for (int i = 0; i < w->nr; i++) {
		struct iovec iov = { .iov_base = w->own[i], .iov_len = psz };

		if (w->slots[i].kind == K_PINNED_PIPE &&
		    vmsplice(w->pin_pipe[1], &iov, 1, 0) != psz)
			return not_built(res, "slot %d: vmsplice: %s", i, strerror(errno));
	}
	return 0;
}

/* The K_PINNED_URING pages, placed, become the fixed buffers of one ring. */
static int pin_by_uring(struct world *w, struct run_result *res)
{
	static struct iovec iov[MP_MAX_SLOTS];
	struct io_uring_params p = { 0 };
	int n = 0;

	w->ring = syscall(__NR_io_uring_setup, 4, &p);
	if (w->ring < 0)
		return not_built(res, "io_uring_setup: %s", strerror(errno));
	for (int i = 0; i < w->nr; i++)
		if (w->slots[i].kind == K_PINNED_URING)
			iov[n++] = (struct iovec){ .iov_base = w->own[i], .iov_len = psz };
	if (syscall(__NR_io_uring_register, w->ring, IORING_REGISTER_BUFFERS, iov, n)) {
		int err = errno;

		close(w->ring);
		w->ring = -1;
		return not_built(res, "io_uring fixed buffers: %s", strerror(err));
	}
	return 0;
}

static int finish_world(struct world *w, struct run_result *res)
{
	w->ring = -1;
	if (count_kind(w, K_PINNED_PIPE) && pin_by_pipe(w, res))
		return -1;
	if (count_kind(w, K_PINNED_URING) && pin_by_uring(w, res))
		return -1;
	if (w->thp_part && munmap(w->thp_part + HUGE_SZ / 2, HUGE_SZ / 2))
		return not_built(res, "munmap of half a THP: %s", strerror(errno));
	if (w->thp_mprot && mprotect(w->thp_mprot + HUGE_SZ / 4, HUGE_SZ / 2, PROT_READ))
		return not_built(res, "mprotect of part of a THP: %s", strerror(errno));
	for (int i = 0; i < w->nr; i++) {
		struct uffdio_writeprotect wp = {
			.range = { .start = (uintptr_t)w->own[i], .len = psz },
			.mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};
		int k = w->slots[i].kind;

		if (k == K_PROT_NONE && mprotect(w->own[i], psz, PROT_NONE))
			return not_built(res, "slot %d: mprotect: %s", i, strerror(errno));
		if (k == K_UFFD_WP &&
		    (uffd_register(w->uffd, w->own[i], psz, UFFDIO_REGISTER_MODE_WP) ||
		     ioctl(w->uffd, UFFDIO_WRITEPROTECT, &wp)))
			return not_built(res, "slot %d: userfaultfd write-protect: %s", i,
					 strerror(errno));
		/* Reclaim may keep the page a round or two (LRU caches): try again. */
		for (int t = 0; k == K_SWAPPED && t < 20; t++) {
			if (pagemap_entry(w->own[i]) & PM_SWAP)
				break;
			madvise(w->own[i], psz, MADV_PAGEOUT);
			usleep(t ? 20000 : 0);
		}
	}
	return 0;
}

/* Whether the 64 KiB at @p are one folio of 16 pages, by their PFNs and kpageflags. */
static int is_mthp(const char *p)
{
	const u64 head = BIT_ULL(KPF_HEAD) | BIT_ULL(KPF_THP);
	u64 e = pagemap_entry(p), pfn = PM_PFN(e);

	if (!(e & PM_PRESENT) || !pfn || pfn % MTHP_PAGES || (kpage_flags(pfn) & head) != head)
		return 0;
	for (int j = 1; j < MTHP_PAGES; j++)
		if (PM_PFN(pagemap_entry(p + j * psz)) != pfn + j ||
		    !(kpage_flags(pfn + j) & BIT_ULL(KPF_TAIL)))
			return 0;
	/* The page after it is no tail: the folio is not larger. */
	return !(kpage_flags(pfn + MTHP_PAGES) & BIT_ULL(KPF_TAIL));
}

/*
 * Whether slot @i is the kind of page it should be, from this process's
 * pagemap and the kernel's page flags (root only) and smaps; the kinds
 * before K_HUGE_ZERO are not checked here. Returns what it is not, or NULL.
 */
static const char *kind_missing(struct world *w, int i)
{
	const char *p = (const char *)w->addr[i];
	u64 e = pagemap_entry(p), fl = page_flags(p);
	int present = !!(e & PM_PRESENT);
	char perms[5];

	switch (w->slots[i].kind) {
	case K_HUGE_ZERO:
		return present && (fl & BIT_ULL(KPF_ZERO_PAGE)) && (fl & BIT_ULL(KPF_THP)) ?
		       NULL : "the huge zero page";
	case K_THP_PART_UNMAPPED:
	case K_THP_MPROTECTED:
		/* A THP folio, and no part of its vma mapped by a PMD. */
		return (fl & BIT_ULL(KPF_THP)) && anon_huge_kib(p) == 0 ?
		       NULL : "a THP mapped by PTEs";
	case K_MTHP:
		return is_mthp(w->mthp) ? NULL : "a 64 KiB mTHP";
	case K_THP_FORKED:
		return (fl & BIT_ULL(KPF_THP)) && anon_huge_kib(p) >= (long)(HUGE_SZ / 1024) &&
		       proc_u64("/proc/kpagecount", PM_PFN(e)) >= 2 ?
		       NULL : "a THP mapped by two processes";
	case K_HUGETLBFS:
		return fl & BIT_ULL(KPF_HUGE) ? NULL : "a hugetlb page";
	case K_VVAR:
		/* Pages (generic vDSO data store), or PFNs pagemap cannot see (older). */
		return (present && vma_flag(p, "mm")) || vma_flag(p, "pf") ?
		       NULL : "a present page of a VM_MIXEDMAP vma, or in a VM_PFNMAP one";
	case K_VVAR_VCLOCK:
		return vma_flag(p, "pf") && vma_flag(p, "io") ? NULL : "in a VM_PFNMAP | VM_IO vma";
	case K_VDSO:
		return present ? NULL : "a present page";
	case K_PROT_NONE:
		vma_perms(p, perms);
		return present && !strncmp(perms, "---", 3) ? NULL : "a present PROT_NONE page";
	case K_GUARD:
		return e & PM_GUARD ? NULL : "a guard page";
	case K_UFFD_MISSING:
		return !present && vma_flag(p, "um") ? NULL : "an empty userfaultfd MISSING page";
	case K_UFFD_WP:
		return present && (e & PM_UFFD_WP) && vma_flag(p, "uw") ?
		       NULL : "a userfaultfd write-protected page";
	case K_FILE_CLEAN:
		return (e & PM_FILE) && fl && !(fl & (BIT_ULL(KPF_ANON) | BIT_ULL(KPF_DIRTY))) ?
		       NULL : "a clean page cache page";
	case K_FILE_DIRTY:
		return (e & PM_FILE) && !(fl & BIT_ULL(KPF_ANON)) && (fl & BIT_ULL(KPF_DIRTY)) ?
		       NULL : "a dirty page cache page";
	case K_FILE_PRIVATE:
		return (e & PM_FILE) && fl && !(fl & BIT_ULL(KPF_ANON)) ?
		       NULL : "a page cache page";
	case K_FILE_COW:
		return present && !(e & PM_FILE) && (fl & BIT_ULL(KPF_ANON)) ?
		       NULL : "an anonymous copy of a file page";
	case K_TEXT:
		vma_perms(p, perms);
		return present && (e & PM_FILE) && perms[2] == 'x' ? NULL : "a present text page";
	case K_SWAPPED:
		return e & PM_SWAP ? NULL : "a swapped-out page";
	case K_PINNED_PIPE: {
		int queued = 0;

		/* Nothing has read the pipe: it holds every page it was given. */
		return present && !ioctl(w->pin_pipe[0], FIONREAD, &queued) &&
		       queued == count_kind(w, K_PINNED_PIPE) * psz ?
		       NULL : "a present page held by a pipe";
	}
	case K_PINNED_URING:
		return present && w->ring >= 0 ? NULL : "a present io_uring fixed buffer";
	}
	return NULL;
}

/*
 * The owner's part of the spec's pressure, then the check that every page
 * kind and the pressure are in effect right before the call.
 */
static int owner_pressure_and_check(const struct mp_spec *s, struct world *w,
				    struct run_result *res)
{
	long left;

	if (s->pressure == P_HUGETLB_EXHAUSTED) {
		/* Hold every free hugetlb page of node 1 until the owner exits. */
		long free = node1_free_hugetlb();
		char *hold = free > 0 ? map_anon(free * HUGE_SZ, MAP_HUGETLB) : NULL;

		if (free > 0 && (!hold || mbind_node(hold, free * HUGE_SZ, MPOL_BIND, 1)))
			return not_built(res, "holding %ld hugetlb pages of node 1: %s", free,
					 strerror(errno));
		for (long h = 0; hold && h < free; h++)
			hold[h * HUGE_SZ] = 1;
		left = node1_free_hugetlb();
		if (left)
			return not_built(res, "node 1 has %ld free hugetlb pages", left);
	}
	if (s->pressure == P_NO_HUGE_BLOCK) {
		/*
		 * Blocks freed since the set-up (a run's exit), or that compaction
		 * can empty, go to the pool too: the call's compaction finds none.
		 */
		for (int t = 0; t < 3 && (!t || node1_free_huge_blocks()); t++)
			write_str(NODE1_HUGE "nr_hugepages", "100000");
		left = node1_free_huge_blocks();
		if (left)
			return not_built(res, "node 1 has %ld free 2 MiB blocks", left);
		if (!w->thp || anon_huge_kib(w->thp) < (long)(HUGE_SZ / 1024))
			return not_built(res, "no THP to move");
	}
	for (int i = 0; i < w->nr; i++) {
		const char *missing = w->slots[i].kind > K_KSM ? kind_missing(w, i) : NULL;

		if (missing)
			return not_built(res, "slot %d (kind %d) is not %s (pagemap %#llx)", i,
					 w->slots[i].kind, missing,
					 (unsigned long long)pagemap_entry((void *)w->addr[i]));
	}
	return 0;
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
		mp_fill_page(w->anon, ID_NEIGHBOUR, psz);
		mp_fill_page(w->anon + w->anon_len - psz, ID_NEIGHBOUR + 1, psz);
	}
	w->forked = nforked ? map_anon(nforked * psz, 0) : NULL;
	w->ksm = nksm ? map_anon(2 * nksm * psz, 0) : NULL;
	nthp = count_kind(w, K_THP);
	w->thp = nthp ? map_thp() : NULL;
	if ((nanon && !w->anon) || (nforked && !w->forked) ||
	    (nksm && !w->ksm) || (nthp && !w->thp))
		goto oom;
	if (build_kind_regions(w, res))
		return -1;
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
			mp_fill_page(w->memfd_shared + p * psz, ID_MEMFD + p, psz);
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
			mp_fill_page(w->shm + p * psz, ID_SHM + p, psz);
	}
	if (w->thp)
		for (int p = 0; p < MP_THP_PAGES; p++)
			mp_fill_page(w->thp + p * psz, ID_THP + p, psz);
	if (w->hugetlb)
		for (int p = 0; p < MP_THP_PAGES; p++)
			mp_fill_page(w->hugetlb + p * psz, ID_HUGETLB + p, psz);

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
			mp_fill_page(page, w->fill[i], psz);
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
			mp_fill_page(page, w->fill[i], psz);
			addr = (uintptr_t)page;
			break;
		case K_KSM:
			page = w->ksm + 2 * ksm++ * psz;
			/* Every KSM page identical, so that they merge. */
			w->fill[i] = ID_KSM;
			mp_fill_page(page, ID_KSM, psz);
			mp_fill_page(page + psz, ID_KSM, psz);
			addr = (uintptr_t)page;
			break;
		default:
			if (build_kind_slot(w, i, res))
				return -1;
			continue;
		}
		w->addr[i] = addr;
		w->page[i] = page;
	}
	if (nksm) {
		long scans, merged;

		madvise(w->ksm, 2 * nksm * psz, MADV_MERGEABLE);
		merged = mp_ksm_wait_merged(2 * nksm, 5, 300, &scans);
		if (merged < 2 * nksm)
			return not_built(res,
					 "KSM did not merge: %ld of %d pages after %ld full scans",
					 merged, 2 * nksm, scans);
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
	size_t n = count_kind(w, K_FORK_SHARED) + count_kind(w, K_THP_FORKED);

	if (!n)
		return;
	/* Only the K_FORK_SHARED pages and the forked THP may be mapped twice. */
	dontfork(w->anon, w->anon_len);
	dontfork(w->huge_zero, HUGE_SZ);
	dontfork(w->thp_part, HUGE_SZ / 2);
	dontfork(w->thp_mprot, HUGE_SZ);
	dontfork(w->mthp, MTHP_SZ);
	dontfork(w->hugetlbfs, HUGE_SZ);
	for (int i = 0; i < w->nr; i++)
		dontfork(w->own[i], psz);
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
	for (int i = 0; i < w->nr; i++) {
		if (w->slots[i].kind == K_PROT_NONE && w->own[i])
			mprotect(w->own[i], psz, PROT_READ);
		/* Migration keeps the write protection of userfaultfd. */
		/* (Not a page a mutator unmapped or dropped: forget_page().) */
		if (w->slots[i].kind == K_UFFD_WP && w->fill[i] &&
		    !(pagemap_entry(w->page[i]) & PM_UFFD_WP))
			res->lost_wp++;
	}
	for (int i = 0; i < w->nr; i++) {
		if (w->page[i] && w->fill[i] && !mp_page_intact(w->page[i], w->fill[i], psz))
			res->corrupt++;
		/* Moved whole, or split (to a node without a free 2 MiB block). */
		if (w->page[i] && (page_flags(w->page[i]) & BIT_ULL(KPF_THP)))
			res->large_after++;
	}
	if (w->anon) {
		void *nb[2] = { w->anon, w->anon + w->anon_len - psz };
		int where[2] = { SENTINEL, SENTINEL };

		native_move_pages(0, 2, nb, NULL, where, 0);
		/* Counted with the corrupted pages: moved or changed, it is wrong. */
		for (int k = 0; k < 2; k++)
			res->corrupt += where[k] != w->nb_node[k] ||
					!mp_page_intact(nb[k], ID_NEIGHBOUR + k, psz);
	}
}

/* The argument arrays of the call, with the spec's faults and places. */
struct args {
	void **pages;
	int *nodes;
	int *status;
	int status_len;	/* entries of status readable afterwards */
	int *guard;	/* MP_GUARD ints before status and MP_GUARD after, or NULL */
};

/* Place an array so that element @at is the first of an unmapped page. */
static void *array_faulting_at(size_t elem, int at)
{
	size_t before = (size_t)at * elem;
	size_t len = ((before + psz - 1) / psz + 1) * psz;
	char *p = map_anon(len + psz, 0);

	if (!p || mbind_node(p, len + psz, MPOL_PREFERRED, 0))
		return NULL;
	munmap(p + len, psz);
	return p + len - before;
}

/*
 * The caller's userfaultfd for the A_UFFD arrays, made while the caller is
 * still root (a user's userfaultfd would not handle the kernel's faults),
 * and what its handler thread serves: each range's contents come from a
 * shadow copy, page by page, as the call faults them in.
 */
static struct caller_uffd {
	int fd;
	int act;
	struct world *w;
	int slot;		/* the slot the first fault acts on, or -1 */
	int acted;
	struct {
		char *base, *shadow;
		size_t len;
	} range[NR_ARRAYS];
} cu = { .fd = -1 };

/* Pages of the program or the kernel's, which the handler must leave alone. */
static int is_special_kind(int k)
{
	return k == K_TEXT || k == K_VVAR || k == K_VVAR_VCLOCK || k == K_VDSO ||
	       k >= K_IN_PAGES;
}

/*
 * The contents of @page are no longer there to check (every slot on that
 * page); @unreadable: nor is the page itself to be looked at.
 */
static void forget_page(struct world *w, const char *page, int unreadable)
{
	for (int i = 0; i < w->nr; i++)
		if (w->page[i] == page) {
			w->fill[i] = 0;
			w->page[i] = unreadable ? NULL : w->page[i];
		}
}

/* What the handler does to the page of slot cu.slot, once (see enum mp_uffd_act). */
static void uffd_act_on_slot(void)
{
	struct world *w = cu.w;
	char *page = (char *)(w->addr[cu.slot] & ~(uintptr_t)(psz - 1));

	switch (cu.act) {
	case U_UNMAP_SLOT:
		munmap(page, psz);
		break;
	case U_PROTECT_SLOT:
		mprotect(page, psz, PROT_NONE);
		break;
	case U_DONTNEED_SLOT:
		madvise(page, psz, MADV_DONTNEED);
		break;
	}
	forget_page(w, page, cu.act == U_PROTECT_SLOT);
}

static void *uffd_handler(void *arg)
{
	(void)arg;
	for (;;) {
		struct uffd_msg msg;
		struct uffdio_copy copy = { .len = psz };
		uintptr_t at;

		if (read(cu.fd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return NULL;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		at = msg.arg.pagefault.address & ~(uintptr_t)(psz - 1);
		if (cu.act == U_LATE)
			usleep(20000);
		if (cu.act >= U_UNMAP_SLOT && cu.slot >= 0 && !cu.acted) {
			cu.acted = 1;
			uffd_act_on_slot();
		}
		for (int r = 0; r < NR_ARRAYS; r++) {
			if (!cu.range[r].base || at < (uintptr_t)cu.range[r].base ||
			    at >= (uintptr_t)cu.range[r].base + cu.range[r].len)
				continue;
			copy.dst = at;
			copy.src = (uintptr_t)cu.range[r].shadow +
				   (at - (uintptr_t)cu.range[r].base);
			ioctl(cu.fd, UFFDIO_COPY, &copy);
		}
	}
}

/*
 * The concurrent mutator of a raced spec (enum mp_race). mp_diff() runs such
 * a spec with the mutation made after the call, before it, and during it.
 * Self targets: a thread of the caller, started just before the call,
 * waits race_us and mutates. Another process's world: its owner, told by a
 * byte on a pipe that the call begins.
 */
enum race_when { RACE_DURING, RACE_AFTER, RACE_BEFORE };
static enum race_when race_when;

static struct race {
	const struct mp_spec *s;
	struct world *w;
	struct run_result *res;
	int go[2];		/* caller -> owner: the call begins */
	int made[2];		/* owner -> caller: mutated (RACE_BEFORE) */
	int go_sent;
	pid_t owner;
	pthread_t thread;
	int started;
	int armed, fired, done;	/* __atomic */
} rc;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void spin_us(unsigned int us)
{
	long long end = now_ns() + us * 1000LL;

	while (now_ns() < end)
		;
}

/* Raced runs, and those whose mutation began while the call ran. */
static long races_run, races_landed;

void mp_diff_race_stats(long *run, long *landed)
{
	*run = races_run;
	*landed = races_landed;
}

/*
 * The mutation, in the process that owns the world. Its own failures (an
 * mprotect() of a hole, say) are left alone: all four runs meet them alike.
 */
static void race_mutate(const struct mp_spec *s, struct world *w)
{
	char *page = (char *)(w->addr[s->race_slot] & ~(uintptr_t)(psz - 1));

	rc.res->mutated_ns = now_ns();
	switch (s->race) {
	case R_MUNMAP:
		munmap(page, psz);
		forget_page(w, page, 0);
		break;
	case R_MPROTECT:
		mprotect(page, psz, PROT_NONE);
		forget_page(w, page, 1);
		break;
	case R_MLOCK:
		mlock(page, psz);
		break;
	case R_MUNLOCK:
		munlock(page, psz);
		break;
	case R_DONTNEED:
		madvise(page, psz, MADV_DONTNEED);
		forget_page(w, page, 0);
		break;
	case R_COLD:
		madvise(page, psz, MADV_COLD);
		break;
	case R_FORK:
		/* Kept until the run's process group is killed. */
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		break;
	case R_EXIT:
		_exit(0);
	}
}

static void *race_thread(void *arg)
{
	(void)arg;
	__atomic_store_n(&rc.armed, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rc.fired, __ATOMIC_ACQUIRE))
		;
	spin_us(rc.s->race_us);
	race_mutate(rc.s, rc.w);
	__atomic_store_n(&rc.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Just before the call. */
static int race_begin(const struct mp_spec *s, struct world *w)
{
	siginfo_t si;

	if (!s->race)
		return 0;
	if (s->target == T_OTHER) {
		mp_send_byte(rc.go[1]);
		rc.go_sent = 1;
		if (race_when == RACE_BEFORE && s->race == R_EXIT)
			return waitid(P_PID, rc.owner, &si, WEXITED | WNOWAIT);
		if (race_when == RACE_BEFORE)
			mp_wait_byte(rc.made[0]);
		return 0;
	}
	rc.s = s;
	rc.w = w;
	if (race_when == RACE_BEFORE) {
		race_mutate(s, w);
	} else if (race_when == RACE_DURING) {
		pthread_attr_t attr;

		/*
		 * Detached, and waited for by a flag: a 32-bit glibc blocks in
		 * the futex system call of 32-bit time, which a kernel without
		 * COMPAT_32BIT_TIME does not have.
		 */
		if (pthread_attr_init(&attr) ||
		    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) ||
		    pthread_create(&rc.thread, &attr, race_thread, NULL))
			return -1;
		rc.started = 1;
		while (!__atomic_load_n(&rc.armed, __ATOMIC_ACQUIRE))
			sched_yield();
		__atomic_store_n(&rc.fired, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

/* Just after the call. */
static void race_end(const struct mp_spec *s, struct world *w)
{
	if (!s->race || s->target == T_OTHER)
		return;
	if (rc.started)
		while (!__atomic_load_n(&rc.done, __ATOMIC_ACQUIRE))
			sched_yield();
	else if (race_when == RACE_AFTER)
		race_mutate(s, w);
}

/* The owner's side of a race with the call of another process. */
static void race_owner(const struct mp_spec *s, struct world *w)
{
	if (race_when == RACE_AFTER)
		return;
	mp_wait_byte(rc.go[0]);
	if (race_when == RACE_DURING)
		spin_us(s->race_us);
	race_mutate(s, w);
	if (race_when == RACE_BEFORE)
		mp_send_byte(rc.made[1]);
}

/*
 * KCOV of the module run's call (mp_diff_cover()): opened by the caller
 * while it is root, enabled around the call only. The 64-bit encodings of
 * the ioctls, whose argument is the kernel's unsigned long, serve 32-bit
 * callers too.
 */
#define MP_KCOV_INIT_TRACE	_IOR('c', 1, u64)
#define MP_KCOV_ENABLE		_IO('c', 100)
#define MP_KCOV_DISABLE		_IO('c', 101)
#define MP_KCOV_TRACE_PC	0
#define MP_KCOV_WORDS		262144

static u64 *cover_out;	/* shared with the fuzzer: count, then PCs */
static size_t cover_max;
static int kcov_fd = -1;
static u64 *kcov_area;

void mp_diff_cover(u64 *buf, size_t max)
{
	cover_out = buf;
	cover_max = max;
}

static int caller_kcov_open(enum path path, struct run_result *res)
{
	if (path != MODULE || !cover_out)
		return 0;
	cover_out[0] = 0;
	kcov_fd = open("/sys/kernel/debug/kcov", O_RDWR);
	if (kcov_fd < 0 || ioctl(kcov_fd, MP_KCOV_INIT_TRACE, (unsigned long)MP_KCOV_WORDS))
		return not_built(res, "kcov: %s", strerror(errno));
	kcov_area = mmap(NULL, MP_KCOV_WORDS * sizeof(u64), PROT_READ | PROT_WRITE,
			 MAP_SHARED, kcov_fd, 0);
	if (kcov_area == MAP_FAILED) {
		kcov_area = NULL;
		return not_built(res, "kcov mmap: %s", strerror(errno));
	}
	return 0;
}

static void kcov_start(void)
{
	if (kcov_area && !ioctl(kcov_fd, MP_KCOV_ENABLE, MP_KCOV_TRACE_PC))
		__atomic_store_n(&kcov_area[0], 0, __ATOMIC_RELAXED);
}

static void kcov_stop(void)
{
	u64 n;

	if (!kcov_area)
		return;
	n = __atomic_load_n(&kcov_area[0], __ATOMIC_RELAXED);
	ioctl(kcov_fd, MP_KCOV_DISABLE, 0);
	if (n > MP_KCOV_WORDS - 1)
		n = MP_KCOV_WORDS - 1;
	if (n > cover_max)
		n = cover_max;
	memcpy(cover_out + 1, kcov_area + 1, n * sizeof(u64));
	cover_out[0] = n;
}

/* Called by the caller before it drops its privileges. */
static int caller_uffd_open(const struct mp_spec *s, struct run_result *res)
{
	struct uffdio_api api = { .api = UFFD_API };

	if (s->place[ARR_PAGES] != A_UFFD && s->place[ARR_NODES] != A_UFFD &&
	    s->place[ARR_STATUS] != A_UFFD)
		return 0;
	cu.fd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (cu.fd < 0 || ioctl(cu.fd, UFFDIO_API, &api))
		return not_built(res, "caller's userfaultfd: %s", strerror(errno));
	return 0;
}

struct region {
	char *base;
	size_t len;
};

/*
 * Memory for argument array @which of @nr elements of @elem bytes, placed
 * as the spec says, with MP_GUARD ints on each side. Returns the array, and
 * in @fill where its initial contents are to be written.
 */
static void *array_placed(const struct mp_spec *s, int which, size_t elem, int nr,
			  char **fill, struct region *reg)
{
	size_t before = (size_t)s->straddle[which] * elem % psz;
	size_t bytes = (size_t)nr * elem + 2 * MP_GUARD * sizeof(int);
	size_t len = ((psz + bytes + psz - 1) / psz) * psz;
	char *p = map_anon(len, 0), *arr;
	int place = s->place[which];

	/*
	 * On node 0, whatever CPU the caller runs on: a slot may name a page of
	 * the arrays, which must start where it starts in the other run.
	 */
	if (!p || mbind_node(p, len, MPOL_PREFERRED, 0))
		return NULL;
	reg->base = p;
	reg->len = len;
	/*
	 * The array starts @before bytes before the end of the first page (at
	 * the start of the second if 0): the guard before it is always mapped.
	 */
	arr = p + psz - before;
	*fill = arr;
	switch (place) {
	case A_UNTOUCHED:
		*fill = NULL;
		break;
	case A_ZERO:
		*fill = NULL;
		for (size_t o = 0; o < len; o += psz)
			touch_read(p + o);
		break;
	case A_UFFD: {
		char *shadow = map_anon(len, 0);

		if (!shadow || cu.fd < 0 ||
		    uffd_register(cu.fd, p, len, UFFDIO_REGISTER_MODE_MISSING))
			return NULL;
		cu.range[which].base = p;
		cu.range[which].shadow = shadow;
		cu.range[which].len = len;
		*fill = shadow + (arr - p);
		break;
	}
	}
	return arr;
}

static int build_args(const struct mp_spec *s, struct world *w, struct args *a)
{
	size_t ptr = sizeof(void *);
	int nr = w->nr;
	char *fill[NR_ARRAYS];
	struct region reg[NR_ARRAYS] = { 0 };
	void **pages;
	int *nodes, *status;

	memset(a, 0, sizeof(*a));
	memset(fill, 0, sizeof(fill));
	if (s->fault == F_PAGES_PARTIAL)
		a->pages = array_faulting_at(ptr, s->fault_at);
	else
		a->pages = array_placed(s, ARR_PAGES, ptr, nr, &fill[ARR_PAGES], &reg[ARR_PAGES]);
	if (s->fault == F_NODES_PARTIAL)
		a->nodes = array_faulting_at(4, s->fault_at);
	else
		a->nodes = array_placed(s, ARR_NODES, 4, nr, &fill[ARR_NODES], &reg[ARR_NODES]);
	if (s->fault == F_STATUS_PARTIAL)
		a->status = array_faulting_at(4, s->fault_at);
	else
		a->status = array_placed(s, ARR_STATUS, 4, nr, &fill[ARR_STATUS],
					 &reg[ARR_STATUS]);
	/* The arrays cut short by a fault are written in place. */
	if (s->fault == F_PAGES_PARTIAL)
		fill[ARR_PAGES] = (char *)a->pages;
	if (s->fault == F_NODES_PARTIAL)
		fill[ARR_NODES] = (char *)a->nodes;
	if (s->fault == F_STATUS_PARTIAL)
		fill[ARR_STATUS] = (char *)a->status;
	if (!a->pages || !a->nodes || !a->status)
		return -1;
	a->status_len = s->fault == F_STATUS_PARTIAL ? s->fault_at : nr;
	if (s->fault != F_STATUS_PARTIAL)
		a->guard = a->status - MP_GUARD;
	/* Slots inside the arrays: their addresses are known now. */
	for (int i = 0; i < nr; i++) {
		int k = w->slots[i].kind, e = nr ? w->slots[i].idx % nr : 0;

		if (k == K_IN_PAGES)
			w->addr[i] = (uintptr_t)&a->pages[e];
		else if (k == K_IN_NODES)
			w->addr[i] = (uintptr_t)&a->nodes[e];
		else if (k == K_IN_STATUS)
			w->addr[i] = (uintptr_t)&a->status[e];
	}
	pages = (void **)fill[ARR_PAGES];
	nodes = (int *)fill[ARR_NODES];
	status = (int *)fill[ARR_STATUS];
	for (int i = 0; i < nr; i++) {
		if (pages && (s->fault != F_PAGES_PARTIAL || i < s->fault_at))
			pages[i] = (void *)w->addr[i];
		if (nodes && (s->fault != F_NODES_PARTIAL || i < s->fault_at))
			nodes[i] = w->slots[i].node;
		if (status && i < a->status_len)
			status[i] = SENTINEL;
	}
	for (int g = 0; status && a->guard && g < MP_GUARD; g++) {
		status[g - MP_GUARD] = SENTINEL - 1;
		status[nr + g] = SENTINEL - 1;
	}
	for (int r = 0; r < NR_ARRAYS; r++)
		if (reg[r].base && (s->place[r] == A_RDONLY ||
				    (r == ARR_STATUS && s->fault == F_STATUS_RO)))
			mprotect(reg[r].base, reg[r].len, PROT_READ);
	if (s->fault == F_PAGES_NULL)
		a->pages = NULL;
	if (cu.fd >= 0) {
		pthread_t t;

		cu.act = s->uffd_act;
		cu.w = w;
		cu.slot = s->target != T_OTHER && s->uffd_slot >= 0 && s->uffd_slot < nr &&
			  w->page[s->uffd_slot] && !is_special_kind(w->slots[s->uffd_slot].kind) ?
			  s->uffd_slot : -1;
		if (pthread_create(&t, NULL, uffd_handler, NULL))
			return -1;
	}
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
	if (race_begin(s, w)) {
		snprintf(res->msg, sizeof(res->msg), "mutator: %s", strerror(errno));
		res->setup_failed = 1;
		return;
	}
	errno = 0;
	res->call_ns[0] = now_ns();
	if (path == NATIVE) {
		res->ret = native_move_pages(pid, nr, a.pages, nodes, a.status, s->flags);
		res->err = res->ret < 0 ? errno : 0;
	} else {
		kcov_start();
		res->ret = module_move_pages_ext(fd, pid, nr, a.pages, nodes, a.status,
						 s->flags, s->ext);
		res->err = res->ret < 0 ? errno : 0;
		kcov_stop();
	}
	res->call_ns[1] = now_ns();
	race_end(s, w);
	for (int i = 0; i < w->nr; i++)
		res->status[i] = i < a.status_len ? a.status[i] : SENTINEL;
	/* The ints around the status array: nothing may write there. */
	for (int g = 0; a.guard && g < MP_GUARD; g++) {
		res->guard[g] = a.guard[g];
		res->guard[MP_GUARD + g] = a.guard[MP_GUARD + w->nr + g];
	}
	if (fd >= 0)
		close(fd);
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
	if (build_world(w, res) || place_world(w, res) || finish_world(w, res))
		return -1;
	if (w->thp && anon_huge_kib(w->thp) < (long)(HUGE_SZ / 1024)) {
		snprintf(res->msg, sizeof(res->msg), "no THP (AnonHugePages %ld kB)",
			 anon_huge_kib(w->thp));
		return -1;
	}
	fork_sharer(w);
	if (owner_pressure_and_check(s, w, res))
		return -1;
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
	rc.res = res;
	if (s->target != T_OTHER) {
		if (owner_prepare(s, w, res) || caller_uffd_open(s, res) ||
		    caller_kcov_open(path, res) || drop_to(s->caller_uid))
			_exit(3);
		pid = s->target == T_SELF_PID ? getpid() :
		      s->target == T_NONEXISTENT ? 0x3ffffff0 : 0;
		make_call(s, path, pid, w, res);
		post_check(w, res);
		if (w->sharer > 0)
			kill(w->sharer, SIGKILL);
		_exit(0);
	}

	if (pipe(ready) || pipe(done) || (s->race && (pipe(rc.go) || pipe(rc.made))))
		_exit(3);
	/* An owner that exits (R_EXIT) leaves the pipes without a reader. */
	signal(SIGPIPE, SIG_IGN);
	owner = fork();
	if (owner == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (owner_prepare(s, w, res) || drop_to(s->owner_uid)) {
			res->setup_failed = 1;
			mp_send_byte(ready[1]);
			_exit(3);
		}
		mp_send_byte(ready[1]);
		if (s->race)
			race_owner(s, w);
		mp_wait_byte(done[0]);
		if (s->race && race_when == RACE_AFTER)
			race_mutate(s, w);
		post_check(w, res);
		if (w->sharer > 0)
			kill(w->sharer, SIGKILL);
		_exit(0);
	}
	mp_wait_byte(ready[0]);
	if (res->setup_failed)
		_exit(3);
	rc.owner = owner;
	/* The caller builds its arrays from the owner's addresses. */
	memcpy(w->addr, res->addrs, sizeof(w->addr[0]) * w->nr);
	if (caller_uffd_open(s, res) || caller_kcov_open(path, res) ||
	    drop_to(s->caller_uid))
		_exit(3);
	make_call(s, path, owner, w, res);
	if (s->race && !rc.go_sent)
		mp_send_byte(rc.go[1]);
	mp_send_byte(done[1]);
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
	if (c == 0) {
		/* A process group of its own: what it leaves behind is killed. */
		setpgid(0, 0);
		caller_main(s, path, tmpl, res);
	}
	if (c > 0)
		setpgid(c, c);
	if (c < 0 || waitpid(c, &st, 0) != c) {
		res->setup_failed = 1;
		snprintf(res->msg, sizeof(res->msg), "fork/wait failed");
		return;
	}
	if (!WIFEXITED(st) || (WEXITSTATUS(st) && !res->msg[0])) {
		res->setup_failed = 1;
		snprintf(res->msg, sizeof(res->msg), "caller died (status %#x)", st);
	}
	/*
	 * Nothing of a run outlives it: a process of its group still there (a
	 * sharer or an owner that outlived its parent) would keep its pages,
	 * pins and pipes, and the leak check after the program would see them.
	 */
	kill(-c, SIGKILL);
}

static int same_status(int a, int b, int may_vary)
{
	return a == b || (may_vary && (a == -EBUSY || b == -EBUSY));
}

/*
 * "ret R errno E status [a b c ...] final [x y z ...]", shortened, of run @r,
 * then how many slots are in a THP after the call in @r and in @m.
 */
static void summarize(const struct run_result *r, const struct run_result *m, int nr,
		      int thp, char *buf, size_t len)
{
	size_t o = snprintf(buf, len, "ret %ld errno %d status [", r->ret, r->err);

	for (int i = 0; i < nr && i < 12 && o < len; i++)
		o += snprintf(buf + o, len - o, i ? " %d" : "%d", r->status[i]);
	if (o < len)
		o += snprintf(buf + o, len - o, "%s] final [", nr > 12 ? " ..." : "");
	for (int i = 0; i < nr && i < 12 && o < len; i++)
		o += snprintf(buf + o, len - o, i ? " %d" : "%d", r->final[i]);
	if (o < len)
		o += snprintf(buf + o, len - o, "%s]", nr > 12 ? " ..." : "");
	if (o < len && (thp || r->large_after || m->large_after))
		snprintf(buf + o, len - o, "; in a THP after: native %d, module %d",
			 r->large_after, m->large_after);
}

/* Compares run @m with run @n (the reference); MP_SAME or MP_DIFFERENT with @why. */
/* Up to the first 6 entries of @a, as " [a b c]", appended to @buf. */
static void append_ints(char *buf, size_t len, const char *what, const int *a, int nr)
{
	size_t at = strlen(buf);

	at += snprintf(buf + at, at < len ? len - at : 0, " %s [", what);
	for (int i = 0; i < nr && i < 6 && at < len; i++)
		at += snprintf(buf + at, len - at, i ? " %d" : "%d", a[i]);
	if (at < len)
		snprintf(buf + at, len - at, "%s]", nr > 6 ? " ..." : "");
}

/*
 * What every comparison checks besides the answers: the ints around the
 * status array of run @r are those of reference run @ref, and neither run
 * corrupted a page or lost a userfaultfd write protection. @what prefixes
 * the reason.
 */
static int same_surroundings(int nr, const struct run_result *ref, const struct run_result *r,
			     const char *what, char *why, size_t len)
{
	for (int g = 0; g < 2 * MP_GUARD; g++) {
		if (ref->guard[g] != r->guard[g]) {
			snprintf(why, len, "%sstatus[%d] (outside the array): %d (reference %d)",
				 what, g < MP_GUARD ? g - MP_GUARD : nr + g - MP_GUARD,
				 r->guard[g], ref->guard[g]);
			return MP_DIFFERENT;
		}
	}
	if (ref->lost_wp || r->lost_wp || ref->corrupt || r->corrupt) {
		snprintf(why, len,
			 "%scorrupted pages: %d (reference %d); write protection lost: %d (%d)",
			 what, r->corrupt, ref->corrupt, r->lost_wp, ref->lost_wp);
		return MP_DIFFERENT;
	}
	return MP_SAME;
}

static int compare(const struct mp_spec *spec, int nr, const struct run_result *n,
		   const struct run_result *m, char *why, size_t len)
{
	if (n->ret != m->ret || n->err != m->err) {
		if (!(spec->may_vary && n->ret >= 0 && m->ret >= 0)) {
			snprintf(why, len, "return: native %ld (errno %d), module %ld (errno %d);",
				 n->ret, n->err, m->ret, m->err);
			append_ints(why, len, "status native", n->status, nr);
			append_ints(why, len, "module", m->status, nr);
			append_ints(why, len, "final native", n->final, nr);
			append_ints(why, len, "module", m->final, nr);
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
	return same_surroundings(nr, n, m, "", why, len);
}

/* Whether @v is @a or @b, or -EBUSY (a page the mutator held for a moment). */
static int either(int v, int a, int b)
{
	return v == a || v == b || v == -EBUSY;
}

/*
 * Whether entry @i of a call raced by a fork may say -EACCES though neither
 * serial run does: an address inside the status array. A fork before the
 * call shares that page, but the call's own status writes for earlier
 * entries break the copy-on-write before the entry is looked up; a fork
 * after those writes and before the lookup leaves the page mapped by two
 * processes, which only MPOL_MF_MOVE_ALL may move. Where the page ends is
 * then where the last copy-on-write put it.
 */
static int fork_shared_status(const struct mp_spec *s, const struct mp_slot *slots, int i,
			      const struct run_result *r)
{
	return s->race == R_FORK && slots[i].kind == K_IN_STATUS &&
	       !(s->flags & MPOL_MF_MOVE_ALL) && r->status[i] == -EACCES;
}

/*
 * A status a call may write for an entry: a node or an error of the lookup,
 * the isolation or the migration (the extensions write one for an entry
 * upstream never got to or left unwritten).
 */
static int status_ok(int v)
{
	return v >= 0 || v == -EFAULT || v == -ENOENT || v == -EACCES || v == -EBUSY ||
	       v == -ENOMEM || v == -EAGAIN;
}

/*
 * Whether entry @i of a call raced by MADV_COLD may say -ENOENT though neither
 * serial run does: MADV_COLD of part of a large folio splits it
 * (madvise_cold_or_pageout_pte_range()), and while the split runs the
 * folio's pages are migration entries, which the lookup finds not present.
 * Such a page stays where it was.
 */
static int cold_split(const struct mp_spec *s, int i, const struct run_result *r)
{
	return s->race == R_COLD && r->status[i] == -ENOENT &&
	       (r->addrs[i] ^ r->addrs[s->race_slot]) < HUGE_SZ;
}

/*
 * Whether status value @v of a run of @s may be a slot the call never wrote:
 * the sentinel build_args() fills the status array with, or 0 in a status
 * array it does not fill (untouched or on the zero page: a fill would populate
 * it), where 0 is also node 0.
 */
static int maybe_unwritten(const struct mp_spec *s, int v)
{
	return v == SENTINEL ||
	       (v == 0 && s->fault != F_STATUS_PARTIAL &&
		(s->place[ARR_STATUS] == A_UNTOUCHED || s->place[ARR_STATUS] == A_ZERO));
}

/*
 * Raced run @r (@who) against the serial runs @a (mutated after the call)
 * and @b (before): MP_SAME if it is an answer they allow (see mp_diff()).
 */
static int check_raced(const struct mp_spec *s, const struct mp_slot *slots, int nr,
		       const struct run_result *a, const struct run_result *b,
		       const struct run_result *r, const char *who, char *why, size_t len)
{
	long lo = LONG_MAX, hi = -1;
	int open = 0, unmoved = 0;
	char what[32];

	for (int i = 0; i < nr; i++) {
		if (fork_shared_status(s, slots, i, r) || cold_split(s, i, r)) {
			open++;
			continue;
		}
		/*
		 * A batch the migration core moved only in part (the mutator
		 * held a reference through every retry): upstream stores no
		 * status for the batch, returns the pages not moved plus the
		 * entries after it, and never looks at those. Its pages are
		 * where each try left them.
		 */
		if (r->ret > 0 && maybe_unwritten(s, r->status[i]) && a->status[i] != SENTINEL &&
		    b->status[i] != SENTINEL) {
			open++;
			continue;
		}
		/*
		 * A serial run that ended before the entry (at a batch that
		 * failed, or an entry that ends the call) says nothing of it,
		 * and the raced run may go on past that point with earlier
		 * entries answered as in the other serial run or moved before
		 * the mutation (a folio two entries name): any status a call
		 * writes.
		 */
		if ((maybe_unwritten(s, a->status[i]) || maybe_unwritten(s, b->status[i])) &&
		    r->status[i] != SENTINEL && status_ok(r->status[i])) {
			open++;
			continue;
		}
		if (!either(r->status[i], a->status[i], b->status[i])) {
			snprintf(why, len,
				 "%s raced: status[%d] %d, serially %d or %d (return %ld, serially %ld or %ld)",
				 who, i, r->status[i], a->status[i], b->status[i], r->ret, a->ret,
				 b->ret);
			return MP_DIFFERENT;
		}
		open += a->status[i] != b->status[i] || r->status[i] == -EBUSY;
		/*
		 * The owner exited: no final nodes. A page absent at one of the
		 * serial calls and faulted in by the mutator (mlock) is where
		 * the mutator's CPU put it. A page of the status array that a
		 * fork shared is where the copy-on-write of the call's next
		 * status write put it, moved or not (see fork_shared_status()).
		 */
		if (s->race == R_EXIT || either(r->final[i], a->final[i], b->final[i]) ||
		    (s->race == R_FORK && slots[i].kind == K_IN_STATUS) ||
		    r->status[i] == -EBUSY || a->status[i] == -EBUSY || b->status[i] == -EBUSY ||
		    a->status[i] == -ENOENT || b->status[i] == -ENOENT)
			continue;
		/*
		 * Queued, then not moved: the mutator held a reference for a
		 * moment (a fork copying the page table, mlock's batch). The
		 * status stays the target node; the return value counts it.
		 */
		if (r->status[i] >= 0) {
			unmoved++;
			continue;
		}
		snprintf(why, len,
			 "%s raced: final node of page %d %d, serially %d or %d (status %d, serially %d or %d)",
			 who, i, r->final[i], a->final[i], b->final[i], r->status[i], a->status[i],
			 b->status[i]);
		return MP_DIFFERENT;
	}
	for (const struct run_result *x = a; x; x = x == a ? b : NULL)
		if (x->ret >= 0) {
			lo = x->ret < lo ? x->ret : lo;
			hi = x->ret > hi ? x->ret : hi;
		}
	if (r->ret < 0 ? !((a->ret < 0 && r->err == a->err) || (b->ret < 0 && r->err == b->err)) :
	    r->ret > nr || hi < 0 || r->ret < lo - open || r->ret > hi + open + unmoved) {
		snprintf(why, len,
			 "%s raced: return %ld (errno %d), serially %ld (%d) or %ld (%d), %d open, %d unmoved",
			 who, r->ret, r->err, a->ret, a->err, b->ret, b->err, open, unmoved);
		return MP_DIFFERENT;
	}
	snprintf(what, sizeof(what), "%s raced: ", who);
	return same_surroundings(nr, a, r, what, why, len);
}

/* Whether an entry after @i names an address in the same 2 MiB as entry @i. */
static int named_later(const struct run_result *r, int nr, int i)
{
	for (int j = i + 1; j < nr; j++)
		if ((r->addrs[j] ^ r->addrs[i]) < HUGE_SZ)
			return 1;
	return 0;
}

/* Module run @m with spec->ext against native run @n (see mp_diff()). */
static int compare_ext(const struct mp_spec *spec, int nr, const struct run_result *n,
		       const struct run_result *m, char *why, size_t len)
{
	int not_moved = 0, failed;

	for (int i = 0; i < nr; i++) {
		/* Unwritten by both: an entry after the one that ended the request. */
		if (n->status[i] != SENTINEL ? m->status[i] != n->status[i] :
		    m->status[i] != SENTINEL && !status_ok(m->status[i])) {
			snprintf(why, len, "ext %#x: status[%d]: native %d, module %d", spec->ext,
				 i, n->status[i], m->status[i]);
			return MP_DIFFERENT;
		}
		/*
		 * A node the module wrote where native did not is where the page
		 * is (unless a later entry names the same folio and moves it on).
		 */
		if (n->status[i] == SENTINEL && m->status[i] >= 0 && !spec->query &&
		    m->final[i] != m->status[i] && !named_later(m, nr, i)) {
			snprintf(why, len, "ext %#x: status[%d] %d, but the page is on %d",
				 spec->ext, i, m->status[i], m->final[i]);
			return MP_DIFFERENT;
		}
		not_moved += n->status[i] == SENTINEL && (m->status[i] == -EBUSY ||
			     m->status[i] == -ENOMEM || m->status[i] == -EAGAIN);
	}
	/*
	 * Native stopped at a batch that failed (a count, or the -ENOMEM of
	 * an aborted batch): the module goes on, and may end at an entry
	 * error further on.
	 */
	failed = n->ret > 0 || (n->ret < 0 && n->err == ENOMEM);
	if (n->ret < 0 && !failed ? m->ret != n->ret || m->err != n->err :
	    m->ret < 0 ? !failed || !not_moved || (m->err != EFAULT && m->err != ENODEV &&
						   m->err != EACCES) :
	    m->ret > not_moved || (n->ret > 0 && m->ret == 0)) {
		snprintf(why, len,
			 "ext %#x: return: native %ld (errno %d), module %ld (errno %d), %d not moved",
			 spec->ext, n->ret, n->err, m->ret, m->err, not_moved);
		return MP_DIFFERENT;
	}
	return same_surroundings(nr, n, m, "extension flags: ", why, len);
}

/* A key for a spec's world and call, stable across runs of the same program. */
static unsigned long long spec_key(const struct mp_spec *s, const struct world *w)
{
	unsigned long long h = 1469598103934665603ULL;
	long long fields[] = {
		w->nr, s->flags, s->query, s->target, s->caller_uid, s->owner_uid,
		s->cpuset_node0, s->fault, s->fault_at, s->nr_override, s->pressure,
		s->place[0], s->place[1], s->place[2], s->straddle[0], s->straddle[1],
		s->straddle[2], s->uffd_act, s->uffd_slot, s->race, s->race_slot, s->race_us,
		s->ext,
	};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		h = (h ^ (unsigned long long)fields[i]) * 1099511628211ULL;
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

/* A setting of the guest changed for one spec, and its value before. */
struct knob {
	const char *path;
	char old[128];
	int changed;
};

/* Sets @k to @value; its old value is the bracketed word of "a [b] c" files. */
static int knob_set(struct knob *k, const char *path, const char *value)
{
	char buf[128], *l, *r;

	k->path = path;
	if (read_sysfs(path, buf, sizeof(buf)))
		return -1;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r)
		*r = 0;
	snprintf(k->old, sizeof(k->old), "%s", l && r ? l + 1 : buf);
	if (write_str(path, value))
		return -1;
	k->changed = 1;
	return 0;
}

/* Records @path's value, for knob_restore() to write it back. */
static int knob_keep(struct knob *k, const char *path)
{
	char buf[128];

	if (read_sysfs(path, buf, sizeof(buf)))
		return -1;
	return knob_set(k, path, buf);
}

static void knob_restore(struct knob *k)
{
	if (k->changed && write_str(k->path, k->old))
		fprintf(stderr, "# cannot restore %s to %s\n", k->path, k->old);
	k->changed = 0;
}

enum {
	KNOB_ZERO, KNOB_MTHP, KNOB_UNEVICTABLE, KNOB_MIN_FREE, KNOB_NODE1_POOL, KNOB_NODE0_POOL,
	NR_KNOBS
};

/* Locked pages of node 1 with free pages between them (P_NO_HUGE_BLOCK). */
static char *frag;

/*
 * Node 1 without a free 2 MiB block but with free pages: 32 MiB of locked
 * pages there, then every 2 MiB block left taken into the hugetlb pool,
 * then every other locked page freed: 16 MiB free in single pages, room
 * for the split pages of the scenario's THP with plenty to spare. Compaction
 * may not move locked pages (compact_unevictable_allowed 0), so no block
 * can be made free again. The
 * watermarks are lowered meanwhile (min_free_kbytes): the pool could not
 * take the blocks they keep free (tens of MiB with THP on), and with the
 * default watermarks the freed pages would be below them.
 */
static int fragment_node1(struct knob *kn, char *why, size_t len)
{
	size_t n = FRAG_SZ / psz;
	char pool[32];

	if (knob_set(&kn[KNOB_UNEVICTABLE], "/proc/sys/vm/compact_unevictable_allowed", "0")) {
		snprintf(why, len, "setup failed: compact_unevictable_allowed: %s",
			 strerror(errno));
		return -1;
	}
	if (knob_set(&kn[KNOB_MIN_FREE], "/proc/sys/vm/min_free_kbytes", "2048")) {
		snprintf(why, len, "setup failed: min_free_kbytes: %s", strerror(errno));
		return -1;
	}
	frag = map_anon(FRAG_SZ, 0);
	if (!frag || madvise(frag, FRAG_SZ, MADV_DONTFORK) ||
	    mbind_node(frag, FRAG_SZ, MPOL_PREFERRED, 1) ||
	    mlock2(frag, FRAG_SZ, MLOCK_ONFAULT)) {
		snprintf(why, len, "setup failed: locked pages on node 1: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		frag[i * psz] = 1;
	if (knob_set(&kn[KNOB_NODE1_POOL], NODE1_HUGE "nr_hugepages", "100000")) {
		snprintf(why, len, "setup failed: node 1 hugetlb pool: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 1; i < n; i += 2)
		munmap(frag + i * psz, psz);
	if (read_sysfs(NODE1_HUGE "nr_hugepages", pool, sizeof(pool)))
		snprintf(pool, sizeof(pool), "?");
	ksft_print_msg("node 1: %s hugetlb pages, %ld free 2 MiB blocks, %ld KiB free\n",
		       pool, node1_free_huge_blocks(), node_free_kib(1));
	return 0;
}

static void unfragment_node1(struct knob *kn)
{
	if (frag)
		munmap(frag, FRAG_SZ);
	frag = NULL;
	knob_restore(&kn[KNOB_NODE1_POOL]);
	knob_restore(&kn[KNOB_MIN_FREE]);
	knob_restore(&kn[KNOB_UNEVICTABLE]);
}

/* The global settings and state the spec's world needs, for both runs. */
static int guest_prepare(const struct mp_spec *spec, const struct world *w,
			 struct knob *kn, int *swap_on, char *why, size_t len)
{
	if (count_kind(w, K_HUGE_ZERO) &&
	    knob_set(&kn[KNOB_ZERO], THP_DIR "/use_zero_page", "1")) {
		snprintf(why, len, "setup failed: use_zero_page: %s", strerror(errno));
		return -1;
	}
	if (count_kind(w, K_MTHP) &&
	    knob_set(&kn[KNOB_MTHP], THP_DIR "/hugepages-64kB/enabled", "madvise")) {
		snprintf(why, len, "setup failed: 64 KiB mTHP: %s", strerror(errno));
		return -1;
	}
	/* Swap only while needed: elsewhere reclaim would page out world pages. */
	if (count_kind(w, K_SWAPPED)) {
		if (!zram_dev[0] || swapon(zram_dev, 0)) {
			snprintf(why, len, "setup failed: swapon %s: %s", zram_dev,
				 zram_dev[0] ? strerror(errno) : "no zram device");
			return -1;
		}
		*swap_on = 1;
	}
	if (spec->pressure == P_NO_HUGE_BLOCK)
		return fragment_node1(kn, why, len);
	/*
	 * A hugetlb page moved to a node with an exhausted pool goes to a
	 * temporary page there, which becomes the pool's, while the source
	 * leaves its node's pool: both nodes' pools are put back afterwards.
	 */
	if (spec->pressure == P_HUGETLB_EXHAUSTED &&
	    (knob_keep(&kn[KNOB_NODE0_POOL], NODE0_HUGE "nr_hugepages") ||
	     knob_keep(&kn[KNOB_NODE1_POOL], NODE1_HUGE "nr_hugepages"))) {
		snprintf(why, len, "setup failed: hugetlb pools: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void guest_restore(struct knob *kn, int *swap_on)
{
	unfragment_node1(kn);
	if (*swap_on && swapoff(zram_dev))
		fprintf(stderr, "# swapoff %s: %s\n", zram_dev, strerror(errno));
	*swap_on = 0;
	for (int k = 0; k < NR_KNOBS; k++)
		knob_restore(&kn[k]);
}

int mp_diff(const struct mp_spec *spec, char *why, size_t len)
{
	struct knob kn[NR_KNOBS] = { 0 };
	int swap_on = 0;
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
	if (spec->race == R_EXIT && spec->target != T_OTHER) {
		snprintf(why, len, "setup failed: only another process's owner can exit");
		return MP_DIFFERENT;
	}
	/* A raced spec is checked against its serial runs, never recorded. */
	if (replay && !spec->race && !recorded_native(key, &ref)) {
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
	if (guest_prepare(spec, &w, kn, &swap_on, why, len)) {
		guest_restore(kn, &swap_on);
		ret = MP_DIFFERENT;
		goto out;
	}
	if (spec->race) {
		/* The two serial answers, then the races (native, module). */
		race_when = RACE_AFTER;
		run_once(spec, NATIVE, &w, &sh->res[2]);
		race_when = RACE_BEFORE;
		run_once(spec, NATIVE, &w, &sh->res[3]);
		race_when = RACE_DURING;
	}
	run_once(spec, NATIVE, &w, n);
	run_once(spec, MODULE, &w, m);
	guest_restore(kn, &swap_on);

	for (int r = 0; r < (spec->race ? 4 : 2); r++) {
		struct run_result *x = &sh->res[r];
		int skip = 1;

		if (!x->setup_failed && !x->msg[0])
			continue;
		for (int k = 0; k < (spec->race ? 4 : 2); k++)
			skip &= !sh->res[k].setup_failed;
		snprintf(why, len, "%s: %s: %s", skip ? "skipped" : "setup failed",
			 r == MODULE ? "module" : r == NATIVE ? "native" :
			 r == 2 ? "native, mutated after" : "native, mutated before", x->msg);
		ret = skip ? MP_SKIPPED : MP_DIFFERENT;
		goto out;
	}
	if (spec->race) {
		/*
		 * Native outside the serial answers: a case the invariant cannot
		 * judge (replayed under the takeover, "native" is the module too,
		 * and the module is then judged by the module's serial runs).
		 */
		ret = check_raced(spec, w.slots, w.nr, &sh->res[2], &sh->res[3], n, "native",
				  why, len);
		if (ret == MP_DIFFERENT && !replay) {
			ret = MP_SKIPPED;
			goto out;
		}
		if (ret == MP_SAME)
			ret = check_raced(spec, w.slots, w.nr, &sh->res[2], &sh->res[3], m,
					  "module", why, len);
		for (int r = 0; r < 2; r++) {
			const struct run_result *x = r ? m : n;

			races_run++;
			races_landed += x->mutated_ns >= x->call_ns[0] &&
					x->mutated_ns <= x->call_ns[1];
		}
		if (ret == MP_SAME)
			snprintf(why, len, "raced: native %ld, module %ld, serially %ld/%ld",
				 n->ret, m->ret, sh->res[2].ret, sh->res[3].ret);
	} else {
		/* The module's call has the extensions; "native" (the takeover, replayed) not. */
		int (*cmp_module)(const struct mp_spec *, int, const struct run_result *,
				  const struct run_result *, char *, size_t) =
			spec->ext ? compare_ext : compare;

		if (replay) {
			/* Both paths are the module now: each against the recorded native run. */
			ret = compare(spec, w.nr, &ref, n, why, len);
			if (ret == MP_SAME)
				ret = cmp_module(spec, w.nr, &ref, m, why, len);
		} else {
			ret = cmp_module(spec, w.nr, n, m, why, len);
			if (ret == MP_SAME)
				record_native(key, n);
		}
	}
	if (ret == MP_SAME && !spec->race)
		summarize(n, m, w.nr, spec->pressure == P_NO_HUGE_BLOCK, why, len);
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

static char ext2_img[64];
static int zram_added = -1;
static pid_t kinds_pid;

static void undo_kinds(void)
{
	char cmd[128];

	if (getpid() != kinds_pid)
		return;
	if (ext2_dir[0]) {
		snprintf(cmd, sizeof(cmd), "umount -d %s", ext2_dir);
		if (system(cmd))
			fprintf(stderr, "# %s failed\n", cmd);
		rmdir(ext2_dir);
		ext2_dir[0] = 0;
	}
	if (zram_dev[0]) {
		snprintf(cmd, sizeof(cmd), "/sys/block/%s/reset", zram_dev + 5);
		write_str(cmd, "1");
		zram_dev[0] = 0;
	}
	if (zram_added >= 0) {
		snprintf(cmd, sizeof(cmd), "%d", zram_added);
		write_str("/sys/class/zram-control/hot_remove", cmd);
		zram_added = -1;
	}
}

/* A 16 MiB ext2 image on /tmp, loop-mounted; the image file unlinked once mounted. */
static void setup_ext2(void)
{
	char cmd[256];
	int fd;

	snprintf(ext2_img, sizeof(ext2_img), "/tmp/mp_diff.%d.ext2", getpid());
	snprintf(ext2_dir, sizeof(ext2_dir), "/tmp/mp_diff.%d.mnt", getpid());
	fd = open(ext2_img, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 16 << 20) || mkdir(ext2_dir, 0755)) {
		perror(ext2_img);
		if (fd >= 0)
			close(fd);
		ext2_dir[0] = 0;
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "mke2fs -F %s 16384 >/dev/null 2>&1 && mount -t ext2 -o loop %s %s",
		 ext2_img, ext2_img, ext2_dir);
	if (system(cmd)) {
		fprintf(stderr, "# %s failed\n", cmd);
		rmdir(ext2_dir);
		ext2_dir[0] = 0;
	}
	unlink(ext2_img);
}

/* A 32 MiB zram device made swap (turned on by the worlds that need it). */
static void setup_zram(void)
{
	char path[64], buf[32];
	int n = 0;

	if (access("/sys/block/zram0", F_OK)) {
		if (read_sysfs("/sys/class/zram-control/hot_add", buf, sizeof(buf)))
			return;
		n = atoi(buf);
		zram_added = n;
	}
	snprintf(zram_dev, sizeof(zram_dev), "/dev/zram%d", n);
	swapoff(zram_dev);
	snprintf(path, sizeof(path), "/sys/block/zram%d/reset", n);
	write_str(path, "1");
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", n);
	if (write_str(path, "32M")) {
		perror(path);
		zram_dev[0] = 0;
		return;
	}
	snprintf(path, sizeof(path), "mkswap %s >/dev/null 2>&1", zram_dev);
	if (system(path)) {
		fprintf(stderr, "# %s failed\n", path);
		zram_dev[0] = 0;
	}
}

void mp_diff_setup_kinds(void)
{
	psz = sysconf(_SC_PAGESIZE);
	kinds_pid = getpid();
	setup_ext2();
	setup_zram();
	atexit(undo_kinds);
}
