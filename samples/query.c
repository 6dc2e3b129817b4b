// SPDX-License-Identifier: GPL-2.0
/*
 * query - where are my pages? Query mode of MOVE_PAGES_IOC_MOVE.
 *
 * Maps NR_PAGES + 1 anonymous pages, writes to the first NR_PAGES and leaves
 * the last one untouched, then asks /dev/move_pages for the node of each page
 * and prints how many pages are on each node. With .nodes == 0 the ioctl
 * moves nothing: like move_pages(2) with nodes == NULL, it only fills
 * status[] with the node of each page, or -ENOENT for a page never touched
 * (nothing is mapped there yet).
 *
 * Usage: query        (needs the module: insmod move_pages.ko)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/move_pages.h>

#define NR_PAGES	16
#define MAX_NODES	64

int main(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned int per_node[MAX_NODES] = { 0 };
	void *pages[NR_PAGES + 1];
	int status[NR_PAGES + 1];
	struct move_pages_args args = {
		.size = sizeof(args),	/* MOVE_PAGES_ARGS_SIZE_VER0 */
		.flags = 0,		/* no MPOL_MF_MOVE: nothing moves anyway */
		.pid = 0,		/* the calling process */
		.nr_pages = NR_PAGES + 1,
		.pages = (uintptr_t)pages,
		.nodes = 0,		/* 0: query mode */
		.status = (uintptr_t)status,
	};
	char *buf;
	int fd, i;

	fd = open(MOVE_PAGES_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "query: cannot open %s: %s (is move_pages.ko loaded?)\n",
			MOVE_PAGES_DEVICE, strerror(errno));
		return 1;
	}

	buf = mmap(NULL, (NR_PAGES + 1) * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("query: mmap");
		return 1;
	}
	/*
	 * Keep transparent huge pages out of the buffer, so that touching its
	 * neighbours cannot populate the last page. (Fails harmlessly with
	 * EINVAL on a kernel without THP.)
	 */
	madvise(buf, (NR_PAGES + 1) * psz, MADV_NOHUGEPAGE);

	/* Touch the first NR_PAGES: each write faults in a page on some node. */
	for (i = 0; i <= NR_PAGES; i++) {
		pages[i] = buf + i * psz;
		if (i < NR_PAGES)
			memset(pages[i], 0x5a, psz);
	}

	/* status[] is fully written by the call; poison it to show that. */
	memset(status, 0x7f, sizeof(status));
	if (ioctl(fd, MOVE_PAGES_IOC_MOVE, &args) < 0) {
		perror("query: MOVE_PAGES_IOC_MOVE");
		return 1;
	}

	for (i = 0; i < NR_PAGES; i++) {
		if (status[i] < 0 || status[i] >= MAX_NODES) {
			fprintf(stderr, "query: page %d: unexpected status %d\n",
				i, status[i]);
			return 1;
		}
		per_node[status[i]]++;
	}

	printf("queried %d pages of %ld bytes through %s\n", NR_PAGES + 1, psz,
	       MOVE_PAGES_DEVICE);
	for (i = 0; i < MAX_NODES; i++)
		if (per_node[i])
			printf("  node %d: %u pages\n", i, per_node[i]);
	printf("  untouched page: status %d (%s)\n", status[NR_PAGES],
	       status[NR_PAGES] < 0 ? strerror(-status[NR_PAGES]) : "a node?");

	if (status[NR_PAGES] != -ENOENT) {
		fprintf(stderr, "query: the untouched page should be -ENOENT\n");
		return 1;
	}
	printf("query: ok\n");
	return 0;
}
