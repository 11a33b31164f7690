import Foundation

/// How this process computes: the CPU, the kernels' instruction-set level, the compute threads,
/// OpenBLAS's kernel set and how GEMM products are routed between OpenBLAS and our driver.
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
    /// "built-in rule", or the measured table that routes the products (`GEMMRouting.summary`).
    public var gemmRouting: String

    enum CodingKeys: String, CodingKey {
        case cpu, cores, instructionSet = "instruction_set", threads, blasKernels = "blas_kernels", gemmRouting = "gemm_routing"
    }

    public init(cpu: String, cores: Int, instructionSet: String, threads: Int, blasKernels: String, gemmRouting: String) {
        (self.cpu, self.cores, self.instructionSet, self.threads) = (cpu, cores, instructionSet, threads)
        (self.blasKernels, self.gemmRouting) = (blasKernels, gemmRouting)
    }

    /// This process's setup now (after `--threads` and `--instruction-set` took effect).
    public static var current: ComputeSetup {
        ComputeSetup(cpu: CPUModel.name, cores: ProcessInfo.processInfo.activeProcessorCount,
                     instructionSet: InstructionSet.selected.description, threads: ComputeThreads.current,
                     blasKernels: BLASKernels.upgradeIfMisdetected(), gemmRouting: GEMMRouting.summary())
    }

    /// What differs from `earlier` in a way that changes the sums, e.g. ["threads 2 → 1"]
    /// (empty when a run would continue bit for bit).
    public func changes(from earlier: ComputeSetup) -> [String] {
        let fields: [(String, String, String)] = [
            ("CPU", earlier.cpu, cpu), ("instruction set", earlier.instructionSet, instructionSet),
            ("threads", String(earlier.threads), String(threads)), ("OpenBLAS kernels", earlier.blasKernels, blasKernels),
            ("GEMM routing", earlier.gemmRouting, gemmRouting),
        ]
        return fields.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) → \($0.2)" }
    }

    /// "AMD EPYC (family 25, model 1), AVX2+FMA, 2 threads, OpenBLAS Zen, GEMM routing: built-in rule".
    public var description: String {
        "\(cpu), \(instructionSet), \(threads) thread\(threads == 1 ? "" : "s"), OpenBLAS \(blasKernels), GEMM routing: \(gemmRouting)"
    }
}
