// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truths of the test guest and the module's front door: the NUMA
 * layout the other tests rely on, the native move_pages(2) working, and
 * /dev/move_pages answering like it for the simplest requests, and for long
 * queries whose entries share page tables (the module reads the entries after
 * the first of a table from the table itself).
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "mp_util.h"

static void *map_pages(size_t n, int touch)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; touch && i < n; i++)
		memset(p + i * psz, 0x5a + i, psz);
	return p;
}

TEST(numa_layout)
{
	char buf[64];

	ASSERT_EQ(0, read_sysfs("/sys/devices/system/node/online", buf, sizeof(buf)));
	EXPECT_STREQ("0-2", buf);
	ASSERT_EQ(0, read_sysfs("/sys/devices/system/node/has_memory", buf, sizeof(buf)));
	EXPECT_STREQ("0-1", buf);
}

TEST(native_moves_a_page)
{
	char *p = map_pages(1, 1);
	void *pages[1] = { p };
	int status = -1, node, other;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, native_move_pages(0, 1, pages, NULL, &status, 0));
	ASSERT_GE(status, 0);
	other = !status;
	node = other;
	ASSERT_EQ(0, native_move_pages(0, 1, pages, &node, &status, MPOL_MF_MOVE));
	EXPECT_EQ(other, status);
	status = -1;
	ASSERT_EQ(0, native_move_pages(0, 1, pages, NULL, &status, 0));
	EXPECT_EQ(other, status);
	EXPECT_EQ(0x5a, p[0]);
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(MOVE_PAGES_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666U, st.st_mode & 07777);
	EXPECT_EQ(10U, major(st.st_rdev));	/* a misc device */
}

TEST(device_unknown_ioctl_is_enotty)
{
	int fd = mp_dev_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, _IO(MOVE_PAGES_IOC_MAGIC, 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(device_wrong_size_is_einval)
{
	struct move_pages_args args = { .size = sizeof(args) - 8 };
	int fd = mp_dev_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, MOVE_PAGES_IOC_MOVE, &args));
	EXPECT_EQ(EINVAL, errno);
	args.size = sizeof(args);
	args.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(fd, MOVE_PAGES_IOC_MOVE, &args));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* One page moved by each path from a fresh mapping: same result, same node. */
TEST(device_moves_a_page_like_native)
{
	char *a = map_pages(1, 1), *b = map_pages(1, 1);
	void *pa[1] = { a }, *pb[1] = { b };
	int sa = -1, sb = -1, na, nb, node;
	long ra, rb;
	int fd = mp_dev_open();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, native_move_pages(0, 1, pa, NULL, &na, 0));
	ASSERT_EQ(0, native_move_pages(0, 1, pb, NULL, &nb, 0));
	ASSERT_EQ(na, nb);
	node = !na;
	ra = native_move_pages(0, 1, pa, &node, &sa, MPOL_MF_MOVE);
	rb = module_move_pages(fd, 0, 1, pb, &node, &sb, MPOL_MF_MOVE);
	EXPECT_EQ(ra, rb) {
		TH_LOG("module: errno %d", errno);
	}
	EXPECT_EQ(sa, sb);
	EXPECT_EQ(node, sb);
	ASSERT_EQ(0, native_move_pages(0, 1, pb, NULL, &nb, 0));
	EXPECT_EQ(node, nb);
	EXPECT_EQ(0x5a, b[0]);
	EXPECT_EQ(0x5a, b[getpagesize() - 1]);
	close(fd);
}

/* Query mode on touched, untouched and unmapped addresses. */
TEST(device_query_like_native)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *p = map_pages(4, 0);
	void *pages[5];
	int s1[5], s2[5], i;
	int fd = mp_dev_open();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	p[0] = 1;			/* present */
	(void)__atomic_load_n(p + psz, __ATOMIC_RELAXED);	/* zero page */
	munmap(p + 3 * psz, psz);	/* unmapped */
	for (i = 0; i < 4; i++)
		pages[i] = p + i * psz;
	pages[4] = p;			/* duplicate */
	memset(s1, 0x7f, sizeof(s1));
	memset(s2, 0x7f, sizeof(s2));
	EXPECT_EQ(native_move_pages(0, 5, pages, NULL, s1, 0),
		  module_move_pages(fd, 0, 5, pages, NULL, s2, 0));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(s1[i], s2[i]) {
			TH_LOG("status[%d]", i);
		}
	}
	EXPECT_EQ(-EFAULT, s2[1]);
	EXPECT_EQ(-ENOENT, s2[2]);
	EXPECT_EQ(-EFAULT, s2[3]);
	close(fd);
}

/*
 * One page table's worth of mixed mappings, and a THP next to it: pages on
 * node 0 and on node 1, pages never touched, zero pages (read but never
 * written), an unmapped hole and a PROT_NONE page (vma boundaries inside the
 * table), a PMD-mapped THP; queried in order, backwards, with duplicates and
 * jumps between the two, in 2,600 entries (several 512-entry chunks and a
 * tail), through the module and natively: the same statuses.
 */
TEST(query_runs_same_as_native)
{
	const long psz = sysconf(_SC_PAGESIZE), thp = 2L << 20;
	const long n = thp / psz;	/* pages of one page table */
	enum { NR = 2600 };
	static void *pages[NR];
	static int native[NR], module[NR];
	char *raw = mmap(NULL, 4 * thp, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	char *a = (char *)(((uintptr_t)raw + thp - 1) & ~(thp - 1)), *h = a + thp;
	int fd = mp_dev_open(), one = 1, st, huge = 0;
	long zero_sum = 0;

	ASSERT_NE(MAP_FAILED, raw);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, madvise(a, thp, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, madvise(h, thp, MADV_HUGEPAGE));
	memset(h, 7, thp);
	for (long i = 0; i < n; i++) {
		void *page = a + i * psz;

		if (i % 7 < 4)
			a[i * psz] = 1;
		if (i % 7 == 3)
			native_move_pages(0, 1, &page, &one, &st, MPOL_MF_MOVE);
		if (i % 7 == 4)
			zero_sum += a[i * psz];	/* the zero page; 5 and 6: never touched */
	}
	ASSERT_EQ(0, zero_sum);
	munmap(a + 100 * psz, psz);
	mprotect(a + 300 * psz, psz, PROT_NONE);
	for (int i = 0; i < NR; i++) {
		long k;

		if (i < 1000)
			k = i % n;			/* in order, wrapping */
		else if (i < 1600)
			k = n - 1 - (i - 1000) % n;	/* backwards */
		else if (i < 2000)
			k = (i / 2) % n;		/* each twice */
		else
			k = (i % 2 ? n + i % n : i % n);	/* in and out of the THP */
		pages[i] = (k < n ? a + k * psz : h + (k - n) * psz);
	}
	ASSERT_EQ(0, native_move_pages(0, NR, pages, NULL, native, 0));
	ASSERT_EQ(0, module_move_pages(fd, 0, NR, pages, NULL, module, 0));
	for (int i = 0; i < NR; i++) {
		huge += pages[i] >= (void *)h && native[i] >= 0;
		EXPECT_EQ(native[i], module[i]) {
			TH_LOG("entry %d (%p): native %d, module %d", i, pages[i], native[i],
			       module[i]);
		}
	}
	EXPECT_LT(0, huge);
	EXPECT_LE(thp / 1024, read_field("/proc/self/smaps_rollup", "AnonHugePages:"));
	munmap(raw, 4 * thp);
	close(fd);
}

TEST_HARNESS_MAIN
