// SPDX-License-Identifier: GPL-2.0

//! `MOVE_PAGES_EXT_PARALLEL`: one move request shared among several CPUs.
//!
//! The caller reads the request's entries a chunk at a time ([`CHUNK`] entries), with
//! upstream's checks in upstream's order ([`migrate::read_entry`]), and cuts the chunk into
//! consecutive slices, a few per thread. Work items of the module's per-CPU workqueue ([`Pool`]),
//! one on each CPU the caller may run on, and the caller itself take the slices in order, one
//! at a time, until none is left, so a thread that runs slower (a busy CPU, larger folios) takes
//! fewer. Every thread runs the one move engine ([`migrate::move_entries`]) on its slice, with the
//! exact-status policy, taking and dropping the target's mmap read lock itself for each lookup as
//! the caller does, so the caller never waits for a worker while it holds the lock. The
//! statuses go to a kernel buffer per slice; once every slice is done, the caller looks up again
//! the entries whose folio was busy or not mapped (another slice may have held it isolated or
//! under migration: a large folio cut by a slice boundary, or a page named twice) and writes the
//! chunk's statuses to user space.
//!
//! Workers do not touch user memory and do not need the target's mm as theirs: they look up
//! its page tables with a user reference of their own (`mmget()`), as the caller does for a
//! request on another process. The new folios are charged to the memory cgroup of the folios
//! they replace, as in the native call. Their allocation follows the cpuset of the thread that
//! allocates; a caller whose cpuset does not allow every node with memory is therefore served on
//! its own thread, as with a request of fewer than `MOVE_PAGES_EXT_PARALLEL_MIN` entries. A
//! fatal signal to the caller ends the request (`-EINTR`) at the next window of every slice.

use crate::{
    ffi,
    migrate::{
        self,
        Entry,
        MoveRequest,
        Moved,
        Policy,
        Space, //
    },
    node::NUMA_NO_NODE,
    stats,
    symbols::Symbols,
    target, uapi,
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    cpu::{
        nr_cpu_ids,
        CpuId, //
    },
    mm::MmWithUser,
    new_mutex,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Completion,
        Mutex,
        SetOnce, //
    },
    task::Task,
    workqueue::{
        impl_has_work,
        new_work,
        RawWorkItem,
        Work,
        WorkItem, //
    },
};

/// Entries read before the threads start on them: what one round of the request shares out.
const CHUNK: usize = 32 * uapi::EXT_WINDOW;

/// The fewest base pages worth a thread of their own (one batch of the migration core).
const MIN_SLICE: usize = uapi::EXT_PARALLEL_MIN / 2;

/// The most threads one request uses, the caller included.
pub(crate) const MAX_THREADS: usize = 16;

/// A status slot that no thread has written (no status is this value).
const UNWRITTEN: c_int = c_int::MIN;

/// Returns whether `task` has a fatal signal pending.
fn fatal_signal_pending(task: &Task) -> bool {
    // SAFETY: `task` is a live task: the caller holds a reference.
    unsafe { ffi::mp_fatal_signal_pending(task.as_ptr()) }
}

/// The module's workqueue, for the slices of parallel requests.
struct QueuePtr(NonNull<bindings::workqueue_struct>);

// SAFETY: A workqueue is used from any thread through its own synchronisation.
unsafe impl Send for QueuePtr {}
// SAFETY: See `Send`.
unsafe impl Sync for QueuePtr {}

static QUEUE: SetOnce<QueuePtr> = SetOnce::new();

/// The workqueue the slices run on: per-CPU, so that a slice runs on the CPU chosen for it, and
/// CPU-intensive, since a slice migrates pages for as long as a chunk takes, outside the
/// concurrency management of the CPU's pool. Owned by the module: dropping it waits for every
/// queued slice, and it is dropped only after the doors that start requests are gone.
///
/// # Invariants
///
/// [`QUEUE`] holds the workqueue this value allocated; only [`Pool::drop`] destroys it.
pub(crate) struct Pool {
    _private: (),
}

