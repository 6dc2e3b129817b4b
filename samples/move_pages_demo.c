// SPDX-License-Identifier: GPL-2.0
/*
 * move_pages_demo - move a buffer's pages to a node through /dev/move_pages.
 *
 * Allocates and fills a buffer, queries the node of each page, moves all of
 * them to the target node (default 1) with the module's ioctl, and prints
 * the per-page status summary and the node histogram before and after.
 *
 * Usage: move_pages_demo [NR_PAGES [NODE]]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/move_pages.h>

#define MPOL_MF_MOVE	0x2	/* numaif.h */
#define MAX_NODES	64

static long move_pages_ioctl(int fd, unsigned long nr, void **pages,
			     const int *nodes, int *status)
{
	struct move_pages_args args = {
		.size = sizeof(args),
		.flags = nodes ? MPOL_MF_MOVE : 0,
		.nr_pages = nr,
		.pages = (uintptr_t)pages,
		.nodes = (uintptr_t)nodes,
		.status = (uintptr_t)status,
	};

	return ioctl(fd, MOVE_PAGES_IOC_MOVE, &args);
}

/* Prints how many pages are on each node, and how many report an error. */
static void print_histogram(const char *when, const int *status, unsigned long nr)
{
	unsigned long per_node[MAX_NODES] = { 0 }, errors = 0;

	for (unsigned long i = 0; i < nr; i++) {
		if (status[i] >= 0 && status[i] < MAX_NODES)
			per_node[status[i]]++;
		else
			errors++;
	}
	printf("node histogram %s:", when);
	for (int n = 0; n < MAX_NODES; n++)
		if (per_node[n])
			printf(" node%d=%lu", n, per_node[n]);
	if (errors)
		printf(" error=%lu", errors);
	printf("\n");
}

/* Prints each distinct status value of a move with its count. */
static void status_summary(const int *status, unsigned long nr)
{
	printf("per-page status:");
	for (int v = -200; v < MAX_NODES; v++) {
		unsigned long n = 0;

		for (unsigned long i = 0; i < nr; i++)
			n += status[i] == v;
		if (!n)
			continue;
		if (v >= 0)
			printf(" node%d x%lu", v, n);
		else
			printf(" %s x%lu", strerror(-v), n);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned long nr = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	int target = argc > 2 ? atoi(argv[2]) : 1;
	long psz = sysconf(_SC_PAGESIZE);
	void **pages = calloc(nr, sizeof(*pages));
	int *nodes = calloc(nr, sizeof(*nodes));
	int *status = calloc(nr, sizeof(*status));
	unsigned char *buf;
	unsigned long moved = 0, bad = 0;
	long ret;
	int fd;

	fd = open(MOVE_PAGES_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(MOVE_PAGES_DEVICE " (is the module loaded? insmod move_pages.ko)");
		return 1;
	}
	buf = mmap(NULL, nr * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!pages || !nodes || !status || buf == MAP_FAILED) {
		perror("allocation");
		return 1;
	}
	for (unsigned long i = 0; i < nr; i++) {
		memset(buf + i * psz, (unsigned char)i, psz);
		pages[i] = buf + i * psz;
		nodes[i] = target;
	}

	printf("buffer: %lu pages of %ld bytes, target node %d\n", nr, psz, target);
	ret = move_pages_ioctl(fd, nr, pages, NULL, status);
	if (ret) {
		perror("query");
		return 1;
	}
	print_histogram("before", status, nr);

	ret = move_pages_ioctl(fd, nr, pages, nodes, status);
	if (ret < 0) {
		perror("move");
		return 1;
	}
	printf("move returned %ld (pages not migrated)\n", ret);
	status_summary(status, nr);

	ret = move_pages_ioctl(fd, nr, pages, NULL, status);
	if (ret) {
		perror("query");
		return 1;
	}
	print_histogram("after", status, nr);

	for (unsigned long i = 0; i < nr; i++) {
		moved += status[i] == target;
		for (long b = 0; b < psz; b += 512)
			bad += buf[i * psz + b] != (unsigned char)i;
	}
	printf("%lu of %lu pages on node %d, %lu corrupted bytes\n", moved, nr,
	       target, bad);
	return moved == nr && !bad ? 0 : 1;
}
