import Dispatch
import SigLIPCore
import Testing

/// The compute pool behind `parallelFor` and `gemm`: every item runs exactly once per call,
/// from one caller after another, from several callers at once (the pool is taken by one,
/// the others fall back to Dispatch) and from inside a task.
@Suite("Parallel") struct ParallelTests {
    /// Runs `calls` parallelFor jobs over `count` items, counting how often each item ran.
    private static func countRuns(calls: Int, count: Int, nested: Bool = false) -> [Int] {
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        defer { runs.deallocate() }
        runs.initialize(repeating: 0)
        for _ in 0..<calls {
            parallelFor(count, costPerItem: 1 << 16) { range in
                if nested {
                    parallelFor(range.count, costPerItem: 1 << 16) { inner in
                        for i in inner { runs[range.lowerBound + i] += 1 }
                    }
                } else {
                    for i in range { runs[i] += 1 }
                }
            }
        }
        return Array(runs)
    }

    @Test func everyItemRunsOncePerCall() {
        for count in [1, 2, 3, 17, 1000] {
            #expect(Self.countRuns(calls: 500, count: count) == Array(repeating: 500, count: count), "count \(count)")
        }
    }

    @Test func nestedCallsRunEveryItemOnce() {
        #expect(Self.countRuns(calls: 200, count: 64, nested: true) == Array(repeating: 200, count: 64))
    }

    @Test func concurrentCallersEachGetTheirItems() {
        let callers = 4
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: callers)
        defer { results.deallocate() }
        results.initialize(repeating: false)
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            results[c] = Self.countRuns(calls: 300, count: 33) == Array(repeating: 300, count: 33)
        }
        #expect(Array(results) == Array(repeating: true, count: callers))
    }
}
