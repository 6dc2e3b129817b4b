// SPDX-License-Identifier: GPL-2.0
/*
 * mp_hammer - plain move_pages(2) calls, checked.
 *
 * Moves 64 pages between node 0 and node 1 with the native system call
 * (whatever serves it), checking after every call that it returned 0, that
 * every status is the target node and that the pages' contents are intact.
 *
 * Usage: mp_hammer -n CALLS | -t SECONDS
 * Prints the number of calls made; exits 1 on any wrong answer.
 *
 * mp_hammer -r: resident mode, for a migration done from outside: put the
 * pages on node 0, print "ready ADDRESS PAGES", wait for SIGUSR1, then check with a query
 * that every page is on node 1 with its contents intact.
 *
 * mp_hammer -b: blocked mode: one move_pages(2) whose pages array lies in a
 * userfaultfd-registered region that nobody serves, so the call waits inside
 * for good; prints "blocked" first. Ends only by a signal.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "mp_util.h"

#define NR 64

static int resident(char *buf, void **pages, long psz)
{
	int nodes[NR], status[NR], sig;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < NR; i++)
		nodes[i] = 0;
	if (native_move_pages(0, NR, pages, nodes, status, MPOL_MF_MOVE))
		return 2;
	printf("ready %p %d\n", (void *)buf, NR);
	fflush(stdout);
	sigwait(&set, &sig);
	if (native_move_pages(0, NR, pages, NULL, status, 0))
		return 1;
	for (int i = 0; i < NR; i++) {
		if (status[i] != 1 || buf[i * psz] != i + 1) {
			printf("page %d on node %d, data %d\n", i, status[i], buf[i * psz]);
			return 1;
		}
	}
	printf("all %d pages on node 1, intact\n", NR);
	return 0;
}

static int block_in_call(long psz)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	int nodes[1] = { 1 }, status[1];
	char *arr = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	reg.range.start = (unsigned long)arr;
	reg.range.len = psz;
	if (uffd < 0 || arr == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		perror("userfaultfd");
		return 2;
	}
	printf("blocked\n");
	fflush(stdout);
	native_move_pages(0, 1, (void **)arr, nodes, status, MPOL_MF_MOVE);
	printf("the call returned\n");
	return 1;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE), calls = 0, limit = 0, secs = 0;
	void *pages[NR];
	int nodes[NR], status[NR];
	time_t end;
	char *buf;

	int res = argc == 2 && !strcmp(argv[1], "-r");

	if (argc == 2 && !strcmp(argv[1], "-b"))
		return block_in_call(psz);
	if (!res && (argc != 3 || (strcmp(argv[1], "-n") && strcmp(argv[1], "-t")))) {
		fprintf(stderr, "usage: %s -n CALLS | -t SECONDS | -r | -b\n", argv[0]);
		return 2;
	}
	if (res)
		;
	else if (!strcmp(argv[1], "-n"))
		limit = atol(argv[2]);
	else
		secs = atol(argv[2]);
	buf = mmap(NULL, NR * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 2;
	for (int i = 0; i < NR; i++) {
		memset(buf + i * psz, i + 1, psz);
		pages[i] = buf + i * psz;
	}
	if (res)
		return resident(buf, pages, psz);
	end = time(NULL) + secs;
	while (limit ? calls < limit : time(NULL) < end) {
		int target = calls % 2;
		long ret;

		for (int i = 0; i < NR; i++)
			nodes[i] = target;
		ret = native_move_pages(0, NR, pages, nodes, status, MPOL_MF_MOVE);
		calls++;
		if (ret) {
			printf("call %ld returned %ld (errno %d)\n", calls, ret, errno);
			return 1;
		}
		for (int i = 0; i < NR; i++) {
			if (status[i] != target || buf[i * psz] != i + 1 ||
			    buf[i * psz + psz - 1] != i + 1) {
				printf("call %ld: page %d status %d (target %d) data %d\n",
				       calls, i, status[i], target, buf[i * psz]);
				return 1;
			}
		}
	}
	printf("%ld\n", calls);
	return 0;
}
