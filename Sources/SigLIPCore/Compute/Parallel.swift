import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

enum ParallelSettings {
    nonisolated(unsafe) static var threads: Int = {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }()
}

/// Runs `body` over `0..<count` split into contiguous ranges, one per thread, when the work is
/// large enough (`count * costPerItem` above a threshold); otherwise on the calling thread.
///
/// `costPerItem` is a rough number of floating-point operations per item, so that small
/// kernels do not pay the cost of waking threads.
@inlinable
public func parallelFor(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = parallelThreadCount(count: count, costPerItem: costPerItem)
    if threads <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    runOnThreads(threads) { t in
        let start = count * t / threads
        let end = count * (t + 1) / threads
        if start < end { body(start..<end) }
    }
}

@usableFromInline
func parallelThreadCount(count: Int, costPerItem: Int) -> Int {
    let minimumWorkPerThread = 32_768
    let work = count * max(costPerItem, 1)
    return min(ParallelSettings.threads, count, max(1, work / minimumWorkPerThread))
}

/// Runs `task(0)` … `task(tasks - 1)` at once, task 0 on the calling thread and the others on
/// the compute pool's workers; returns when all are done. A caller that finds the pool busy
/// (another thread's kernels, or a task that itself runs tasks) falls back to Dispatch.
@usableFromInline
func runOnThreads(_ tasks: Int, _ task: (Int) -> Void) {
    if tasks <= 1 {
        if tasks == 1 { task(0) }
        return
    }
    if !ComputePool.shared.run(tasks, task) {
        DispatchQueue.concurrentPerform(iterations: tasks, execute: task)
    }
}

/// The compute threads: one persistent worker per extra thread. Between kernels a worker spins
/// for a short while on its job slot before it sleeps, so the many short kernels of a step
/// hand work over in well under a microsecond instead of paying a futex wake-up each (the
/// scheduler's wake-up path was ~6% of a Ti/16 training step's samples with Dispatch).
final class ComputePool: @unchecked Sendable {
    static let shared = ComputePool()

    /// One worker's mailbox: the number of the last job given to it.
    final class Slot: Sendable {
        let assigned = Atomic<Int>(0)
    }

    /// Whether a caller is using the pool (one job at a time).
    private let busy = Atomic<Bool>(false)
    /// Workers of the current job that have not finished.
    private let pending = Atomic<Int>(0)
    /// Workers asleep on `wakeUp` (checked by callers before signalling).
    private let sleepers = Atomic<Int>(0)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Guarded by `busy`: the workers' slots (worker i runs task i + 1), the job counter and the
    /// current job, written before the slots are.
    private nonisolated(unsafe) var slots: [Slot] = []
    private nonisolated(unsafe) var jobNumber = 0
    private nonisolated(unsafe) var job: ((Int) -> Void)?
    /// How long an idle worker spins before it sleeps.
    private static let spinNanoseconds: UInt64 = 200_000

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeUp, nil)
    }

    /// Runs the tasks on the pool, or returns false (running nothing) if the pool is busy.
    func run(_ tasks: Int, _ task: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while slots.count < tasks - 1 { startWorker() }
        withoutActuallyEscaping(task) { task in
            job = task
            jobNumber += 1
            pending.store(tasks - 1, ordering: .relaxed)
            for slot in slots.prefix(tasks - 1) { slot.assigned.store(jobNumber, ordering: .sequentiallyConsistent) }
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wakeUp)
                pthread_mutex_unlock(mutex)
            }
            task(0)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins & 1023 == 0 { sched_yield() }
            }
            job = nil
        }
        return true
    }

    private func startWorker() {
        let slot = Slot(), task = slots.count + 1
        slots.append(slot)
        let thread = Thread { [self] in workerLoop(slot, task: task) }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func workerLoop(_ slot: Slot, task: Int) {
        var done = 0
        while true {
            var spins = 0, deadline: UInt64 = 0
            while slot.assigned.load(ordering: .acquiring) == done {
                spins += 1
                if spins & 255 != 0 { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if deadline == 0 {
                    deadline = now + Self.spinNanoseconds
                } else if now > deadline {
                    sleep(slot, whileAssignedIs: done)
                    deadline = 0
                }
            }
            done = slot.assigned.load(ordering: .acquiring)
            job?(task)
            pending.subtract(1, ordering: .releasing)
        }
    }

    private func sleep(_ slot: Slot, whileAssignedIs done: Int) {
        pthread_mutex_lock(mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while slot.assigned.load(ordering: .sequentiallyConsistent) == done { pthread_cond_wait(wakeUp, mutex) }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
    }
}
