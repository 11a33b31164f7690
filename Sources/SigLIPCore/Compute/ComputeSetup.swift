import Foundation

/// How a run computes: the CPU, the kernels' instruction-set level, the compute threads,
/// OpenBLAS's kernel set, how GEMM products are routed between OpenBLAS and our driver, and over
/// how many data-parallel ranks the batch is split (each rank's gradient is summed separately,
/// then the ranks' sums are added).
///
/// Speed figures are reported beside it, and a run's floating-point sums depend on every field
/// but `cores`: the same options and seed give the same bits when the rest agree, and round
/// differently (by a few ulps per step, then diverging) when one differs. A training checkpoint
/// records it so that a resumed run can say when it continues on another setup, and a run's
/// summary and a study result name the setup that produced them.
public struct ComputeSetup: Codable, Equatable, Sendable, CustomStringConvertible {
    /// `CPUModel.name`, e.g. "AMD EPYC (family 25, model 1)".
    public var cpu: String
    /// Cores online (what the machine has; `threads` is what the process uses).
    public var cores: Int
    /// The kernels' level as `InstructionSet.description` names it, e.g. "AVX2+FMA".
    public var instructionSet: String
    /// Threads of `gemm` and `parallelFor` (`ComputeThreads`).
    public var threads: Int
    /// OpenBLAS's kernel set, e.g. "Zen", "Haswell", "SkylakeX": the one products run on, after
    /// `BLASKernels.upgradeIfMisdetected` (which the first GEMM would otherwise do later).
    public var blasKernels: String
    /// "built-in rule", or the measured table that routes the products, named by a digest of
    /// its contents (`GEMMRouting.identity`).
    public var gemmRouting: String
    /// Data-parallel ranks (1: one process); nil in setups recorded before ranks were, which
    /// are compared on the other fields only. The CPU and the rest are rank 0's; every rank
    /// restores the same checkpoint and the ranks' setups are expected to agree.
    public var ranks: Int?

    enum CodingKeys: String, CodingKey {
        case cpu, cores, instructionSet = "instruction_set", threads, blasKernels = "blas_kernels", gemmRouting = "gemm_routing", ranks
    }

    public init(cpu: String, cores: Int, instructionSet: String, threads: Int, blasKernels: String, gemmRouting: String, ranks: Int? = 1) {
        (self.cpu, self.cores, self.instructionSet, self.threads) = (cpu, cores, instructionSet, threads)
        (self.blasKernels, self.gemmRouting, self.ranks) = (blasKernels, gemmRouting, ranks)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(cpu: try c.decode(String.self, forKey: .cpu), cores: try c.decode(Int.self, forKey: .cores),
                  instructionSet: try c.decode(String.self, forKey: .instructionSet), threads: try c.decode(Int.self, forKey: .threads),
                  blasKernels: try c.decode(String.self, forKey: .blasKernels), gemmRouting: try c.decode(String.self, forKey: .gemmRouting),
                  ranks: try c.decodeIfPresent(Int.self, forKey: .ranks))
    }

    /// This process's setup now (after `--threads` and `--instruction-set` took effect), in a
    /// run over `ranks` data-parallel ranks.
    public static func current(ranks: Int) -> ComputeSetup {
        var setup = current
        setup.ranks = ranks
        return setup
    }

    /// This process's setup now, as one process.
    public static var current: ComputeSetup {
        ComputeSetup(cpu: CPUModel.name, cores: ProcessInfo.processInfo.activeProcessorCount,
                     instructionSet: InstructionSet.selected.description, threads: ComputeThreads.current,
                     blasKernels: BLASKernels.upgradeIfMisdetected(), gemmRouting: GEMMRouting.identity())
    }

    /// What differs from `earlier` in a way that changes the sums, e.g. ["threads 2 → 1"]
    /// (empty when a run would continue bit for bit).
    public func changes(from earlier: ComputeSetup) -> [String] {
        var fields: [(String, String, String)] = [
            ("CPU", earlier.cpu, cpu), ("instruction set", earlier.instructionSet, instructionSet),
            ("threads", String(earlier.threads), String(threads)), ("OpenBLAS kernels", earlier.blasKernels, blasKernels),
            ("GEMM routing", earlier.gemmRouting, gemmRouting),
        ]
        if let before = earlier.ranks, let now = ranks { fields.append(("ranks", String(before), String(now))) }
        return fields.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) → \($0.2)" }
    }

    /// The threads a run resumed from this record should take when none are asked for: its
    /// own, when it was computed on this CPU at this level over the same ranks and this machine
    /// has that many cores (so that the resumed run goes on bit for bit); else nil.
    public func threadsToResume(ranks: Int) -> Int? {
        guard cpu == CPUModel.name, instructionSet == InstructionSet.selected.description, (self.ranks ?? 1) == ranks,
              (1...max(1, ProcessInfo.processInfo.activeProcessorCount)).contains(threads) else { return nil }
        return threads
    }

    /// The instruction-set level a run resumed from this record should take when none is asked
    /// for: its own, when it was computed on this CPU (e.g. held to AVX2 by `--instruction-set`
    /// on a CPU with AVX-512, so that the resumed run goes on bit for bit); else nil.
    public var levelToResume: InstructionSet? { Self.levelToResume(cpu: cpu, instructionSet: instructionSet) }

    /// `levelToResume` from the two fields it reads (which records of every age have, e.g. a
    /// study result's `machine` from before the others were recorded).
    public static func levelToResume(cpu: String, instructionSet: String) -> InstructionSet? {
        guard cpu == CPUModel.name, let level = InstructionSet(described: instructionSet),
              level.rawValue <= InstructionSet.supported.rawValue else { return nil }
        return level
    }

    /// "AMD EPYC (family 25, model 1), AVX2+FMA, 2 threads, OpenBLAS Zen, GEMM routing: built-in
    /// rule", and ", 4 ranks" after a data-parallel run's.
    public var description: String {
        "\(cpu), \(instructionSet), \(threads) thread\(threads == 1 ? "" : "s"), OpenBLAS \(blasKernels), GEMM routing: \(gemmRouting)"
            + ((ranks ?? 1) == 1 ? "" : ", \(ranks ?? 1) ranks")
    }
}
