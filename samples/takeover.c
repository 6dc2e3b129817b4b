// SPDX-License-Identifier: GPL-2.0
/*
 * takeover - a plain move_pages(2) program, served by the module when the
 * takeover is on.
 *
 * Nothing here is specific to the module: the program calls the system call
 * itself (as libnuma's move_pages() does) to find the node of each page of
 * a buffer, move the buffer to node 1, and move it back.
 *
 * Once the takeover is on (insmod move_pages.ko takeover=1, or at run time
 * echo 1 > /sys/kernel/debug/move_pages/takeover), the kernel's move_pages(2)
 * entry point is redirected through ftrace to the module, so these same calls
 * run the module's implementation, with the same results. What shows it is
 * the module's counters: "calls_syscall" in /sys/kernel/debug/move_pages/stats
 * grows by one per call of a 64-bit process ("calls_syscall32" for 32-bit).
 * With --expect-takeover the program reads it before and after, and fails
 * unless it grew by exactly the number of calls made (so nothing else may
 * call move_pages(2) meanwhile).
 *
 * Usage: takeover [--expect-takeover]   (needs a NUMA machine with node 1)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mempolicy.h>	/* MPOL_MF_MOVE */

#define NR_PAGES	32
#define STATS		"/sys/kernel/debug/move_pages/stats"

static int nr_calls;

/* move_pages(2) on our own pages: a query if @nodes is NULL, else a move. */
static long sys_move_pages(void **pages, const int *nodes, int *status)
{
	nr_calls++;
	return syscall(SYS_move_pages, 0, NR_PAGES, pages, nodes, status, MPOL_MF_MOVE);
}

/* The value of the "calls_syscall N" line of the module's stats, or -1. */
static long read_counter(void)
{
	FILE *f = fopen(STATS, "r");
	long n, val = -1;
	char name[64];

	if (!f) {
		perror("takeover: " STATS " (module loaded? as root?)");
		return -1;
	}
	while (fscanf(f, "%63s %ld", name, &n) == 2)
		if (!strcmp(name, "calls_syscall"))
			val = n;
	fclose(f);
	if (val < 0)
		fprintf(stderr, "takeover: no calls_syscall line in " STATS "\n");
	return val;
}

/* Moves page i to nodes[i]; fails unless every page arrived there. */
static int move(void **pages, const int *nodes, const char *where)
{
	int status[NR_PAGES];
	long ret = sys_move_pages(pages, nodes, status);

	if (ret < 0 && errno == ENODEV) {
		fprintf(stderr, "takeover: %s: ENODEV: no node 1 (needs a NUMA machine)\n", where);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "takeover: %s: move_pages(2) returned %ld (%s)\n", where,
			ret, ret < 0 ? strerror(errno) : "pages not migrated");
		return 1;
	}
	for (int i = 0; i < NR_PAGES; i++) {
		if (status[i] != nodes[i]) {
			fprintf(stderr, "takeover: %s: page %d: status %d\n",
				where, i, status[i]);
			return 1;
		}
	}
	printf("moved %d pages %s\n", NR_PAGES, where);
	return 0;
}

int main(int argc, char **argv)
{
	int expect = argc == 2 && !strcmp(argv[1], "--expect-takeover");
	int home[NR_PAGES], node1[NR_PAGES];
	long psz = sysconf(_SC_PAGESIZE);
	long before = 0, after;
	void *pages[NR_PAGES];
	char *buf;

	if (argc > 1 && !expect) {
		fprintf(stderr, "usage: takeover [--expect-takeover]\n");
		return 2;
	}
	if (expect) {
		before = read_counter();
		if (before < 0)
			return 1;
	}

	buf = mmap(NULL, NR_PAGES * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("takeover: mmap");
		return 1;
	}
	for (int i = 0; i < NR_PAGES; i++) {
		pages[i] = buf + i * psz;
		memset(pages[i], i + 1, psz);
		node1[i] = 1;
	}

	/* Query (nodes == NULL): the node each page was first put on. */
	if (sys_move_pages(pages, NULL, home)) {
		perror("takeover: query");
		return 1;
	}
	printf("buffer of %d pages starts on node %d\n", NR_PAGES, home[0]);

	if (move(pages, node1, "to node 1") || move(pages, home, "back"))
		return 1;
	for (long off = 0; off < NR_PAGES * psz; off++) {
		if (buf[off] != (char)(off / psz + 1)) {
			fprintf(stderr, "takeover: byte %ld changed\n", off);
			return 1;
		}
	}
	printf("contents intact after %d move_pages(2) calls\n", nr_calls);
	if (!expect)
		return 0;

	after = read_counter();
	printf("calls_syscall: %ld before, %ld after\n", before, after);
	if (after - before != nr_calls) {
		fprintf(stderr, "takeover: calls_syscall did not grow by %d: is the takeover on?\n",
			nr_calls);
		return 1;
	}
	printf("all %d calls were served by the module\n", nr_calls);
	return 0;
}
