// SPDX-License-Identifier: GPL-2.0
/*
 * ext_test - the opt-in extension flags of the ioctl.
 *
 * MOVE_PAGES_EXT_GROUP_BY_NODE: interleaved targets, with and without
 * per-page errors (unmapped, never touched, already on the node) and an
 * invalid node half way, give the answers of the native call (there are no
 * duplicate entries, where grouping answers differently); a status slot that
 * cannot be written ends a grouped request in grouped order.
 *
 * MOVE_PAGES_EXT_EXACT_STATUS: with fail_page_alloc making the 21st target
 * allocation fail (upstream: -ENOMEM and the batch's slots unwritten), every
 * slot is written: the node for each page that moved, -ENOMEM, -EBUSY or
 * -EAGAIN for each one that did not, which the pages' real placement and
 * the return value (the number that did not move) must agree with; every
 * page intact. Without a fault, it gives the native answers.
 *
 * MOVE_PAGES_EXT_PARALLEL: requests large enough to be shared among CPUs
 * (the module's counter of slices run by workers must grow, or the test
 * fails): with page errors, already-placed pages, an invalid node half way,
 * and grouping, the native answers; THP cut by slice boundaries, every slot
 * the node and every page there; pages pinned by a pipe, the exact-status
 * rules; a caller bound to one CPU gets no worker; a caller killed in the
 * middle of a parallel move leaves nothing behind (the leak and log checks
 * after the program).
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define NR	512
#define SENTINEL	(-12345)

struct call {
	long ret;
	int err;
	int status[NR];
	int final[NR];
	int corrupt;
};

static long psz;

/* Called right before and right after the measured call, when set. */
static void (*arm)(int on);

/*
 * A fresh region of NR pages, page i filled with i + 1, all on node 0; the
 * pages listed in @holes are unmapped and those in @untouched never touched.
 */
