/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differential testing of /dev/move_pages against the native move_pages(2).
 *
 * A scenario (struct mp_spec) describes a world -- the pages a process has,
 * what kind each is and which node it starts on -- and one move_pages call
 * on it. The engine builds the world twice, each time in fresh processes,
 * and makes the call once through the native system call and once through
 * the module's ioctl. It then compares the return value, errno, every status
 * slot, the node every page ends on, and that every page's contents are
 * intact. Nothing is expected by hand: the native run is the oracle.
 */
#ifndef MP_DIFF_H
#define MP_DIFF_H

#include <stddef.h>

typedef unsigned long long u64;

#define MP_MAX_SLOTS	1100
#define MP_THP_PAGES	512	/* 4 KiB pages in a 2 MiB THP or hugetlb page */

enum mp_kind {
	K_ANON,		/* private anonymous page, written */
	K_UNTOUCHED,	/* mapped, never touched: nothing there */
	K_ZERO,		/* read-faulted only: the shared zero page */
	K_UNMAPPED,	/* a hole in the address space */
	K_KERNEL,	/* a kernel (or, for a 32-bit caller, unmappable) address */
	K_NULL,		/* address 0 */
	K_MISALIGNED,	/* inside a written anonymous page, not at its start */
	K_DUP,		/* the same address as the previous slot */
	K_THP,		/* subpage idx of an anonymous THP */
	K_HUGETLB,	/* subpage idx of a 2 MiB hugetlb page */
	K_MEMFD_SHARED,	/* page idx of a memfd, MAP_SHARED, written */
	K_MEMFD_PRIVATE,	/* page idx of a memfd, read through MAP_PRIVATE */
	K_SYSV_SHM,	/* page idx of a SysV shared memory segment */
	K_FORK_SHARED,	/* anonymous page also mapped by a forked child */
	K_MLOCKED,	/* mlocked anonymous page */
	K_KSM,		/* KSM-merged anonymous page */
	/*
	 * The kinds below need the program-wide set-up of mp_diff_setup_kinds()
	 * or change global settings while their world exists; the engine checks
	 * that each took effect before the call and fails the run otherwise.
	 */
	K_HUGE_ZERO,	/* subpage idx of the huge zero page (read fault, MADV_HUGEPAGE) */
	K_THP_PART_UNMAPPED,	/* subpage idx % 256 of a THP whose second half is unmapped */
	K_THP_MPROTECTED,	/* subpage idx of a THP whose middle is made read-only */
	K_MTHP,		/* page idx % 16 of a 64 KiB anonymous mTHP */
	K_THP_FORKED,	/* subpage idx of a THP also mapped by a forked child */
	K_HUGETLBFS,	/* subpage idx of a hugetlbfs file's 2 MiB page, MAP_SHARED */
	K_VVAR,		/* first page of [vvar] (VM_MIXEDMAP; older kernels: VM_PFNMAP), read */
	K_VVAR_VCLOCK,	/* the first page of [vvar_vclock] (VM_PFNMAP | VM_IO) */
	K_VDSO,		/* the first page of [vdso], read */
	K_PROT_NONE,	/* anonymous page, written, then made PROT_NONE */
	K_GUARD,	/* a MADV_GUARD_INSTALL guard page */
	K_UFFD_MISSING,	/* never touched page registered with userfaultfd, MISSING mode */
	K_UFFD_WP,	/* written page, write-protected through userfaultfd */
	K_FILE_CLEAN,	/* page of an ext2 file, MAP_SHARED, only read: clean page cache */
	K_FILE_DIRTY,	/* page of an ext2 file, MAP_SHARED, written: dirty page cache */
	K_FILE_PRIVATE,	/* page of an ext2 file, MAP_PRIVATE, only read: page cache */
	K_FILE_COW,	/* page of an ext2 file, MAP_PRIVATE, written: anonymous copy */
	K_TEXT,		/* an address inside a function of the program */
	K_SWAPPED,	/* anonymous page, written, then paged out to (zram) swap */
	/*
	 * Pages the migration core cannot move (an extra reference it does
	 * not expect): the batch they are in fails part-way.
	 */
	K_PINNED_PIPE,	/* anonymous page, written, vmsplice()d into a pipe the owner keeps */
	K_PINNED_URING,	/* anonymous page, written, an io_uring fixed buffer (long-term pin) */
	/*
	 * Addresses inside the call's own argument arrays: element idx % nr of
	 * pages, nodes or status. The call moves or queries the page that holds
	 * its own arguments (self targets; another process has whatever it has
	 * at that address).
	 */
	K_IN_PAGES,
	K_IN_NODES,
	K_IN_STATUS,
	K_NR_KINDS,
	K_END = 0xff,	/* ends a slot list given without nr */
};

