/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the move_pages selftests: the native system call,
 * the module's ioctl, and the guest's NUMA layout.
 */
#ifndef MP_UTIL_H
#define MP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/move_pages.h>

#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE		0x2	/* numaif.h */
#define MPOL_MF_MOVE_ALL	0x4
#endif

/* move_pages(2) through the kernel's own entry point. */
static inline long native_move_pages(int pid, unsigned long nr, void **pages,
				     const int *nodes, int *status, int flags)
{
	return syscall(__NR_move_pages, pid, nr, pages, nodes, status, flags);
}

static inline int mp_dev_open(void)
{
	return open(MOVE_PAGES_DEVICE, O_RDWR | O_CLOEXEC);
}

/* move_pages(2) through /dev/move_pages: same arguments, same return value. */
static inline long module_move_pages(int fd, int pid, unsigned long nr,
				     void **pages, const int *nodes,
				     int *status, int flags)
{
	struct move_pages_args args = {
		.size = sizeof(args),
		.flags = flags,
		.pid = pid,
		.nr_pages = nr,
		.pages = (uintptr_t)pages,
		.nodes = (uintptr_t)nodes,
		.status = (uintptr_t)status,
	};

	return ioctl(fd, MOVE_PAGES_IOC_MOVE, &args);
}

/*
 * The same with extension flags (MOVE_PAGES_EXT_*) and, with
 * MOVE_PAGES_EXT_PARALLEL, the most threads (@workers, 0: the module's choice).
 */
static inline long module_move_pages_workers(int fd, int pid, unsigned long nr,
					     void **pages, const int *nodes, int *status,
					     int flags, unsigned int ext, unsigned int workers)
{
	struct move_pages_args args = {
		.size = sizeof(args),
		.flags = flags,
		.pid = pid,
		.ext_flags = ext,
		.workers = workers,
		.nr_pages = nr,
		.pages = (uintptr_t)pages,
		.nodes = (uintptr_t)nodes,
		.status = (uintptr_t)status,
	};

	return ioctl(fd, MOVE_PAGES_IOC_MOVE, &args);
}

static inline long module_move_pages_ext(int fd, int pid, unsigned long nr,
					 void **pages, const int *nodes,
					 int *status, int flags, unsigned int ext)
{
	return module_move_pages_workers(fd, pid, nr, pages, nodes, status, flags, ext, 0);
}

/* A move (MPOL_MF_MOVE) of process @pid's pages with @ext and @workers. */
static inline long module_move_pages_par(int fd, int pid, unsigned long nr, void **pages,
					 const int *nodes, int *status, unsigned int ext,
					 unsigned int workers)
{
	return module_move_pages_workers(fd, pid, nr, pages, nodes, status, MPOL_MF_MOVE, ext,
					 workers);
}

/*
 * The kselftest harness's time limit for one scenario (TEST_F_TIMEOUT), a
 * guard against a hang only: a scenario of a thousand pages, run natively and
 * through the module on fresh worlds, takes minutes in an emulated guest on a
 * busy host, past the harness's default of 30 s.
 */
#define MP_SCENARIO_TIMEOUT 300

/* Reads a sysfs file into buf, without the trailing newline. */
static inline int read_sysfs(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Writes @s to the file at @path; 0 or -1. */
static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* A fault-injection knob, /sys/kernel/debug/@attr/@file (fail_page_alloc, failslab). */
static inline int set_fault_knob(const char *attr, const char *file, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", attr, file);
	return write_str(path, value);
}

static inline long get_fault_knob(const char *attr, const char *file)
{
	char path[128], buf[32] = "";

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", attr, file);
	return read_sysfs(path, buf, sizeof(buf)) < 0 ? -1 : strtol(buf, NULL, 10);
}

/*
 * The number after @key on the first line of the file at @path that contains
 * @key (a "Name: value" file: /proc/PID/status, smaps_rollup, a node's meminfo,
 * the module's debugfs stats), or -1.
 */
static inline long read_field(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, key);

		if (p) {
			v = strtol(p + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* This process's pages that KSM merged (/proc/self/ksm_stat), or -1. */
static inline long mp_ksm_merging_pages(void)
{
	return read_field("/proc/self/ksm_stat", "ksm_merging_pages");
}

/*
 * Waits until KSM merges at least @want of this process's pages, judged by
 * ksmd's progress, not by the clock (a guest sharing its host's CPUs may
 * give ksmd little time): a page is merged on the second scan that finds
 * it unchanged, so @scans full scans ended after the call without the merge
 * mean ksmd looked and would not. @limit_s only guards against a ksmd that
 * makes no progress at all. Returns the pages merged; *@done the full scans
 * seen end meanwhile.
 */
static inline long mp_ksm_wait_merged(long want, int scans, int limit_s, long *done)
{
	char buf[32];
	long first = -1, merged = 0, full = 0;

	for (long t = 0; t < limit_s * 50L; t++) {
		if (!read_sysfs("/sys/kernel/mm/ksm/full_scans", buf, sizeof(buf)))
			full = atol(buf);
		if (first < 0)
			first = full;
		merged = mp_ksm_merging_pages();
		if (merged >= want || full - first >= scans)
			break;
		usleep(20000);
	}
	if (done)
		*done = full - first;
	return merged;
}

/* MemFree of a node in KiB, or -1. */
static inline long node_free_kib(int node)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", node);
	return read_field(path, "MemFree:");
}

/*
 * A line in the kernel log; the log scans (tools/vm/run-vm.sh, run_tests.sh)
 * accept warn_alloc()'s stack dumps between "move_pages-test: expected
 * allocation failures begin" and "... end".
 */
static inline void log_mark(const char *msg)
{
	int fd = open("/dev/kmsg", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, msg, strlen(msg)) < 0)
			perror("/dev/kmsg");
		close(fd);
	}
}

/*
 * The contents of the page with pattern @id: every 8-byte word differs with
 * the id and the offset, so a page swapped with, or copied over, another one
 * is seen, not only a page whose bytes changed.
 */
static inline unsigned long long mp_pattern(unsigned int id, long off)
{
	unsigned long long x = ((unsigned long long)id << 32 | off) * 0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

static inline void mp_fill_page(char *page, unsigned int id, long psz)
{
	for (long off = 0; off < psz; off += 8)
		*(unsigned long long *)(page + off) = mp_pattern(id, off);
}

/* Whether the page still holds pattern @id (every 64th byte word and the last). */
static inline int mp_page_intact(const char *page, unsigned int id, long psz)
{
	for (long off = 0; off < psz; off += 64)
		if (*(const unsigned long long *)(page + off) != mp_pattern(id, off))
			return 0;
	return *(const unsigned long long *)(page + psz - 8) == mp_pattern(id, psz - 8);
}

/* One byte through a pipe, to hand a step over between processes. */
static inline void mp_wait_byte(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static inline void mp_send_byte(int fd)
{
	char c = 1;

	while (write(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* xorshift64: the fuzzers' seeded streams, each reproducible from its seed. */
static inline unsigned long long mp_xorshift64(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif /* MP_UTIL_H */
