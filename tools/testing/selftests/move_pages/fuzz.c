// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz - seeded random hostile requests, bounded in time.
 *
 * Each request has random flags, pid, nr_pages (including ULONG_MAX and other
 * huge counts) and arrays that are NULL, kernel addresses, misaligned,
 * read-only, cut short by an unmapped page at a random position, or overlap
 * each other (status inside pages). Whatever the module answers must be what
 * the native move_pages(2) answers to the same arguments on the same state:
 * the same return value and errno, and the same bytes left in the writable
 * arrays. Requests with ABI fields the system call does not have (size,
 * unknown ext_flags bits, reserved) must get -EINVAL. TAP: one line per 500
 * requests.
 *
 * Usage: fuzz [SECONDS [SEED]]
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest.h"
#include "mp_util.h"

#define ARENA_PAGES	64
#define BLOCK		500

static unsigned long long rng;
static long psz;

static unsigned long long rnd64(void)
{
	return mp_xorshift64(&rng);
}

static unsigned int rnd(unsigned int n)
{
	return (unsigned int)(rnd64() >> 11) % n;
}

/* Data pages the arrays may point to, each filled with one node number. */
static char *data;
/* Where arrays live: ARENA_PAGES pages, the last one unmapped, one read-only. */
static char *arena;

static uintptr_t random_ptr(void)
{
	switch (rnd(10)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)0xffff888000000000ULL;
	case 2:
		return (uintptr_t)(data + rnd(8) * psz + rnd(psz));
	case 3:
		return (uintptr_t)rnd64();
	default:
		return (uintptr_t)(data + rnd(8) * psz);
	}
}

/* An array start inside the arena, so that it runs into the unmapped page at a random entry. */
static char *random_array(size_t elem)
{
	long last = (ARENA_PAGES - 1) * psz;	/* the unmapped page */

	switch (rnd(8)) {
	case 0:
		return NULL;
	case 1:
		return (char *)(uintptr_t)0xffff888000001000ULL;
	case 2:
		return arena + last - elem * rnd(40);	/* ends at the hole */
	case 3:
		return arena + psz + rnd(64);		/* misaligned */
	case 4:
		return arena + (ARENA_PAGES - 2) * psz;	/* read-only page */
	default:
		return arena + rnd(ARENA_PAGES - 2) * psz;
	}
}

static unsigned long random_nr(void)
{
	static const unsigned long odd[] = {
		0, ULONG_MAX, ULONG_MAX / 8, ULONG_MAX / 4 + 1, 1UL << 31, (1UL << 31) + 5,
		UINT_MAX,
	};

	if (rnd(4) == 0)
		return odd[rnd(ARRAY_SIZE(odd))];
	return 1 + rnd(40);
}

/* Fill the writable arena with random pointers and nodes, the same for both calls. */
static void fill_arena(unsigned long long seed)
{
	unsigned long long save = rng;

	rng = seed;
	for (long off = 0; off < (ARENA_PAGES - 2) * psz; off += sizeof(uintptr_t)) {
		uintptr_t v = rnd(2) ? random_ptr() : (uintptr_t)(rnd(3) ? rnd(2) : rnd64());

		memcpy(arena + off, &v, sizeof(v));
	}
	rng = save;
}

/* The arena as the native call left it. */
static unsigned char after_native[(ARENA_PAGES - 2) * 4096];
static long errnos[200], outcomes[2];

/*
 * A random address of a 32-bit process lands in this program's own memory
 * now and then, and a query reports whether that page is there: what the
 * loop first writes between the native and the module call (the copy of the
 * arena, the answer counts, stack) is written before the first request, so
 * that both calls see the same pages.
 */
static void settle_memory(void)
{
	unsigned char stack[64 * 1024];

	memset(stack, 0, sizeof(stack));
	/* The writes are kept: the compiler must assume the array is read. */
	__asm__ __volatile__("" : : "r"(stack) : "memory");
	memset(after_native, 0, sizeof(after_native));
	memset(errnos, 0, sizeof(errnos));
	memset(outcomes, 0, sizeof(outcomes));
}

/*
 * settle_memory() called through a pointer the compiler cannot follow, so
 * never inlined: its stack array lies below main()'s frame, where the loop's
 * calls put theirs.
 */
static void settle(void)
{
	void (*fn)(void) = settle_memory;

	__asm__("" : "+r"(fn));
	fn();
}

/* The first int of the arena where the module's call left other bytes than native's. */
static long first_difference(void)
{
	for (long off = 0; off + 4 <= (long)sizeof(after_native); off += 4)
		if (memcmp(after_native + off, arena + off, 4))
			return off;
	return -1;
}

