/// The ranks of a data-parallel job as training needs them (DESIGN.md §5.2): the ring of the
/// sigmoid loss, sums over ranks for the gradients and metrics, and gathers for the data
/// positions. `MPIGroup` (target SigLIPMPI) is the transport between processes;
/// `InProcessRing` runs ranks as threads of one process for tests.
///
/// Every rank calls the same operations in the same order with buffers of the same length.
/// An operation that cannot complete (a rank died or stalled) must not wait forever: the MPI
/// transport ends every rank after its time-out.
public protocol ProcessGroup: EmbeddingRing {
    /// Element-wise sum over the ranks, in place: every rank ends with the same values.
    func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// Every rank's `values` (the same count on each), in rank order.
    func allGather(_ values: [Double]) throws -> [[Double]]
    /// Seconds this rank has spent inside the group's operations so far (waiting included).
    var communicationSeconds: Double { get }
}

extension ProcessGroup {
    /// Sums small vectors over the ranks, in rank order, so that every rank gets the same bits.
    public func allReduceSum(_ values: [Double]) throws -> [Double] {
        try allGather(values).reduce(into: [Double](repeating: 0, count: values.count)) { sum, rank in
            for i in sum.indices { sum[i] += rank[i] }
        }
    }
}