impl Pool {
    /// Allocates the workqueue and makes it the one requests use.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: The format is a NUL-terminated string without conversions.
        let wq = unsafe {
            bindings::alloc_workqueue_noprof(
                c"move_pages".as_char_ptr(),
                bindings::wq_flags_WQ_PERCPU | bindings::wq_flags_WQ_CPU_INTENSIVE,
                0,
            )
        };
        let wq = NonNull::new(wq).ok_or(ENOMEM)?;
        if !QUEUE.populate(QueuePtr(wq)) {
            // SAFETY: `wq` was allocated above and nothing has used it.
            unsafe { bindings::destroy_workqueue(wq.as_ptr()) };
            return Err(EBUSY);
        }
        // INVARIANT: allocated and published above.
        Ok(Self { _private: () })
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Some(queue) = QUEUE.as_ref() {
            // SAFETY: By the type invariant the workqueue is live and destroyed only here.
            // Every request waits for its slices before it returns and no door is left to start
            // one, so nothing queues work any more; `destroy_workqueue()` drains what remains,
            // so no slice runs the module's code after the module is gone.
            unsafe { bindings::destroy_workqueue(queue.0.as_ptr()) };
        }
    }
}

/// What a slice works on and gives back.
struct SliceData {
    /// The slice's entries, `slot` being the index in the slice.
    entries: KVVec<Entry>,
    /// The statuses of the slice's entries, [`UNWRITTEN`] where none was written.
    status: KVVec<c_int>,
    /// Entries whose folio was busy, to look up again when every slice is done.
    retry: KVec<Entry>,
    /// The slice's result: the number of its pages that did not move, or an error.
    moved: Moved,
}

/// A slice of a chunk: consecutive entries, moved by one thread.
#[pin_data]
struct Slice {
    syms: &'static Symbols,
    /// The target's address space, with a user reference of the slice's own.
    mm: ARef<MmWithUser>,
    /// `MPOL_MF_MOVE_ALL`.
    all: bool,
    policy: Policy,
    /// The thread that made the request: its fatal signal ends the slice.
    caller: ARef<Task>,
    #[pin]
    data: Mutex<SliceData>,
    /// Completed once the caller has read the slice's entries (or stopped reading before them).
    #[pin]
    read: Completion,
}

/// The slices of a chunk, taken in order by the threads.
struct Share {
    slices: KVec<Arc<Slice>>,
    /// The first slice no thread has taken.
    next: Atomic<usize>,
}

impl Share {
    /// Takes the next slice, if one is left.
    fn take(&self) -> Option<&Slice> {
        self.slices
            .get(self.next.fetch_add(1, Relaxed))
            .map(|s| &**s)
    }
}

/// A worker of a chunk: takes and moves slices until none is left.
#[pin_data]
struct Runner {
    #[pin]
    work: Work<Runner>,
    share: Arc<Share>,
    /// Completed when the worker has finished.
    #[pin]
    done: Completion,
}

impl_has_work! {
    impl HasWork<Self> for Runner { self.work }
}

impl WorkItem for Runner {
    type Pointer = Arc<Runner>;

    fn run(this: Arc<Runner>) {
        while let Some(slice) = this.share.take() {
            slice.read.wait_for_completion();
            stats::worker_slice();
            slice.process();
        }
        this.done.complete_all();
    }
}

