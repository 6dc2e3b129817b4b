/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ioctl ABI of /dev/move_pages: move_pages(2) as an ioctl.
 *
 * MOVE_PAGES_IOC_MOVE takes the six arguments of move_pages(2) in one
 * struct and returns what the system call returns: 0, the number of pages
 * not migrated, or -1 with errno set.
 */
#ifndef _UAPI_LINUX_MOVE_PAGES_H
#define _UAPI_LINUX_MOVE_PAGES_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MOVE_PAGES_DEVICE "/dev/move_pages"

/**
 * struct move_pages_args - the arguments of one move_pages request
 * @size:      sizeof(struct move_pages_args) as the caller knows it; must be
 *             MOVE_PAGES_ARGS_SIZE_VER0.
 * @flags:     MPOL_MF_MOVE and/or MPOL_MF_MOVE_ALL, as for move_pages(2).
 * @pid:       target process, 0 for the caller.
 * @ext_flags: MOVE_PAGES_EXT_* extension flags; 0 gives exactly the
 *             behaviour of move_pages(2). Unknown bits give -EINVAL.
 * @nr_pages:  number of entries in @pages, @nodes and @status.
 * @pages:     user pointer to an array of @nr_pages page addresses, each a
 *             pointer of the caller's width (4 bytes for a 32-bit caller).
 * @nodes:     user pointer to int[@nr_pages] target nodes, or 0 to query.
 * @status:    user pointer to int[@nr_pages], filled with the node of each
 *             page or a negative errno.
 * @workers:   with MOVE_PAGES_EXT_PARALLEL, the most threads that move the
 *             pages of the request, the caller included; 0 lets the module
 *             choose (the CPUs, among those the caller may run on, of the
 *             nodes the memory moves between). Must be 0 without that flag.
 * @reserved:  must be zero.
 */
struct move_pages_args {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 ext_flags;
	__u64 nr_pages;
	__u64 pages;
	__u64 nodes;
	__u64 status;
	__u32 workers;
	__u32 reserved[3];
};

#define MOVE_PAGES_ARGS_SIZE_VER0	64

/*
 * Extension flags (ext_flags), each opt-in; Documentation/differences.rst
 * has their exact rules. They concern moves; a query ignores them.
 *
 * MOVE_PAGES_EXT_GROUP_BY_NODE: in each window of MOVE_PAGES_EXT_WINDOW
 * entries, move all the pages bound for one node in one batch, instead of
 * one batch per run of equal consecutive targets.
 *
 * MOVE_PAGES_EXT_EXACT_STATUS: write the status of every page of a batch
 * the migration core failed in part: the node if it moved, else -ENOMEM
 * (no destination could be allocated), -EBUSY (the core gave up on it) or
 * -EAGAIN (the core stopped before it); go on with the rest, and return the
 * number of pages that did not move.
 *
 * MOVE_PAGES_EXT_PARALLEL: split a large move across CPUs: the caller reads
 * the arrays, up to @workers threads (the caller and per-CPU workers on the
 * CPUs the caller may run on) look up and migrate disjoint slices of the
 * entries, the caller writes the statuses. Implies the rules of
 * MOVE_PAGES_EXT_EXACT_STATUS; combines with MOVE_PAGES_EXT_GROUP_BY_NODE
 * (grouping within each worker's windows). A request of fewer than
 * MOVE_PAGES_EXT_PARALLEL_MIN base pages (its entries times the size of the
 * folio at its first entry) runs on the caller alone.
 */
#define MOVE_PAGES_EXT_GROUP_BY_NODE	(1U << 0)
#define MOVE_PAGES_EXT_EXACT_STATUS	(1U << 1)
#define MOVE_PAGES_EXT_PARALLEL		(1U << 2)
#define MOVE_PAGES_EXT_WINDOW		1024
#define MOVE_PAGES_EXT_PARALLEL_MIN	1024

#define MOVE_PAGES_IOC_MAGIC		0xB7
#define MOVE_PAGES_IOC_NR_MOVE		0x01
#define MOVE_PAGES_IOC_MOVE		_IOW(MOVE_PAGES_IOC_MAGIC, MOVE_PAGES_IOC_NR_MOVE, \
					     struct move_pages_args)

#endif /* _UAPI_LINUX_MOVE_PAGES_H */
