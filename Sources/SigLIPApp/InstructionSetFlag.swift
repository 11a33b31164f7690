import ArgumentParser
import SigLIPCore

/// `--instruction-set baseline|avx2|avx512`, as `siglip-train`, `siglip-study`, `siglip-eval` and `siglip-bench` take it.
extension InstructionSet: ExpressibleByArgument {
    public init?(argument: String) {
        guard let level = Self.allCases.first(where: { $0.name == argument }) else { return nil }
        self = level
    }

    public static var allValueStrings: [String] { allCases.map(\.name) }

    /// `--instruction-set`'s help, one text for every command that takes it.
    public static let flagHelp: ArgumentHelp = """
        Instruction set of the C kernels (GEMM, GELU, softmax, LayerNorm, AdamW): baseline, avx2 or avx512 (default: the \
        best this CPU has). Below that, OpenBLAS is held to it too (its Haswell kernels at avx2), so that an AVX-512 CPU \
        computes as an AVX2-only one does.
        """

    /// Holds the process to `level` (`hold(to:)`), and says so on standard output when this CPU
    /// lacks it and a lower level runs instead.
    public static func holdForFlag(_ level: InstructionSet) {
        let chosen = hold(to: level)
        if chosen != level { print("this CPU lacks \(level.name); the kernels run at \(chosen.name)") }
    }
}

/// A command's `--instruction-set` and `--threads`, applied in one place for every command
/// that takes them. Each flag given wins; a command that continues earlier work
/// (`siglip-train --resume`, `siglip-study`) passes what that work recorded on this CPU
/// (`ComputeSetup.levelToResume`, `threadsToResume`), so that it goes on bit for bit.
public enum ComputeFlags {
    /// Applies the flags, else the recorded level and threads; returns the recorded level when
    /// it was taken (for the command to say so), nil otherwise.
    @discardableResult
    public static func apply(instructionSet: InstructionSet?, threads: Int?,
                             recordedLevel: () throws -> InstructionSet? = { nil },
                             recordedThreads: () -> Int? = { nil }) throws -> InstructionSet? {
        var taken: InstructionSet?
        if let instructionSet {
            InstructionSet.holdForFlag(instructionSet)
        } else if let level = try recordedLevel() {
            InstructionSet.hold(to: level)
            taken = level
        }
        if let threads {
            try ComputeThreads.set(flag: threads)
        } else if let recorded = recordedThreads() {
            ComputeThreads.set(recorded)
        }
        return taken
    }
}
