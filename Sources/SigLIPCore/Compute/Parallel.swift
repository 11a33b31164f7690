import Dispatch
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
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let start = count * t / threads
            let end = count * (t + 1) / threads
            if start < end { body(start..<end) }
        }
    }
}

@usableFromInline
func parallelThreadCount(count: Int, costPerItem: Int) -> Int {
    let minimumWorkPerThread = 32_768
    let work = count * max(costPerItem, 1)
    return min(ParallelSettings.threads, count, max(1, work / minimumWorkPerThread))
}
