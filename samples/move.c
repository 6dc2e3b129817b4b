// SPDX-License-Identifier: GPL-2.0
/*
 * move - migrate a buffer to another node through MOVE_PAGES_IOC_MOVE.
 *
 * Fills NR_PAGES anonymous pages with a pattern, moves them all to NODE
 * (default 1) with the module's ioctl, checks each page's status and that
 * the contents survived the migration, then queries again to confirm.
 * The ioctl takes the six arguments of move_pages(2) in one struct and
 * returns what the system call returns: -1 with errno, or the number of
 * pages not migrated (0 when every page was handled; status[] says how).
 *
 * Usage: move [NODE]      (needs the module and a NUMA machine with NODE)
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

#include <linux/mempolicy.h>	/* MPOL_MF_MOVE */
#include <linux/move_pages.h>

#define NR_PAGES	32

/* move_pages(2) on our own pages: a query if @nodes is NULL, else a move. */
static long mp_ioctl(int fd, void **pages, const int *nodes, int *status)
{
	struct move_pages_args args = {
		.size = sizeof(args),
		.flags = nodes ? MPOL_MF_MOVE : 0,
		.pid = 0,
		.nr_pages = NR_PAGES,
		.pages = (uintptr_t)pages,
		.nodes = (uintptr_t)nodes,
		.status = (uintptr_t)status,
	};

	return ioctl(fd, MOVE_PAGES_IOC_MOVE, &args);
}

/* Fails unless every page is on @node. */
static int check_status(const char *what, const int *status, int node)
{
	for (int i = 0; i < NR_PAGES; i++) {
		if (status[i] == node)
			continue;
		fprintf(stderr, "move: %s: page %d: status %d (%s), expected node %d\n",
			what, i, status[i],
			status[i] < 0 ? strerror(-status[i]) : "another node", node);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	int nodes[NR_PAGES], status[NR_PAGES];
	void *pages[NR_PAGES];
	unsigned char *buf;
	int fd, node = 1;
	char *end;
	long ret;

	if (argc > 1) {
		node = strtol(argv[1], &end, 10);
		if (end == argv[1] || *end) {
			fprintf(stderr, "usage: move [NODE]\n");
			return 2;
		}
	}
	fd = open(MOVE_PAGES_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "move: cannot open %s: %s (is move_pages.ko loaded?)\n",
			MOVE_PAGES_DEVICE, strerror(errno));
		return 1;
	}
	buf = mmap(NULL, NR_PAGES * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("move: mmap");
		return 1;
	}
	/* Page i is filled with byte i + 1: faulted in, and recognisable. */
	for (int i = 0; i < NR_PAGES; i++) {
		pages[i] = buf + i * psz;
		nodes[i] = node;
		memset(pages[i], i + 1, psz);
	}

	ret = mp_ioctl(fd, pages, nodes, status);
	if (ret < 0 && errno == ENODEV) {
		fprintf(stderr, "move: ENODEV: no node %d with memory on this machine\n",
			node);
		return 1;
	}
	if (ret < 0) {
		perror("move: MOVE_PAGES_IOC_MOVE");
		return 1;
	}
	if (ret > 0) {
		fprintf(stderr, "move: %ld pages not migrated\n", ret);
		return 1;
	}
	if (check_status("after the move", status, node))
		return 1;
	printf("moved %d pages of %ld bytes to node %d through %s\n", NR_PAGES,
	       psz, node, MOVE_PAGES_DEVICE);

	/* Migration copies the data to the new page: it must be unchanged. */
	for (long off = 0; off < NR_PAGES * psz; off++) {
		if (buf[off] != (unsigned char)(off / psz + 1)) {
			fprintf(stderr, "move: byte %ld changed to %#x\n", off, buf[off]);
			return 1;
		}
	}
	printf("contents intact\n");

	/* Query mode (nodes == NULL): every page must now report the node. */
	if (mp_ioctl(fd, pages, NULL, status) < 0) {
		perror("move: query");
		return 1;
	}
	if (check_status("query", status, node))
		return 1;
	printf("query confirms all %d pages on node %d\nmove: ok\n", NR_PAGES, node);
	return 0;
}