/* Put the data pages back on node 0 and check they are intact. */
static int reset_data(void)
{
	void *p[8];
	int z[8], st[8], bad = 0;

	for (int i = 0; i < 8; i++) {
		p[i] = data + i * psz;
		z[i] = 0;
		bad += data[i * psz] != 1 || data[i * psz + psz - 1] != 1;
	}
	native_move_pages(0, 8, p, z, st, MPOL_MF_MOVE);
	return bad;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 20;
	unsigned long long seed = (unsigned long long)time(NULL);
	long requests = 0, differ = 0, abi = 0, blocks = 0, corrupt = 0;
	int fd = mp_dev_open();
	time_t end = time(NULL) + secs;

	if (argc > 2)
		seed = strtoull(argv[2], NULL, 0);
	psz = sysconf(_SC_PAGESIZE);
	if (fd < 0 || psz != 4096)
		return 2;
	data = mmap(NULL, 8 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	arena = mmap(NULL, ARENA_PAGES * psz, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (data == MAP_FAILED || arena == MAP_FAILED)
		return 2;
	memset(data, 1, 8 * psz);
	munmap(arena + (ARENA_PAGES - 1) * psz, psz);
	mprotect(arena + (ARENA_PAGES - 2) * psz, psz, PROT_READ);
	printf("TAP version 13\n# seed %llu, %d s\n", seed, secs);
	rng = seed | 1;
	settle();

	while (time(NULL) < end) {
		unsigned long long arena_seed = rnd64();
		unsigned long nr = random_nr();
		void **pages = (void **)random_array(sizeof(void *));
		int *nodes = rnd(5) ? (int *)random_array(4) : NULL;
		int *status = rnd(6) ? (int *)random_array(4) : (int *)pages;
		int flags = rnd(10) ? MPOL_MF_MOVE : (int)rnd64();
		/* Never another live process: both calls must see the same state. */
		int pid = rnd(10) ? 0 : (rnd(2) ? getpid() : (rnd(2) ? -1 : 0x3ffffff0));
		long rn, rm;
		int en, em;

		/* The native call, then the module's, from the same state. */
		corrupt += reset_data();
		fill_arena(arena_seed);
		errno = 0;
		rn = native_move_pages(pid, nr, pages, nodes, status, flags);
		en = rn < 0 ? errno : 0;
		if (rn < 0)
			errnos[en < 200 ? en : 0]++;
		else
			outcomes[rn > 0]++;
		memcpy(after_native, arena, sizeof(after_native));
		corrupt += reset_data();
		fill_arena(arena_seed);
		errno = 0;
		rm = module_move_pages(fd, pid, nr, pages, nodes, status, flags);
		em = rm < 0 ? errno : 0;
		requests++;
		if (rn != rm || en != em ||
		    memcmp(after_native, arena, sizeof(after_native))) {
			differ++;
			if (differ <= 10)
				printf("# request %ld: native %ld/%d, module %ld/%d, arena %s",
				       requests, rn, en, rm, em,
				       memcmp(after_native, arena, sizeof(after_native)) ?
				       "differs" : "same");
			if (differ <= 10)
				printf(" (nr %lu flags %#x pid %d)\n", nr, flags, pid);
			if (differ <= 10 && first_difference() >= 0) {
				long off = first_difference();
				int vn, vm;

				memcpy(&vn, after_native + off, 4);
				memcpy(&vm, arena + off, 4);
				printf("#   first at arena+%#lx: native %d, module %d",
				       off, vn, vm);
				printf(" (status at %p)\n", (void *)status);
			}
		}
		/* A field the system call does not have must be refused. */
		{
			struct move_pages_args args = {
				.size = rnd(2) ? sizeof(args) + 8 * (1 + rnd(4)) : rnd(64),
				.nr_pages = nr, .pages = (uintptr_t)pages,
			};

			switch (rnd(4)) {
			case 0:
				args.size = sizeof(args);
				args.reserved[rnd(3)] = (__u32)rnd64() | 1;
				break;
			case 1:
				/* Extension bits this version does not know. */
				args.size = sizeof(args);
				args.ext_flags = (__u32)(rnd64() << 3) | 8;
				break;
			case 2:
				/* A worker count without MOVE_PAGES_EXT_PARALLEL. */
				args.size = sizeof(args);
				args.ext_flags = rnd(4);
				args.workers = (__u32)rnd64() | 1;
				break;
			}
			if (ioctl(fd, MOVE_PAGES_IOC_MOVE, &args) != -1 || errno != EINVAL)
				abi++;
		}
		if (requests % BLOCK == 0) {
			blocks++;
			printf("%sok %ld requests %ld-%ld (%ld differ, %ld abi, %ld corrupt)\n",
			       differ || abi || corrupt ? "not " : "", blocks,
			       requests - BLOCK + 1, requests, differ, abi, corrupt);
			fflush(stdout);
		}
	}
	blocks++;
	printf("%sok %ld all %ld requests (%ld differ, %ld abi misses, %ld corrupt)\n",
	       differ || abi || corrupt ? "not " : "", blocks, requests, differ, abi, corrupt);
	printf("# native answers: 0 x%ld, >0 x%ld", outcomes[0], outcomes[1]);
	for (int e = 0; e < 200; e++)
		if (errnos[e])
			printf(", %s x%ld", strerrorname_np(e) ?: "?", errnos[e]);
	printf("\n");
	printf("1..%ld\n", blocks);
	return differ || abi || corrupt ? 1 : 0;
}