/*
 * [vvar_vclock], the paravirt and Hyper-V clock pages, is x86's: arm64 maps
 * [vvar] and [vdso] only (for 32-bit tasks too), so its scenarios are not
 * built there.
 */
#if defined(__aarch64__) || defined(__arm__)
#define VVAR_VCLOCK_SLOT
#else
#define MP_HAS_VVAR_VCLOCK 1
#define VVAR_VCLOCK_SLOT S(K_VVAR_VCLOCK, 0, 0),
#endif

struct mp_slot {
	unsigned char kind;	/* enum mp_kind */
	signed char init;	/* node the page starts on */
	short idx;		/* page index inside a THP, hugetlb page or file */
	int node;		/* target node passed to move_pages */
};

enum mp_target {
	T_SELF,		/* pid 0 */
	T_SELF_PID,	/* the caller's own pid */
	T_OTHER,	/* another process owns the world */
	T_NONEXISTENT,	/* a pid nobody has */
};

enum mp_fault {
	F_NONE,
	F_PAGES_NULL,		/* pages == NULL */
	F_PAGES_PARTIAL,	/* pages[fault_at] starts an unmapped page */
	F_NODES_PARTIAL,	/* nodes[fault_at] starts an unmapped page */
	F_STATUS_PARTIAL,	/* status[fault_at] starts an unmapped page */
	F_STATUS_RO,		/* status is read-only */
	F_NODES_NULL_QUERY,	/* query mode (nodes == NULL) */
};

/*
 * The state of the target node (node 1) during both runs of a spec: set up
 * before the first run, checked in each run just before the call, undone
 * after the second run.
 */
enum mp_pressure {
	P_NONE,
	P_NO_HUGE_BLOCK,	/* free memory on node 1, but no free 2 MiB block */
	P_HUGETLB_EXHAUSTED,	/* no free hugetlb page on node 1 */
};

/* The argument arrays of the call. */
enum mp_array { ARR_PAGES, ARR_NODES, ARR_STATUS, NR_ARRAYS };

/* Where an argument array lives (mp_spec.place[]). */
enum mp_place {
	A_HEAP,		/* written anonymous memory of its own */
	A_RDONLY,	/* written, then made read-only (pages, nodes) */
	A_UNTOUCHED,	/* never touched: zeroes; a status write populates it */
	A_ZERO,		/* read-faulted: the shared zero page until written */
	A_UFFD,		/* a userfaultfd MISSING range: a handler thread fills each page */
	NR_PLACES,
};

/* What the userfaultfd handler of the A_UFFD arrays does on a fault. */
enum mp_uffd_act {
	U_FILL,		/* fill the page at once */
	U_LATE,		/* fill it after 20 ms */
	/* On the first fault only, to the page of slot uffd_slot (self targets), then fill: */
	U_UNMAP_SLOT,	/* munmap() it */
	U_PROTECT_SLOT,	/* mprotect() it PROT_NONE */
	U_DONTNEED_SLOT,	/* MADV_DONTNEED it (anonymous: gone; file: unmapped) */
	NR_UFFD_ACTS,
};

/*
 * A concurrent mutator (mp_spec.race): what a second thread of the world's
 * owner (self targets: of the caller) does to the page of slot race_slot,
 * race_us microseconds after the call has begun. Such a call has no single
 * right answer; see mp_diff().
 */
enum mp_race {
	R_NONE,
	R_MUNMAP,	/* munmap() the page */
	R_MPROTECT,	/* mprotect() it PROT_NONE */
	R_MLOCK,	/* mlock() it */
	R_MUNLOCK,	/* munlock() it */
	R_DONTNEED,	/* MADV_DONTNEED it */
	R_COLD,		/* MADV_COLD it (deactivated: off the LRU for a moment) */
	R_FORK,		/* fork(): private pages not yet shared become shared */
	R_EXIT,		/* the owner exits (T_OTHER only) */
	NR_RACES,
};

#define MP_ROOT		0
#define MP_USER1	1000
#define MP_USER2	1001

