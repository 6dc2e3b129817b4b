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
 *
 * mp_hammer -h: held mode: as -b, but a second thread reads the fault from the
 * userfaultfd (so the call is known to wait inside), prints "blocked", and on
 * SIGUSR1 serves it: the array then holds one page of ours, which the call
 * must move to node 1 with its contents intact. Exits 0 only on that answer.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
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

/*
 * A page of anonymous memory in *arr whose missing-page faults wait on the
 * returned userfaultfd; -1 on failure.
 */
static int unserved_page(char **arr, long psz)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);

	*arr = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)*arr;
	reg.range.len = psz;
	if (uffd < 0 || *arr == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		perror("userfaultfd");
		return -1;
	}
	return uffd;
}

static int block_in_call(long psz)
{
	int nodes[1] = { 1 }, status[1];
	char *arr;

	if (unserved_page(&arr, psz) < 0)
		return 2;
	printf("blocked\n");
	fflush(stdout);
	native_move_pages(0, 1, (void **)arr, nodes, status, MPOL_MF_MOVE);
	printf("the call returned\n");
	return 1;
}

struct held {
	int uffd;
	char *arr;
	char *page;
	long psz;
	int served;
};

static void *serve_on_usr1(void *arg)
{
	struct held *h = arg;
	struct uffd_msg msg;
	struct uffdio_copy copy = { 0 };
	void **src = mmap(NULL, h->psz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sigset_t set;
	int sig;

	if (src == MAP_FAILED ||
	    read(h->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		perror("userfaultfd read");
		return NULL;
	}
	printf("blocked\n");
	fflush(stdout);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &sig);
	src[0] = h->page;
	copy.dst = (unsigned long)h->arr;
	copy.src = (unsigned long)src;
	copy.len = h->psz;
	if (ioctl(h->uffd, UFFDIO_COPY, &copy)) {
		perror("UFFDIO_COPY");
		return NULL;
	}
	h->served = 1;
	return NULL;
}

static int held_in_call(long psz)
{
	struct held h = { .psz = psz };
	int node0[1] = { 0 }, node1[1] = { 1 }, status[1] = { -1 };
	pthread_t server;
	sigset_t set;
	long ret;

	h.page = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h.page == MAP_FAILED)
		return 2;
	memset(h.page, 0x5a, psz);
	if (native_move_pages(0, 1, (void **)&h.page, node0, status, MPOL_MF_MOVE) ||
	    status[0] != 0) {
		printf("cannot put the page on node 0 (status %d)\n", status[0]);
		return 2;
	}
	h.uffd = unserved_page(&h.arr, psz);
	if (h.uffd < 0)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&server, NULL, serve_on_usr1, &h))
		return 2;
	status[0] = -1;
	ret = native_move_pages(0, 1, (void **)h.arr, node1, status, MPOL_MF_MOVE);
	pthread_join(server, NULL);
	printf("the call returned %ld, status %d, served %d, data %#x\n",
	       ret, status[0], h.served, h.page[psz - 1] & 0xff);
	return !(ret == 0 && status[0] == 1 && h.served &&
		 h.page[0] == 0x5a && h.page[psz - 1] == 0x5a);
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
	if (argc == 2 && !strcmp(argv[1], "-h"))
		return held_in_call(psz);
	if (!res && (argc != 3 || (strcmp(argv[1], "-n") && strcmp(argv[1], "-t")))) {
		fprintf(stderr, "usage: %s -n CALLS | -t SECONDS | -r | -b | -h\n", argv[0]);
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
