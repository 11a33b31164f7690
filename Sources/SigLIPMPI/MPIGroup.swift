import CMPI
import Foundation
import SigLIPBase
import SigLIPTraining

/// The ranks of an `mpirun` job over Open MPI: the `ProcessGroup` of data-parallel training
/// (DESIGN.md §5.2).
///
/// MPI is initialised only when a launcher started the process (`isLaunched`), so a plain
/// single-process run never touches it. Only the thread that called `start` uses MPI
/// (`MPI_THREAD_FUNNELED`). Every operation is non-blocking underneath and polled against a
/// deadline: one that does not complete within `timeout` seconds (a rank died, stalled or took
/// another path) reports which rank waited for what and ends every rank through `MPI_Abort`.
public final class MPIGroup: ProcessGroup, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Seconds an operation may wait for the other ranks.
    public let timeout: Double
    public private(set) var communicationSeconds = 0.0
    private let world: MPI_Comm
    /// The command name for error lines.
    private let command: String
    private var finished = false

    /// Largest count in one MPI call (MPI counts are `Int32`).
    static let chunk = 1 << 26

    /// Whether an MPI launcher (Open MPI's mpirun, a PMIx launcher such as Slurm's srun)
    /// started this process.
    public static var isLaunched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Initialises MPI and joins MPI_COMM_WORLD. Call once, on the main thread, only when
    /// `isLaunched`.
    public init(timeout: Double, command: String) throws {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, siglip_mpi_thread_funneled(), &provided) == MPI_SUCCESS else {
            throw SigLIPError(path: "MPI", problem: "MPI_Init_thread failed")
        }
        world = siglip_mpi_comm_world()
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(world, &r)
        MPI_Comm_size(world, &s)
        (rank, size, self.timeout, self.command) = (Int(r), Int(s), timeout, command)
    }

    /// Leaves MPI at the end of a run (every rank must call it; a rank that exits without it
    /// makes mpirun end the job as failed).
    public func finish() {
        guard !finished else { return }
        finished = true
        MPI_Finalize()
    }

    /// Reports `message` for this rank and ends every rank of the job (Open MPI's abort path).
    public func abort(_ message: String) -> Never {
        writeStandardError("\(command): error: rank \(rank) of \(size): \(message)\n")
        MPI_Abort(world, 1)
        exit(1)
    }

    public func shift(_ buffer: [Float]) throws -> [Float] {
        let next = Int32((rank + 1) % size), previous = Int32((rank - 1 + size) % size)
        var received = [Float](repeating: 0, count: buffer.count)
        let started = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var offset = 0
        repeat {   // chunks of at most `chunk` floats, each a matched pair of messages
            let count = min(Self.chunk, buffer.count - offset)
            var requests: [MPI_Request?] = [nil, nil]
            received.withUnsafeMutableBufferPointer { out in
                _ = MPI_Irecv(out.baseAddress! + offset, Int32(count), siglip_mpi_float(), previous, 1, world, &requests[0])
            }
            buffer.withUnsafeBufferPointer { source in
                _ = MPI_Isend(UnsafeMutableRawPointer(mutating: source.baseAddress! + offset), Int32(count), siglip_mpi_float(),
                              next, 1, world, &requests[1])
            }
            wait(&requests, "the ring exchange (sending to rank \(next), receiving from rank \(previous))")
            offset += count
        } while offset < buffer.count
        return received
    }

    public func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var offset = 0
        while offset < count {
            let n = min(Self.chunk, count - offset)
            var requests: [MPI_Request?] = [nil]
            _ = MPI_Iallreduce(siglip_mpi_in_place(), buffer + offset, Int32(n), siglip_mpi_float(), siglip_mpi_sum(), world, &requests[0])
            wait(&requests, "the all-reduce of \(count) gradients")
            offset += n
        }
    }

    public func allGather(_ values: [Double]) throws -> [[Double]] {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var all = [Double](repeating: 0, count: values.count * size)
        var requests: [MPI_Request?] = [nil]
        values.withUnsafeBufferPointer { source in
            all.withUnsafeMutableBufferPointer { out in
                _ = MPI_Iallgather(UnsafeMutableRawPointer(mutating: source.baseAddress!), Int32(values.count), siglip_mpi_double(),
                                   out.baseAddress!, Int32(values.count), siglip_mpi_double(), world, &requests[0])
            }
        }
        wait(&requests, "a gather of \(values.count) values from every rank")
        return (0..<size).map { Array(all[($0 * values.count)..<(($0 + 1) * values.count)]) }
    }

    /// Waits until every rank has arrived here (or the time-out ends the job).
    public func barrier(_ what: String) {
        var requests: [MPI_Request?] = [nil]
        _ = MPI_Ibarrier(world, &requests[0])
        wait(&requests, what)
    }

    /// Polls `requests` until all complete; past the deadline, aborts the job naming `what`.
    /// Polling drives Open MPI's progress; after the first millisecond it sleeps 50 µs between
    /// polls so that a waiting rank leaves the core to the ranks still computing.
    private func wait(_ requests: inout [MPI_Request?], _ what: String) {
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(timeout * 1e9)
        var done: Int32 = 0
        while true {
            let status = MPI_Testall(Int32(requests.count), &requests, &done, siglip_mpi_statuses_ignore())
            if status != MPI_SUCCESS { abort("\(what) failed (MPI error \(status))") }
            if done != 0 { return }
            let now = DispatchTime.now().uptimeNanoseconds
            if now > deadline {
                abort("\(what) did not complete within \(displaySeconds(timeout)) s: another rank has failed or stalled; ending every rank")
            }
            if now - start > 1_000_000 { usleep(50) }
        }
    }
}