struct mp_spec {
	const char *name;
	int nr;				/* number of slots, or 0: up to K_END */
	const struct mp_slot *slots;
	int (*build)(struct mp_slot *slots);	/* or: fills slots, returns nr */
	int flags;			/* MPOL_MF_* as passed */
	int query;			/* nodes == NULL */
	enum mp_target target;
	int caller_uid, owner_uid;
	int cpuset_node0;		/* the owner is confined to node 0 */
	enum mp_fault fault;
	int fault_at;
	long long nr_override;		/* pass this nr_pages instead (-1: none) */
	enum mp_pressure pressure;
	/*
	 * Where each argument array lives (a fault of the spec overrides it for
	 * its array), and how many of its elements come before the next page
	 * boundary (0: it starts on one).
	 */
	unsigned char place[NR_ARRAYS];
	unsigned short straddle[NR_ARRAYS];
	unsigned char uffd_act;		/* enum mp_uffd_act */
	short uffd_slot;
	unsigned char race;		/* enum mp_race */
	short race_slot;
	unsigned short race_us;
	/*
	 * MOVE_PAGES_EXT_* flags of the module's call: compared with the native
	 * call by the rules of Documentation/differences.rst (see mp_diff()).
	 * Specs with them: no race, arrays in plain memory, no entry inside
	 * them; with MOVE_PAGES_EXT_GROUP_BY_NODE, no two entries in one folio.
	 */
	unsigned char ext;
	/*
	 * Outcomes that may legitimately differ between two runs: -EBUSY in a
	 * status slot (a transient reference, e.g. from the LRU caches or a
	 * concurrent fault) and, with it, the count of pages not migrated.
	 */
	int may_vary;
};

/* Outcome of one comparison. */
enum { MP_SAME = 0, MP_DIFFERENT = 1, MP_SKIPPED = 2 };

/*
 * Run @spec natively and through the module (fd of /dev/move_pages), compare.
 * On MP_DIFFERENT or MP_SKIPPED, @why says what.
 *
 * A spec with a race is run four times: natively with the mutation made
 * just after the call and just before it (the two serial answers), then
 * natively and through the module with the mutator racing the call. Each
 * raced run must be one the serial answers allow, entry by entry: every
 * status and final node is the one of either serial run (or -EBUSY, a page
 * the mutator held for a moment), the return value is one of theirs give or
 * take the entries that differ, nothing outside the status array is written
 * and no page that is still mapped lost its contents or (unless the mutator
 * dropped it) its userfaultfd write protection. Answers only a race gives
 * are allowed too: with a positive return, slots left unwritten (the mutator
 * held a reference through every retry of a batch, which upstream then
 * reports by count, storing no status for it); any status for an entry one
 * serial run never reached (it ended at an earlier entry or failed batch);
 * under MADV_COLD, -ENOENT for a page in the same 2 MiB as the mutated one
 * (the split of a large folio turns its pages into migration entries for a
 * moment); under fork, any final node for a page of the status array (the
 * copy-on-write of the call's next status write places it). In a status
 * array that starts untouched or on the zero page (not filled with a
 * sentinel), an unwritten slot reads 0: there, 0 may be unwritten too.
 *
 * A spec with extension flags (ext) is compared by the extensions' rules:
 * a status slot the native call writes gets the same value; a slot it leaves
 * unwritten (a batch that failed, entries after it) is written by the
 * module, with an error or a node, and a node is where the page is; the
 * return value is native's error (but for the -ENOMEM of an aborted batch)
 * or a count no larger than the slots of pages not moved; where native
 * stopped at a failed batch, the module goes on and may end at the error of
 * a later entry.
 */
int mp_diff(const struct mp_spec *spec, char *why, size_t len);

/*
 * Collect the KCOV coverage of the module's call of each later mp_diff()
 * (a kernel with CONFIG_KCOV): @buf (shared memory, @max + 1 words) gets the
 * number of PCs, then the PCs. NULL turns it off.
 */
void mp_diff_cover(u64 *buf, size_t max);

/*
 * Raced runs so far (two per raced spec: native and module) and those whose
 * mutation began while the call ran (the others mutated just before or just
 * after it).
 */
void mp_diff_race_stats(long *run, long *landed);

/* Environment: hugetlb pools on both nodes, KSM, the node-0 cpuset. */
void mp_diff_setup_guest(void);

/*
 * For the page-cache and swap kinds: an ext2 file system on a loop device
 * and a zram device made swap (turned on only while a world with a swapped
 * page runs). Both are undone when the program exits.
 */
void mp_diff_setup_kinds(void);

#endif /* MP_DIFF_H */
