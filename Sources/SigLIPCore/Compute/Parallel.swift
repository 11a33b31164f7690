import CKernels
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

/// Runs `task(0)` … `task(tasks - 1)` at once on the calling thread and the compute pool's
/// workers (whichever claims a task runs it); returns when all are done. A caller that finds the pool busy
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

/// The compute threads: persistent workers that spin for a short while between jobs before
/// they sleep, so the many short kernels of a step hand work over in well under a microsecond
/// instead of paying a futex wake-up each (the scheduler's wake-up path was ~6% of a Ti/16
/// training step's samples with Dispatch).
///
/// Tasks are claimed, not assigned: the caller and the workers take task numbers from one
/// counter, so when a worker is late (its core busy with the data pipeline's threads, or
/// taken by another process) the caller runs its tasks itself instead of waiting for it. Which
/// thread runs a task never changes what the task computes. A caller that still has to wait
/// for a task in progress spins briefly and then sleeps.
final class ComputePool: @unchecked Sendable {
    static let shared = ComputePool()

    /// One worker's mailbox: the number of the last job it was told about.
    final class Slot: Sendable {
        let posted = Atomic<Int>(0)
    }

    /// The current job's claim word: job number × 2^32 + task count × 2^16 + next task to
    /// claim (one atomic word, so a late worker can never claim a task of the wrong job).
    private let claims = Atomic<Int>(0)
    /// Tasks of the current job that have finished.
    private let completed = Atomic<Int>(0)
    /// Whether a caller is using the pool (one job at a time).
    private let busy = Atomic<Bool>(false)
    /// Workers asleep on `wakeUp`, and whether the caller sleeps on `done`.
    private let sleepers = Atomic<Int>(0)
    private let callerSleeping = Atomic<Bool>(false)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Guarded by `busy` (and, for workers, by holding a claimed task of the job): the
    /// workers' slots, the job counter, the current job and its task count.
    private nonisolated(unsafe) var slots: [Slot] = []
    private nonisolated(unsafe) var jobNumber = 0
    private nonisolated(unsafe) var job: ((Int) -> Void)?
    /// How long an idle worker, or a caller waiting on a task in progress, spins before it
    /// sleeps. A Ti/16 training step runs ~900 jobs; with 50 µs, ~50 gaps per step were long
    /// enough for the workers to fall asleep and ~50 waits for the caller, and each wake-up
    /// (an interrupt to the other core, in a VM an exit) cost more than the spin: 1 ms leaves
    /// ~1 of each per step and the step 2-3% faster. The sleep still comes within 1 ms of
    /// idleness, so the input pipeline's threads get the cores back between steps.
    private static let spinNanoseconds: UInt64 = 1_000_000
    private static let taskBits = 16

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeUp, nil)
        pthread_cond_init(done, nil)
    }

    /// Runs the tasks on the pool, or returns false (running nothing) if the pool is busy.
    func run(_ tasks: Int, _ task: (Int) -> Void) -> Bool {
        guard tasks < 1 << Self.taskBits,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while slots.count < tasks - 1 { startWorker() }
        withoutActuallyEscaping(task) { task in
            job = task
            jobNumber = jobNumber & 0x7FFF_FFFF == 0x7FFF_FFFF ? 1 : jobNumber + 1   // 31 bits, never 0 (a new worker's "seen")
            completed.store(0, ordering: .relaxed)
            claims.store(jobNumber << (2 * Self.taskBits) | tasks << Self.taskBits, ordering: .sequentiallyConsistent)
            for slot in slots.prefix(tasks - 1) { slot.posted.store(jobNumber, ordering: .sequentiallyConsistent) }
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wakeUp)
                pthread_mutex_unlock(mutex)
            }
            runClaimedTasks(of: jobNumber)
            waitForCompletion(of: tasks)
            job = nil
        }
        return true
    }

    /// Claims and runs tasks of job `number` until none is left (or the job is over).
    private func runClaimedTasks(of number: Int) {
        let mask = (1 << Self.taskBits) - 1
        while true {
            var word = claims.load(ordering: .acquiring)
            var claimed = -1, tasks = 0
            while word >> (2 * Self.taskBits) == number && word & mask < (word >> Self.taskBits) & mask {
                let (exchanged, original) = claims.compareExchange(
                    expected: word, desired: word + 1, ordering: .acquiringAndReleasing)
                if exchanged { (claimed, tasks) = (word & mask, (word >> Self.taskBits) & mask); break }
                word = original
            }
            // A claimed task keeps the job (and `job`) alive until it completes. (Called through
            // the property, not a local copy, so that no reference outlives the call: the caller's
            // `withoutActuallyEscaping` checks that none does.)
            guard claimed >= 0 else { return }
            job?(claimed)
            if completed.add(1, ordering: .sequentiallyConsistent).newValue == tasks,
               callerSleeping.load(ordering: .sequentiallyConsistent) {
                pthread_mutex_lock(mutex)
                pthread_cond_signal(done)
                pthread_mutex_unlock(mutex)
            }
        }
    }

    private func waitForCompletion(of tasks: Int) {
        Self.spin(while: { completed.load(ordering: .acquiring) < tasks }) {
            pthread_mutex_lock(mutex)
            callerSleeping.store(true, ordering: .sequentiallyConsistent)
            while completed.load(ordering: .sequentiallyConsistent) < tasks { pthread_cond_wait(done, mutex) }
            callerSleeping.store(false, ordering: .sequentiallyConsistent)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Spins while `waiting()` holds, for at most `spinNanoseconds`; then calls `sleep`, which
    /// must block until `waiting()` no longer holds. Each turn of the loop tells the CPU it is
    /// a spin (`pause`), and the clock is read every 64 turns.
    @inline(__always)
    private static func spin(while waiting: () -> Bool, thenSleep sleep: () -> Void) {
        var spins = 0, deadline: UInt64 = 0
        while waiting() {
            spins += 1
            ck_spin_hint()
            if spins & 63 != 0 { continue }
            let now = DispatchTime.now().uptimeNanoseconds
            if deadline == 0 {
                deadline = now + spinNanoseconds
            } else if now > deadline {
                sleep()
                return
            }
        }
    }

    private func startWorker() {
        let slot = Slot()
        slots.append(slot)
        let thread = Thread { [self] in workerLoop(slot) }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func workerLoop(_ slot: Slot) {
        var seen = 0
        while true {
            Self.spin(while: { slot.posted.load(ordering: .acquiring) == seen }) { sleep(slot, whilePostedIs: seen) }
            seen = slot.posted.load(ordering: .acquiring)
            runClaimedTasks(of: seen)
        }
    }

    private func sleep(_ slot: Slot, whilePostedIs seen: Int) {
        pthread_mutex_lock(mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while slot.posted.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wakeUp, mutex) }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
    }
}