static char *world(void **pages, const int *holes, int nholes, const int *untouched,
		   int nuntouched)
{
	char *p = mmap(NULL, NR * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int nodes[NR], status[NR];

	madvise(p, NR * psz, MADV_NOHUGEPAGE);
	for (int i = 0; i < NR; i++) {
		pages[i] = p + (long)i * psz;
		nodes[i] = 0;
	}
	for (int i = 0; i < NR; i++)
		memset(p + (long)i * psz, i + 1, psz);
	for (int i = 0; i < nuntouched; i++)
		madvise(p + (long)untouched[i] * psz, psz, MADV_DONTNEED);
	native_move_pages(0, NR, pages, nodes, status, MPOL_MF_MOVE);
	for (int i = 0; i < nholes; i++)
		munmap(p + (long)holes[i] * psz, psz);
	return p;
}

/* One move of @nodes, natively (fd < 0) or through the module with @ext. */
static void run(int fd, unsigned int ext, const int *nodes, const int *holes, int nholes,
		const int *untouched, int nuntouched, struct call *c)
{
	void *pages[NR];
	char *p = world(pages, holes, nholes, untouched, nuntouched);

	for (int i = 0; i < NR; i++)
		c->status[i] = SENTINEL;
	if (arm)
		arm(1);
	errno = 0;
	c->ret = fd < 0 ? native_move_pages(0, NR, pages, nodes, c->status, MPOL_MF_MOVE)
			: module_move_pages_ext(fd, 0, NR, pages, nodes, c->status,
						MPOL_MF_MOVE, ext);
	c->err = c->ret < 0 ? errno : 0;
	if (arm)
		arm(0);
	native_move_pages(0, NR, pages, NULL, c->final, 0);
	c->corrupt = 0;
	for (int i = 0; i < NR; i++) {
		const unsigned char *q = (const unsigned char *)p + (long)i * psz;

		if (c->final[i] < 0)
			continue;
		c->corrupt += q[0] != (unsigned char)(i + 1) ||
			      q[psz - 1] != (unsigned char)(i + 1);
	}
	munmap(p, NR * psz);
}

/* A move of the caller's pages: natively if @ext < 0, else through @fd with @ext. */
static long move_as(int fd, int ext, unsigned long nr, void **pages, const int *nodes,
		    int *status)
{
	return ext < 0 ? native_move_pages(0, nr, pages, nodes, status, MPOL_MF_MOVE) :
			 module_move_pages_ext(fd, 0, nr, pages, nodes, status, MPOL_MF_MOVE,
					       ext);
}

static int same(const struct call *a, const struct call *b)
{
	return a->ret == b->ret && a->err == b->err && !a->corrupt && !b->corrupt &&
	       !memcmp(a->status, b->status, sizeof(a->status)) &&
	       !memcmp(a->final, b->final, sizeof(a->final));
}

FIXTURE(ext) {
	int fd;
	int nodes[NR];
	struct call native, module;
};

FIXTURE_SETUP(ext)
{
	psz = sysconf(_SC_PAGESIZE);
	self->fd = mp_dev_open();
	ASSERT_LE(0, self->fd);
	for (int i = 0; i < NR; i++)
		self->nodes[i] = i % 2;
}

FIXTURE_TEARDOWN(ext)
{
	close(self->fd);
}

TEST_F(ext, group_interleaved_same_as_native)
{
	run(-1, 0, self->nodes, NULL, 0, NULL, 0, &self->native);
	run(self->fd, MOVE_PAGES_EXT_GROUP_BY_NODE, self->nodes, NULL, 0, NULL, 0,
	    &self->module);
	ASSERT_EQ(0, self->module.ret);
	ASSERT_TRUE(same(&self->native, &self->module));
}

TEST_F(ext, group_with_page_errors_same_as_native)
{
	static const int holes[] = { 3, 100, 101, 511 }, untouched[] = { 7, 8, 300 };

	run(-1, 0, self->nodes, holes, 4, untouched, 3, &self->native);
	run(self->fd, MOVE_PAGES_EXT_GROUP_BY_NODE, self->nodes, holes, 4, untouched, 3,
	    &self->module);
	ASSERT_EQ(-EFAULT, self->module.status[3]);
	ASSERT_EQ(-ENOENT, self->module.status[7]);
	ASSERT_TRUE(same(&self->native, &self->module));
}

TEST_F(ext, group_invalid_node_half_way_same_as_native)
{
	self->nodes[200] = 2;	/* no memory: -ENODEV, entries before it moved */
	run(-1, 0, self->nodes, NULL, 0, NULL, 0, &self->native);
	run(self->fd, MOVE_PAGES_EXT_GROUP_BY_NODE, self->nodes, NULL, 0, NULL, 0,
	    &self->module);
	ASSERT_EQ(ENODEV, self->module.err);
	ASSERT_EQ(1, self->module.final[199]);
	ASSERT_TRUE(same(&self->native, &self->module));
}

TEST_F(ext, exact_without_fault_same_as_native)
{
	run(-1, 0, self->nodes, NULL, 0, NULL, 0, &self->native);
	run(self->fd, MOVE_PAGES_EXT_EXACT_STATUS, self->nodes, NULL, 0, NULL, 0,
	    &self->module);
	ASSERT_TRUE(same(&self->native, &self->module));
}

TEST_F(ext, flags_ignored_by_a_query)
{
	run(-1, 0, NULL, NULL, 0, NULL, 0, &self->native);
	run(self->fd, MOVE_PAGES_EXT_GROUP_BY_NODE | MOVE_PAGES_EXT_EXACT_STATUS, NULL, NULL, 0,
	    NULL, 0, &self->module);
	ASSERT_TRUE(same(&self->native, &self->module));
}

static int make_it_fail = -1;

/* The 21st page allocation of this thread fails, once. */
static void arm_fault(int on)
{
	if (on) {
		set_fault_knob("fail_page_alloc", "space", "20");
		set_fault_knob("fail_page_alloc", "times", "1");
		set_fault_knob("fail_page_alloc", "probability", "100");
	}
	if (pwrite(make_it_fail, on ? "1" : "0", 1, 0) != 1)
		perror("make-it-fail");
	if (!on) {
		set_fault_knob("fail_page_alloc", "probability", "0");
		set_fault_knob("fail_page_alloc", "space", "0");
		set_fault_knob("fail_page_alloc", "times", "-1");
	}
}

/*
 * Everything to node 1, the 21st target allocation failing. Marks the kernel
 * log so that the log scans accept the allocation failure report.
 */
static void faulted(int fd, unsigned int ext, struct call *c)
{
	int nodes[NR];

	for (int i = 0; i < NR; i++)
		nodes[i] = 1;
	log_mark("move_pages-test: expected allocation failures begin\n");
	make_it_fail = open("/proc/thread-self/make-it-fail", O_WRONLY);
	set_fault_knob("fail_page_alloc", "task-filter", "Y");
	set_fault_knob("fail_page_alloc", "ignore-gfp-wait", "N");
	set_fault_knob("fail_page_alloc", "ignore-gfp-highmem", "N");
	set_fault_knob("fail_page_alloc", "min-order", "0");
	set_fault_knob("fail_page_alloc", "verbose", "0");
	set_fault_knob("fail_page_alloc", "interval", "1");
	arm = make_it_fail >= 0 ? arm_fault : NULL;
	run(fd, ext, nodes, NULL, 0, NULL, 0, c);
	arm = NULL;
	if (make_it_fail >= 0)
		close(make_it_fail);
	log_mark("move_pages-test: expected allocation failures end\n");
}

/* Every slot written and true to where the page is; the count of pages not moved returned. */
static int exact_and_true(struct __test_metadata *_metadata, const struct call *c)
{
	int moved = 0, nomem = 0, other = 0;

	for (int i = 0; i < NR; i++) {
		if (c->status[i] == 1) {
			EXPECT_EQ(1, c->final[i]);
			moved++;
		} else {
			EXPECT_TRUE(c->status[i] == -ENOMEM || c->status[i] == -EBUSY ||
				    c->status[i] == -EAGAIN);
			EXPECT_EQ(0, c->final[i]);
			nomem += c->status[i] == -ENOMEM;
			other += c->status[i] != -ENOMEM;
		}
	}
	TH_LOG("ret %ld: %d moved, %d -ENOMEM, %d -EBUSY/-EAGAIN, corrupt %d", c->ret, moved,
	       nomem, other, c->corrupt);
	EXPECT_EQ(NR - moved, c->ret);
	EXPECT_LE(1, nomem);
	EXPECT_EQ(0, c->corrupt);
	return moved;
}

TEST_F(ext, exact_status_under_a_failed_allocation)
{
	int moved;

	faulted(-1, 0, &self->native);
	faulted(self->fd, MOVE_PAGES_EXT_EXACT_STATUS, &self->module);
	/* Upstream: -ENOMEM, slots of the batch left alone; some pages moved. */
	ASSERT_EQ(ENOMEM, self->native.err);
	ASSERT_EQ(SENTINEL, self->native.status[0]);
	/*
	 * How many moved before the failure depends on the page allocations
	 * the request makes first (its window buffers count for the fault);
	 * not all of them can have.
	 */
	moved = exact_and_true(_metadata, &self->module);
	ASSERT_GT(NR, moved);
}

TEST_F(ext, exact_and_group_under_a_failed_allocation)
{
	faulted(self->fd, MOVE_PAGES_EXT_EXACT_STATUS | MOVE_PAGES_EXT_GROUP_BY_NODE,
		&self->module);
	exact_and_true(_metadata, &self->module);
}

TEST_F(ext, group_under_a_failed_allocation_as_upstream)
{
	int moved = 0;

	/*
	 * Without EXACT_STATUS a failed batch ends the request as upstream's
	 * does: -ENOMEM, the batch's slots unwritten. (How many pages moved
	 * first is not compared with the native call: the window buffers of
	 * the extension are page allocations too, and count for the fault.)
	 */
	faulted(self->fd, MOVE_PAGES_EXT_GROUP_BY_NODE, &self->module);
	ASSERT_EQ(-1, self->module.ret);
	ASSERT_EQ(ENOMEM, self->module.err);
	for (int i = 0; i < NR; i++) {
		ASSERT_EQ(SENTINEL, self->module.status[i]);
		ASSERT_TRUE(self->module.final[i] == 0 || self->module.final[i] == 1);
		moved += self->module.final[i] == 1;
	}
	ASSERT_EQ(0, self->module.corrupt);
	TH_LOG("%d pages moved before the failure", moved);
}

/* A page kept busy by a pipe's reference: the migration core gives up on it. */
static int pin_with_pipe(char *page, int fds[2])
{
	struct iovec iov = { .iov_base = page, .iov_len = psz };

	return pipe(fds) == 0 && vmsplice(fds[1], &iov, 1, 0) == psz ? 0 : -1;
}

/*
 * Eight pages for node 1, the first one pinned so that the batch fails, then
 * node 2 (no memory): upstream ends with -ENODEV, which wins over the count
 * of the final flush (the out_flush path of do_pages_move()).
 */
static int entry_error_after_failed_batch(int fd, unsigned int ext, struct call *c)
{
	char *p = mmap(NULL, 9 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *pages[9];
	int nodes[9], fds[2];

	madvise(p, 9 * psz, MADV_NOHUGEPAGE);
	memset(p, 7, 9 * psz);
	for (int i = 0; i < 9; i++) {
		pages[i] = p + (long)i * psz;
		nodes[i] = 0;
	}
	native_move_pages(0, 9, pages, nodes, c->final, MPOL_MF_MOVE);
	for (int i = 0; i < 9; i++)
		nodes[i] = i < 8 ? 1 : 2;
	if (pin_with_pipe(p, fds))
		return -1;
	for (int i = 0; i < 9; i++)
		c->status[i] = SENTINEL;
	errno = 0;
	c->ret = fd < 0 ? native_move_pages(0, 9, pages, nodes, c->status, MPOL_MF_MOVE)
			: module_move_pages_ext(fd, 0, 9, pages, nodes, c->status,
						MPOL_MF_MOVE, ext);
	c->err = c->ret < 0 ? errno : 0;
	native_move_pages(0, 9, pages, NULL, c->final, 0);
	close(fds[0]);
	close(fds[1]);
	munmap(p, 9 * psz);
	return 0;
}

TEST_F(ext, entry_error_wins_over_final_flush)
{
	ASSERT_EQ(0, entry_error_after_failed_batch(-1, 0, &self->native));
	ASSERT_EQ(ENODEV, self->native.err);
	ASSERT_EQ(0, self->native.final[0]);
	ASSERT_EQ(1, self->native.final[7]);
	ASSERT_EQ(0, entry_error_after_failed_batch(self->fd, MOVE_PAGES_EXT_GROUP_BY_NODE,
						    &self->module));
	ASSERT_TRUE(same(&self->native, &self->module));
	/* With exact statuses too: the pinned page's slot says why it stayed. */
	ASSERT_EQ(0, entry_error_after_failed_batch(self->fd, MOVE_PAGES_EXT_EXACT_STATUS,
						    &self->module));
	ASSERT_EQ(ENODEV, self->module.err);
	ASSERT_EQ(-EBUSY, self->module.status[0]);
	for (int i = 1; i < 8; i++)
		ASSERT_EQ(1, self->module.status[i]);
	ASSERT_EQ(0, self->module.final[0]);
	ASSERT_EQ(1, self->module.final[7]);
}

/*
 * pages[4] cannot be read: the request ends with -EFAULT without reading
 * nodes[4], which starts a page never touched, so that page stays unpopulated
 * (a read would map the zero page there).
 */
TEST_F(ext, no_node_read_after_unreadable_page_pointer)
{
	char *p = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *arr = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *nodes_page = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void **pages = (void **)(arr + psz - 4 * sizeof(void *));
	int *nodes = (int *)(nodes_page + psz - 4 * sizeof(int));
	int status[5], after;
	/* The native call first, then the module's paths. */
	const int exts[] = { -1, 0, MOVE_PAGES_EXT_GROUP_BY_NODE, MOVE_PAGES_EXT_EXACT_STATUS };

	memset(p, 3, 4 * psz);
	munmap(arr + psz, psz);
	for (int i = 0; i < 4; i++) {
		pages[i] = p + (long)i * psz;
		nodes[i] = 1;
	}
	for (unsigned int e = 0; e < ARRAY_SIZE(exts); e++) {
		void *second = nodes_page + psz;

		madvise(second, psz, MADV_DONTNEED);
		errno = 0;
		EXPECT_EQ(-1, move_as(self->fd, exts[e], 5, pages, nodes, status));
		EXPECT_EQ(EFAULT, errno);
		ASSERT_EQ(0, native_move_pages(0, 1, &second, NULL, &after, 0));
		EXPECT_EQ(-ENOENT, after) {
			TH_LOG("ext %d read nodes[4] after pages[4] faulted", exts[e]);
		}
	}
	munmap(p, 4 * psz);
	munmap(arr, psz);
	munmap(nodes_page, 2 * psz);
}

/*
 * The documented rule of the extensions: a window's pages and nodes entries
 * are read before any of its statuses is written. Here status[i] is
 * nodes[i + 1]: natively, entry 0 (already on node 0) writes 0 over nodes[1],
 * and so on down the array, so nothing moves; with the extension every entry
 * was read as node 1 first, so every page but the first moves there.
 */
TEST_F(ext, window_read_before_status_writes)
{
	char *p = mmap(NULL, 8 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *pages[8];
	int nodes[9], final[8];

	memset(p, 5, 8 * psz);
	for (int i = 0; i < 8; i++)
		pages[i] = p + (long)i * psz;
	for (int i = 0; i < 8; i++)
		nodes[i] = 0;
	ASSERT_EQ(0, native_move_pages(0, 8, pages, nodes, final, MPOL_MF_MOVE));
	for (int i = 0; i < 8; i++)
		nodes[i] = i ? 1 : 0;
	ASSERT_EQ(0, native_move_pages(0, 8, pages, nodes, nodes + 1, MPOL_MF_MOVE));
	ASSERT_EQ(0, native_move_pages(0, 8, pages, NULL, final, 0));
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, final[i]);
	for (int i = 0; i < 8; i++)
		nodes[i] = i ? 1 : 0;
	ASSERT_EQ(0, module_move_pages_ext(self->fd, 0, 8, pages, nodes, nodes + 1, MPOL_MF_MOVE,
					   MOVE_PAGES_EXT_GROUP_BY_NODE));
	ASSERT_EQ(0, native_move_pages(0, 8, pages, NULL, final, 0));
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(i ? 1 : 0, final[i]);
	munmap(p, 8 * psz);
}

/*
 * Grouped, a status slot that cannot be written ends the request in grouped
 * order (Documentation/differences.rst): pages 0 and 2 go from node 0 to
 * node 1, page 1 from node 1 to node 0, and status[2] starts an unmapped
 * page. Natively all three move, status[0] and status[1] are written, then
 * -EFAULT. Grouped, the node-1 batch (pages 0 and 2) is first and its status
 * write fails: page 1 stays on node 1, status[1] unwritten. Without the flag,
 * the module answers as the native call.
 */
TEST_F(ext, group_status_fault_in_grouped_order)
{
	char *p = mmap(NULL, 3 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *arr = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int *status = (int *)(arr + psz - 2 * sizeof(int));
	const int nodes[3] = { 1, 0, 1 }, start[3] = { 0, 1, 0 };
	const int exts[] = { -1, 0, MOVE_PAGES_EXT_GROUP_BY_NODE,
			     MOVE_PAGES_EXT_GROUP_BY_NODE | MOVE_PAGES_EXT_EXACT_STATUS };
	void *pages[3];
	int final[3], st[3];

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, arr);
	munmap(arr + psz, psz);
	memset(p, 7, 3 * psz);
	for (int i = 0; i < 3; i++)
		pages[i] = p + (long)i * psz;
	for (unsigned int e = 0; e < ARRAY_SIZE(exts); e++) {
		int grouped = exts[e] > 0;

		ASSERT_EQ(0, native_move_pages(0, 3, pages, start, st, MPOL_MF_MOVE));
		ASSERT_EQ(0, native_move_pages(0, 3, pages, NULL, final, 0));
		for (int i = 0; i < 3; i++)
			ASSERT_EQ(start[i], final[i]);
		status[0] = SENTINEL;
		status[1] = SENTINEL;
		errno = 0;
		EXPECT_EQ(-1, move_as(self->fd, exts[e], 3, pages, nodes, status));
		EXPECT_EQ(EFAULT, errno);
		ASSERT_EQ(0, native_move_pages(0, 3, pages, NULL, final, 0));
		EXPECT_EQ(1, status[0]);
		EXPECT_EQ(grouped ? SENTINEL : 0, status[1]);
		EXPECT_EQ(1, final[0]);
		EXPECT_EQ(grouped ? 1 : 0, final[1]) {
			TH_LOG("ext %d: page 1 on node %d", exts[e], final[1]);
		}
		EXPECT_EQ(1, final[2]);
	}
	for (int i = 0; i < 3 * (int)psz; i++)
		ASSERT_EQ(7, p[i]);
	munmap(p, 3 * psz);
	munmap(arr, psz);
}

/* MOVE_PAGES_EXT_PARALLEL */

#define PN	3000
#define STATS	"/sys/kernel/debug/move_pages/stats"

struct pcall {
	long ret;
	int err;
	int status[PN];
	int final[PN];
	int corrupt;
};

static struct pcall pnative, pmodule;

/*
 * PN pages, page i filled with i + 1, on node 0; @holes unmapped, @untouched
 * never populated. One move of @nodes natively (fd < 0) or through the
 * module with @ext and @workers; @pin pages kept busy by a pipe.
 */
static void prun(int fd, unsigned int ext, unsigned int workers, const int *nodes,
		 const int *holes, int nholes, const int *untouched, int nuntouched,
		 const int *pin, int npin, struct pcall *c)
{
	char *p = mmap(NULL, PN * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static void *pages[PN];
	static int zero[PN];
	int fds[8][2];

	madvise(p, PN * psz, MADV_NOHUGEPAGE);
	for (int i = 0; i < PN; i++) {
		pages[i] = p + (long)i * psz;
		zero[i] = 0;
		memset(p + (long)i * psz, i + 1, psz);
	}
	for (int i = 0; i < nuntouched; i++)
		madvise(p + (long)untouched[i] * psz, psz, MADV_DONTNEED);
	native_move_pages(0, PN, pages, zero, c->status, MPOL_MF_MOVE);
	for (int i = 0; i < nholes; i++)
		munmap(p + (long)holes[i] * psz, psz);
	for (int i = 0; i < npin && i < 8; i++) {
		struct iovec iov = { .iov_base = p + (long)pin[i] * psz, .iov_len = psz };

		if (pipe(fds[i]) || vmsplice(fds[i][1], &iov, 1, 0) != psz)
			perror("vmsplice");
	}
	for (int i = 0; i < PN; i++)
		c->status[i] = SENTINEL;
	errno = 0;
	c->ret = fd < 0 ? native_move_pages(0, PN, pages, nodes, c->status, MPOL_MF_MOVE)
			: module_move_pages_par(fd, 0, PN, pages, nodes, c->status, ext, workers);
	c->err = c->ret < 0 ? errno : 0;
	native_move_pages(0, PN, pages, NULL, c->final, 0);
	c->corrupt = 0;
	for (int i = 0; i < PN; i++) {
		const unsigned char *q = (const unsigned char *)p + (long)i * psz;

		if (c->final[i] < 0)
			continue;
		c->corrupt += q[0] != (unsigned char)(i + 1) ||
			      q[psz - 1] != (unsigned char)(i + 1);
	}
	for (int i = 0; i < npin && i < 8; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	munmap(p, PN * psz);
}

static int psame(const struct pcall *a, const struct pcall *b)
{
	return a->ret == b->ret && a->err == b->err && !a->corrupt && !b->corrupt &&
	       !memcmp(a->status, b->status, sizeof(a->status)) &&
	       !memcmp(a->final, b->final, sizeof(a->final));
}

static int first_diff(const struct pcall *a, const struct pcall *b)
{
	for (int i = 0; i < PN; i++)
		if (a->status[i] != b->status[i] || a->final[i] != b->final[i])
			return i;
	return -1;
}

/* Parallel moves take longer than the harness's default 30 s under the debug kernel. */
#define PAR_TIMEOUT	300

FIXTURE(par) {
	int fd;
};

FIXTURE_SETUP(par)
{
	psz = sysconf(_SC_PAGESIZE);
	self->fd = mp_dev_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(par)
{
	close(self->fd);
}

TEST_F_TIMEOUT(par, same_as_native, PAR_TIMEOUT)
{
	static const int holes[] = { 5, 1500, 2999 }, untouched[] = { 7, 1000, 2001 };
	static const unsigned int exts[] = {
		MOVE_PAGES_EXT_PARALLEL,
		MOVE_PAGES_EXT_PARALLEL | MOVE_PAGES_EXT_GROUP_BY_NODE,
		MOVE_PAGES_EXT_PARALLEL | MOVE_PAGES_EXT_EXACT_STATUS,
	};
	static int nodes[PN];

	for (int i = 0; i < PN; i++)
		nodes[i] = (i / 3) % 2;
	prun(-1, 0, 0, nodes, holes, 3, untouched, 3, NULL, 0, &pnative);
	ASSERT_EQ(0, pnative.ret);
	for (unsigned int e = 0; e < ARRAY_SIZE(exts); e++) {
		for (unsigned int w = 0; w <= 3; w += 3) {
			long before = read_field(STATS, "parallel_slices");

			prun(self->fd, exts[e], w, nodes, holes, 3, untouched, 3, NULL, 0,
			     &pmodule);
			EXPECT_LT(before, read_field(STATS, "parallel_slices")) {
				TH_LOG("ext %#x workers %u: no slice ran on a worker", exts[e], w);
			}
			EXPECT_TRUE(psame(&pnative, &pmodule)) {
				int i = first_diff(&pnative, &pmodule);

				TH_LOG("ext %#x workers %u: ret %ld/%ld, %d: %s %d/%d %s %d/%d",
				       exts[e], w, pnative.ret, pmodule.ret, i,
				       "status", i < 0 ? 0 : pnative.status[i],
				       i < 0 ? 0 : pmodule.status[i], "node",
				       i < 0 ? 0 : pnative.final[i], i < 0 ? 0 : pmodule.final[i]);
			}
		}
	}
}

TEST_F_TIMEOUT(par, invalid_node_half_way_same_as_native, PAR_TIMEOUT)
{
	static int nodes[PN];

	for (int i = 0; i < PN; i++)
		nodes[i] = i % 2;
	nodes[2000] = 2;	/* no memory: -ENODEV, entries before it moved */
	prun(-1, 0, 0, nodes, NULL, 0, NULL, 0, NULL, 0, &pnative);
	prun(self->fd, MOVE_PAGES_EXT_PARALLEL, 0, nodes, NULL, 0, NULL, 0, NULL, 0, &pmodule);
	ASSERT_EQ(ENODEV, pmodule.err);
	ASSERT_EQ(1, pmodule.final[1999]);
	ASSERT_EQ(0, pmodule.final[2001]);
	ASSERT_TRUE(psame(&pnative, &pmodule));
}

TEST_F_TIMEOUT(par, pinned_pages_exact, PAR_TIMEOUT)
{
	static const int pin[] = { 10, 1600, 2900 };
	static int nodes[PN];
	int moved = 0;

	for (int i = 0; i < PN; i++)
		nodes[i] = 1;
	prun(self->fd, MOVE_PAGES_EXT_PARALLEL, 3, nodes, NULL, 0, NULL, 0, pin, 3, &pmodule);
	for (int i = 0; i < PN; i++) {
		if (i == 10 || i == 1600 || i == 2900) {
			EXPECT_TRUE(pmodule.status[i] == -EBUSY || pmodule.status[i] == -EAGAIN) {
				TH_LOG("pinned page %d: status %d", i, pmodule.status[i]);
			}
			EXPECT_EQ(0, pmodule.final[i]);
		} else {
			EXPECT_EQ(1, pmodule.status[i]);
			EXPECT_EQ(1, pmodule.final[i]);
			moved++;
		}
	}
	EXPECT_EQ(PN - 3, moved);
	EXPECT_EQ(3, pmodule.ret);
	EXPECT_EQ(0, pmodule.corrupt);
}

TEST_F_TIMEOUT(par, workers_only_with_the_flag, PAR_TIMEOUT)
{
	int status = 0, node = 0;
	void *page = &status;

	errno = 0;
	EXPECT_EQ(-1, module_move_pages_par(self->fd, 0, 1, &page, &node, &status,
					    MOVE_PAGES_EXT_GROUP_BY_NODE, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, module_move_pages_par(self->fd, 0, 1, &page, &node, &status,
					   MOVE_PAGES_EXT_PARALLEL, 2));
}

TEST_F_TIMEOUT(par, caller_on_one_cpu_gets_no_worker, PAR_TIMEOUT)
{
	static int nodes[PN];
	cpu_set_t one, all;
	long before;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	ASSERT_LE(2, CPU_COUNT(&all));
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	for (int i = 0; i < PN; i++)
		nodes[i] = i % 2;
	prun(-1, 0, 0, nodes, NULL, 0, NULL, 0, NULL, 0, &pnative);
	before = read_field(STATS, "parallel_slices");
	prun(self->fd, MOVE_PAGES_EXT_PARALLEL, 0, nodes, NULL, 0, NULL, 0, NULL, 0, &pmodule);
	EXPECT_EQ(before, read_field(STATS, "parallel_slices"));
	EXPECT_TRUE(psame(&pnative, &pmodule));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));
}

/*
 * Three THPs, entries for the first 1300 base pages (the folio at the first
 * entry is 2 MiB, so one entry is worth a slice): slice boundaries cut THPs,
 * and every subpage entry but the first of a THP finds its folio isolated.
 * Natively the entry after each THP's first gets -EBUSY; in parallel, the
 * busy entries are looked up again and answer the node, which is where
 * every page is.
 */
TEST_F_TIMEOUT(par, thp_cut_by_slices, PAR_TIMEOUT)
{
	const long thp = 2L << 20, n = 1300;
	static void *pages[1300];
	static int nodes[1300], status[1300], final[1300];
	char *raw = mmap(NULL, 4 * thp, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	char *p = (char *)(((uintptr_t)raw + thp - 1) & ~(thp - 1));
	long huge_before, huge, retried;

	ASSERT_NE(MAP_FAILED, raw);
	huge_before = read_field("/proc/self/smaps_rollup", "AnonHugePages:");
	ASSERT_EQ(0, madvise(p, 3 * thp, MADV_HUGEPAGE));
	for (long i = 0; i < 3 * thp / psz; i++)
		memset(p + i * psz, (int)(i % 251) + 1, psz);
	huge = read_field("/proc/self/smaps_rollup", "AnonHugePages:") - huge_before;
	ASSERT_LE(3 * thp / 1024, huge) {
		TH_LOG("only %ld kB of THP: the test needs three", huge);
	}
	for (long i = 0; i < n; i++) {
		pages[i] = p + i * psz;
		nodes[i] = 0;
	}
	native_move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE);
	for (long i = 0; i < n; i++)
		nodes[i] = 1;
	retried = read_field(STATS, "parallel_retried");
	ASSERT_EQ(0, module_move_pages_par(self->fd, 0, n, pages, nodes, status,
					   MOVE_PAGES_EXT_PARALLEL, 3));
	EXPECT_LT(retried, read_field(STATS, "parallel_retried"));
	ASSERT_EQ(0, native_move_pages(0, n, pages, NULL, final, 0));
	for (long i = 0; i < n; i++) {
		ASSERT_EQ(1, status[i]) TH_LOG("entry %ld", i);
		ASSERT_EQ(1, final[i]) TH_LOG("entry %ld", i);
	}
	for (long i = 0; i < 3 * thp / psz; i++) {
		ASSERT_EQ(i % 251 + 1, ((unsigned char *)p)[i * psz + psz - 1]) {
			TH_LOG("page %ld", i);
		}
	}
	munmap(raw, 4 * thp);
}

/*
 * A child moves 64 MiB back and forth in parallel until it is killed; the
 * request ends at its next window, the child exits by the signal, and the
 * checks after the program find no isolated page and no kernel report.
 */
TEST_F_TIMEOUT(par, caller_killed, PAR_TIMEOUT)
{
	const long n = 16384;
	pid_t child;
	int wstatus;

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		char *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void **pages = malloc(n * sizeof(void *));
		int *nodes = malloc(n * sizeof(int)), *st = malloc(n * sizeof(int));
		int fd = mp_dev_open();

		if (p == MAP_FAILED || !pages || !nodes || !st || fd < 0)
			_exit(2);
		madvise(p, n * psz, MADV_NOHUGEPAGE);
		memset(p, 1, n * psz);
		for (long i = 0; i < n; i++)
			pages[i] = p + i * psz;
		for (int round = 0;; round++) {
			for (long i = 0; i < n; i++)
				nodes[i] = (round + 1) % 2;
			module_move_pages_par(fd, 0, n, pages, nodes, st,
					      MOVE_PAGES_EXT_PARALLEL, 0);
		}
	}
	usleep(300 * 1000);
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &wstatus, 0));
	ASSERT_TRUE(WIFSIGNALED(wstatus));
	ASSERT_EQ(SIGKILL, WTERMSIG(wstatus));
}

TEST_HARNESS_MAIN
