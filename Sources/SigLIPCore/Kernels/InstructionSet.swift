import CKernels

/// The instruction set the C kernels (Sources/CKernels: GELU, softmax, exp, LayerNorm, column
/// sums, AdamW, the GEMM driver) run with.
///
/// Swift code here compiles for the baseline x86-64 (SSE2); those kernels are C, compiled once
/// per level (Sources/CKernels) and chosen at run time: by default the best level the CPU
/// supports (`select` changes the default, e.g. for the kernel benchmark); each kernel also
/// takes the level as an argument, so tests hold every supported level against the plain
/// twins. A level the CPU lacks runs as the highest it has. Other architectures have only
/// `.baseline`.
public enum InstructionSet: Int, CaseIterable, Sendable, CustomStringConvertible {
    case baseline = 0, avx2 = 1, avx512 = 2

    /// The highest level this CPU supports.
    public static var supported: InstructionSet { InstructionSet(rawValue: Int(ck_supported_level()))! }

    /// The level the kernels run with unless told otherwise.
    public static var selected: InstructionSet { InstructionSet(rawValue: Int(ck_selected_level()))! }

    /// Makes `level` (or the highest supported level below it) the default; returns the level chosen.
    @discardableResult
    public static func select(_ level: InstructionSet) -> InstructionSet {
        InstructionSet(rawValue: Int(ck_select_level(Int32(level.rawValue))))!
    }

    /// Runs the C kernels at `level` (or the highest level below it this CPU has), and, when
    /// that is below what the CPU supports, holds OpenBLAS to it too (its Haswell kernels at
    /// AVX2, `BLASKernels.match`), so that the process computes as a CPU of that level would;
    /// at the CPU's own level OpenBLAS keeps the kernels it chose for the CPU (a Zen 3's "Zen"),
    /// as a run without the flag has them. Returns the level chosen. Every command's
    /// `--instruction-set`, and `siglip-train --resume`'s recorded level; once, before anything computes.
    @discardableResult
    public static func hold(to level: InstructionSet) -> InstructionSet {
        let chosen = select(level)
        if chosen.rawValue < supported.rawValue { BLASKernels.match(chosen) }
        return chosen
    }

    /// The level whose `description` this is (as `ComputeSetup` records it), nil for any other text.
    public init?(described text: String) {
        guard let level = Self.allCases.first(where: { $0.description == text }) else { return nil }
        self = level
    }

    /// The level whose compiled kernels run when `level` is asked for: `level` itself if the CPU
    /// supports it, else the highest it does (tests check that dispatch reaches each level's code).
    public static func kernels(for level: InstructionSet) -> InstructionSet {
        var compiled: Int32 = -1
        ck_compiled_level(Int32(level.rawValue), &compiled)
        return InstructionSet(rawValue: Int(compiled))!
    }

    /// Every level this CPU supports, lowest first.
    public static var allSupported: [InstructionSet] { allCases.filter { $0.rawValue <= supported.rawValue } }

    /// The level's name on command lines and in files: baseline, avx2, avx512.
    public var name: String {
        switch self {
        case .baseline: "baseline"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    public var description: String {
        switch self {
        case .baseline: "baseline (SSE2)"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        }
    }
}