impl Runner {
    fn new(share: &Arc<Share>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Runner {
                work <- new_work!("move_pages::Runner::work"),
                share: share.clone(),
                done <- Completion::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// Queues the worker on `cpu`; the worker back if it could not be queued.
    fn enqueue_on(self: Arc<Self>, cpu: c_int) -> core::result::Result<(), Arc<Self>> {
        let Some(queue) = QUEUE.as_ref() else {
            return Err(self);
        };
        let wq = queue.0.as_ptr();
        // SAFETY: As in `Queue::enqueue()`: the closure returns `false` only if the work item is
        // already queued; `Arc<Runner>` is `Send` and `'static`; `__enqueue()` keeps the work
        // item valid until it has run. `wq` is the module's workqueue, which outlives every
        // request, and `cpu` is a possible CPU id.
        unsafe { self.__enqueue(move |work| bindings::queue_work_on(cpu, wq, work)) }
    }
}

impl Slice {
    /// A slice of `len` entries of the request on `space`.
    fn new(space: &Space<'_>, policy: Policy, len: usize) -> Result<Arc<Self>> {
        let data = SliceData {
            entries: KVVec::with_capacity(len, GFP_KERNEL)?,
            status: KVVec::from_elem(UNWRITTEN, len, GFP_KERNEL)?,
            retry: KVec::new(),
            moved: Moved::Count(0),
        };
        let caller: &Task = kernel::current!();
        Arc::pin_init(
            pin_init!(Slice {
                syms: space.syms,
                mm: ARef::from(space.mm),
                all: space.all,
                policy,
                caller: ARef::from(caller),
                data <- new_mutex!(data, "move_pages::Slice::data"),
                read <- Completion::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// Moves the slice's entries: on a worker, or on the caller for its own slice.
    fn process(&self) {
        let space = Space {
            syms: self.syms,
            mm: &self.mm,
            all: self.all,
        };
        let stop = || fatal_signal_pending(&self.caller);
        let mut guard = self.data.lock();
        let d = &mut *guard;
        d.moved = migrate::move_entries(
            &space,
            self.policy,
            &mut d.entries,
            &mut d.status,
            Some(&mut d.retry),
            &stop,
        );
    }
}

/// The threads of a request: the CPUs of its workers, and whether the caller takes slices too.
struct Cpus {
    ids: [c_int; MAX_THREADS],
    len: usize,
    /// Whether the caller moves slices too; if not, it reads the entries, then waits.
    caller: bool,
}

impl Cpus {
    /// The threads of a request whose memory moves between the nodes `local` (the node of the
    /// first entry's folio and the first entry's target), with `workers` as the request asks:
    /// among the online CPUs the caller may run on, `online` as `(cpu, node)` in order, `this`
    /// being the one it runs on now.
    ///
    /// The module's choice (`workers` 0) is the CPUs of the `local` nodes, if there are two or
    /// more: a copy run on a third node's CPU crosses the interconnect twice, and a caller that
    /// runs elsewhere only reads the entries and waits. Otherwise, and for a request that names
    /// its number of threads, the caller and up to `workers - 1` other CPUs, those of the
    /// `local` nodes first.
    fn choose(
        online: impl Iterator<Item = (c_int, c_int)> + Clone,
        this: c_int,
        local: &[c_int],
        workers: u32,
    ) -> Self {
        let mut cpus = Cpus {
            ids: [0; MAX_THREADS],
            len: 0,
            caller: true,
        };
        let is_local = |&(_, node): &(c_int, c_int)| local.contains(&node);
        let locals = online.clone().filter(is_local);
        if workers == 0 && locals.clone().nth(1).is_some() {
            cpus.caller = locals.clone().any(|(cpu, _)| cpu == this);
            cpus.extend(locals, this, MAX_THREADS - usize::from(cpus.caller));
        } else {
            let max = max_threads(workers) - 1;
            cpus.extend(locals, this, max);
            cpus.extend(online.filter(|c| !is_local(c)), this, max);
        }
        cpus
    }

    /// Adds the CPUs of `from` other than `this`, while fewer than `max` are listed.
    fn extend(&mut self, from: impl Iterator<Item = (c_int, c_int)>, this: c_int, max: usize) {
        for (cpu, _) in from.filter(|&(cpu, _)| cpu != this) {
            if self.len >= max {
                break;
            }
            self.ids[self.len] = cpu;
            self.len += 1;
        }
    }

    /// The threads that move slices, the caller included if it does.
    fn threads(&self) -> usize {
        self.len + usize::from(self.caller)
    }
}

/// The online CPUs the caller may run on, as `(cpu, node)`, in order.
#[derive(Clone)]
struct Allowed {
    prev: c_int,
}

impl Iterator for Allowed {
    type Item = (c_int, c_int);

    fn next(&mut self) -> Option<(c_int, c_int)> {
        // SAFETY: Reads the current task's allowed CPUs and the online mask; no requirement.
        let cpu = unsafe { ffi::mp_next_allowed_cpu(self.prev) };
        if cpu < 0 || cpu as u32 >= nr_cpu_ids() {
            return None;
        }
        self.prev = cpu;
        // SAFETY: `cpu` is a possible CPU id; reads its node; no requirement.
        Some((cpu, unsafe { ffi::mp_cpu_to_node(cpu) }))
    }
}

/// The threads a request asks for: `workers`, or [`MAX_THREADS`] for 0, at most that.
fn max_threads(workers: u32) -> usize {
    match workers {
        0 => MAX_THREADS,
        n => (n as usize).min(MAX_THREADS),
    }
}

/// Slices per thread a chunk is cut into, so that a faster thread can take more.
const SLICES_PER_THREAD: usize = 4;

/// How a chunk of `n` entries of about `pages` base pages each is cut for `threads` threads:
/// `(slices, entries per slice)`, the last slice taking what is left; [`SLICES_PER_THREAD`]
/// slices per thread, but none of fewer than [`MIN_SLICE`] base pages unless it is the only one.
fn cut(n: usize, pages: u64, threads: usize) -> (usize, usize) {
    let min_entries = (MIN_SLICE as u64 / pages.max(1)).max(1) as usize;
    let k = (threads * SLICES_PER_THREAD)
        .min(n.div_ceil(min_entries))
        .max(1);
    let per = n.div_ceil(k).max(1);
    (n.div_ceil(per).max(1), per)
}

/// `do_pages_move()` with `MOVE_PAGES_EXT_PARALLEL`: `policy` is the request's (exact statuses,
/// grouping if asked), `workers` the most threads the caller allows.
pub(crate) fn do_pages_move(req: &MoveRequest<'_>, policy: Policy, workers: u32) -> Moved {
    // One entry is one folio: nothing to share, and nothing to look up for it.
    if req.nr_pages < 2 {
        return migrate::do_pages_move(req, policy);
    }
    // The folio at the first entry stands for every entry's size and source node, the first
    // entry's node for every target (read in upstream's order: `nodes[0]` only if `pages[0]`
    // could be read).
    let mut pages = 1;
    let mut local = [NUMA_NO_NODE; 2];
    if let Ok(p) = req.pages.get(0) {
        if let Some((n, node)) = migrate::folio_at(&req.space, p) {
            pages = n;
            local[0] = node;
        }
        if let Ok(node) = req.nodes.get(0) {
            local[1] = node;
        }
    }
    let this = CpuId::current().as_u32() as c_int;
    let cpus = Cpus::choose(Allowed { prev: -1 }, this, &local, workers);
    if cpus.threads() < 2
        || req.nr_pages.saturating_mul(pages) < uapi::EXT_PARALLEL_MIN as u64
        || !target::caller_mems(req.space.syms).holds_every_memory_node()
    {
        return migrate::do_pages_move(req, policy);
    }
    let caller: &Task = kernel::current!();
    let stop = || fatal_signal_pending(caller);
    let mut not_moved: c_int = 0;
    let mut base = 0usize;
    while (base as u64) < req.nr_pages {
        if stop() {
            return Moved::Error(EINTR);
        }
        let n = (req.nr_pages - base as u64).min(CHUNK as u64) as usize;
        let (k, per) = cut(n, pages, cpus.threads());
        match chunk(req, policy, &cpus, base, n, (k, per), &stop) {
            Ok(count) => not_moved = not_moved.wrapping_add(count),
            Err(e) => return Moved::Error(e),
        }
        base += n;
    }
    Moved::Count(not_moved)
}

/// Reads and checks the entries of `slice`, the first being entry `first` of `req`: both arrays
/// in one copy each while that needs no page fault, else entry by entry as upstream reads them
/// (the copies have no effect on user space, so an entry after one that fails cannot change
/// anything). The error of the first entry that fails, which ends the request.
fn read_slice(
    req: &MoveRequest<'_>,
    first: usize,
    slice: &Slice,
    addrs: &mut [usize],
    nodes: &mut [c_int],
) -> Option<Error> {
    let mut d = slice.data.lock();
    let len = d.status.len();
    let (addrs, nodes) = (&mut addrs[..len], &mut nodes[..len]);
    let copied =
        req.pages.read_chunk_nofault(first, addrs) && req.nodes.read_chunk_nofault(first, nodes);
    for j in 0..len {
        let entry = if copied {
            migrate::check_entry(req, addrs[j], nodes[j], j as u32)
        } else {
            migrate::read_entry(req, first + j, j as u32)
        };
        match entry {
            // Cannot fail: the entries' capacity is the slice's length.
            Ok(e) => {
                if d.entries.push_within_capacity(e).is_err() {
                    return Some(ENOMEM);
                }
            }
            Err(e) => return Some(e),
        }
    }
    None
}

/// Entries `base..base + n` of `req`, cut in `k` slices of `per`: read, moved by the threads,
/// statuses written. The number of pages that did not move, or the error that ends the request
/// (once the statuses of the entries before it are written).
fn chunk(
    req: &MoveRequest<'_>,
    policy: Policy,
    cpus: &Cpus,
    base: usize,
    n: usize,
    (k, per): (usize, usize),
    stop: &dyn Fn() -> bool,
) -> Result<c_int> {
    let mut slices = KVec::with_capacity(k, GFP_KERNEL)?;
    for s in 0..k {
        let len = per.min(n - s * per);
        slices.push(Slice::new(&req.space, policy, len)?, GFP_KERNEL)?;
    }
    let mut addrs = KVVec::from_elem(0usize, per, GFP_KERNEL)?;
    let mut nodes = KVVec::<c_int>::from_elem(0, per, GFP_KERNEL)?;
    let share = Arc::new(
        Share {
            slices,
            next: Atomic::new(0),
        },
        GFP_KERNEL,
    )?;
    // The workers, one per CPU (no more than slices besides one for the caller), all allocated
    // before any is queued: once one is, every slice must be completed as read.
    let mut runners = KVec::with_capacity(cpus.len, GFP_KERNEL)?;
    let wanted = if cpus.caller { k - 1 } else { k };
    for _ in cpus.ids[..cpus.len].iter().take(wanted) {
        runners.push(Runner::new(&share)?, GFP_KERNEL)?;
    }
    let mut queued = KVec::with_capacity(runners.len(), GFP_KERNEL)?;
    for (runner, &cpu) in runners.drain_all().zip(cpus.ids.iter()) {
        if runner.clone().enqueue_on(cpu).is_ok() {
            // Cannot fail: the capacity is the runners'.
            let _ = queued.push_within_capacity(runner);
        }
    }

    // Read and check the entries, slice by slice, while the workers move the slices already
    // read; one that fails ends the request once the entries before it are moved and their
    // statuses written (`goto out_flush`): the slices after it are left empty.
    let mut end = None;
    for (s, slice) in share.slices.iter().enumerate() {
        if end.is_none() {
            end = read_slice(req, base + s * per, slice, &mut addrs, &mut nodes);
        }
        slice.read.complete_all();
    }
    if cpus.caller {
        while let Some(slice) = share.take() {
            slice.process();
        }
    }
    for runner in queued.iter() {
        runner.done.wait_for_completion();
    }
    // What no worker took: nothing, unless a worker could not be queued.
    while let Some(slice) = share.take() {
        slice.process();
    }
    let slices = &share.slices;

    // Every slice is done: the busy entries again, then the statuses, in order.
    let mut not_moved: c_int = 0;
    let mut failed = None;
    for (s, slice) in slices.iter().enumerate() {
        let mut guard = slice.data.lock();
        let d = &mut *guard;
        let mut moved = d.moved;
        if !d.retry.is_empty() && failed.is_none() && matches!(moved, Moved::Count(_)) {
            stats::retried(d.retry.len());
            let again =
                migrate::move_entries(&req.space, policy, &mut d.retry, &mut d.status, None, stop);
            moved = match (moved, again) {
                (Moved::Count(a), Moved::Count(b)) => Moved::Count(a.wrapping_add(b)),
                (_, Moved::Error(e)) | (Moved::Error(e), _) => Moved::Error(e),
            };
        }
        write_status(req, base + s * per, &d.status)?;
        match moved {
            Moved::Count(c) => not_moved = not_moved.wrapping_add(c),
            Moved::Error(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    match failed.or(end) {
        Some(e) => Err(e),
        None => Ok(not_moved),
    }
}

/// Writes the statuses of a slice whose first entry is `first`: in one copy when every slot
/// was written, else slot by slot, skipping the unwritten ones.
fn write_status(req: &MoveRequest<'_>, first: usize, status: &[c_int]) -> Result {
    if status.iter().all(|&v| v != UNWRITTEN) {
        return req.status.write_chunk(first, status).map_err(|_| EFAULT);
    }
    for (j, &v) in status.iter().enumerate() {
        if v != UNWRITTEN {
            req.status.put(first + j, v)?;
        }
    }
    Ok(())
}

#[kunit_tests(move_pages_parallel)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_is_cut_into_slices_of_at_least_min_slice() {
        // Four slices per thread, while they hold 512 base pages.
        assert_eq!(cut(CHUNK, 1, 3), (12, CHUNK.div_ceil(12)));
        assert_eq!(cut(16384, 1, 3), (12, 1366));
        assert_eq!(cut(1024, 1, 3), (2, 512));
        assert_eq!(cut(1025, 1, 3), (3, 342));
        assert_eq!(cut(511, 1, 3), (1, 511));
        assert_eq!(cut(1, 1, 16), (1, 1));
        assert_eq!(cut(CHUNK, 1, 1), (4, CHUNK / 4));
        // Entries of 2 MiB folios: one is worth a slice.
        assert_eq!(cut(32, 512, 3), (11, 3));
        assert_eq!(cut(2, 512, 3), (2, 1));
        // 64 KiB folios: 32 entries make a slice.
        assert_eq!(cut(64, 16, 3), (2, 32));
        for n in [1, 7, 512, 513, 1024, 1500, 4097, CHUNK - 1, CHUNK] {
            for pages in [0, 1, 16, 512, 1 << 18] {
                for threads in 1..=MAX_THREADS {
                    let (k, per) = cut(n, pages, threads);
                    assert!(k >= 1 && k <= threads * SLICES_PER_THREAD);
                    // Every entry in exactly one slice, none empty.
                    assert!((k - 1) * per < n && k * per >= n);
                }
            }
        }
    }

    /// Whether `Cpus::choose` on the CPUs `online` as `(cpu, node)` gives `caller` and `ids`.
    fn chooses(
        online: &[(c_int, c_int)],
        this: c_int,
        local: &[c_int],
        workers: u32,
        caller: bool,
        ids: &[c_int],
    ) -> bool {
        let cpus = Cpus::choose(online.iter().copied(), this, local, workers);
        cpus.caller == caller && &cpus.ids[..cpus.len] == ids
    }

    #[test]
    fn threads_run_on_the_cpus_of_the_nodes_the_memory_moves_between() {
        // One CPU per node, the third node's CPU with no memory (the test VM).
        let vm = [(0, 0), (1, 1), (2, 2)];
        // The module's choice: the CPUs of nodes 0 and 1; a caller on the third node waits.
        assert!(chooses(&vm, 2, &[0, 1], 0, false, &[0, 1]));
        assert!(chooses(&vm, 0, &[0, 1], 0, true, &[1]));
        assert!(chooses(&vm, 1, &[1, 0], 0, true, &[0]));
        // A number of threads asked for: the caller, then the local nodes' CPUs first.
        assert!(chooses(&vm, 2, &[0, 1], 3, true, &[0, 1]));
        assert!(chooses(&vm, 0, &[0, 1], 3, true, &[1, 2]));
        assert!(chooses(&vm, 0, &[1, 0], 2, true, &[1]));
        assert!(chooses(&vm, 0, &[2, 1], 2, true, &[1]));
        assert!(chooses(&vm, 0, &[0, 1], 1, true, &[]));
        // Fewer than two local CPUs (a move to a node without CPUs): every allowed CPU.
        assert!(chooses(&vm, 0, &[0, 3], 0, true, &[1, 2]));
        assert!(chooses(&vm, 0, &[], 0, true, &[1, 2]));
        // One CPU allowed: no worker.
        assert!(chooses(&[(1, 1)], 1, &[0, 1], 0, true, &[]));
        // Two nodes of eight CPUs and a third: the two nodes' CPUs, in order.
        let mut big = KVec::new();
        for cpu in 0..24 {
            big.push((cpu, cpu / 8), GFP_KERNEL).unwrap();
        }
        let two_nodes = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
        assert!(chooses(&big, 12, &[2, 0], 0, false, &two_nodes));
        // Never more than `MAX_THREADS` threads, the caller included.
        let first_sixteen_but_0 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        assert!(chooses(&big, 0, &[0, 1], 0, true, &first_sixteen_but_0));
        assert!(chooses(&big, 0, &[0], 40, true, &first_sixteen_but_0));
    }

    #[test]
    fn workers_zero_is_the_module_s_choice() {
        assert_eq!(max_threads(0), MAX_THREADS);
        assert_eq!(max_threads(1), 1);
        assert_eq!(max_threads(3), 3);
        assert_eq!(max_threads(u32::MAX), MAX_THREADS);
    }
}
