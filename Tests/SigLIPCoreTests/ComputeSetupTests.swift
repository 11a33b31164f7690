import Foundation
import SigLIPCore
import Testing

/// What a run's sums depend on (`ComputeSetup`): the fields whose change breaks bit-for-bit
/// resumption are named (the data-parallel ranks too), the core count is not, and the record
/// reads back as written (one recorded without ranks compared on the rest).
@Suite("Compute setup") struct ComputeSetupTests {
    static let zen3 = ComputeSetup(cpu: "AMD EPYC (family 25, model 1)", cores: 2, instructionSet: "AVX2+FMA", threads: 2,
                                   blasKernels: "Zen", gemmRouting: "built-in rule")

    @Test func changesNameEveryFieldThatChangesTheSums() {
        var other = Self.zen3
        #expect(other.changes(from: Self.zen3).isEmpty)
        other.cores = 64
        #expect(other.changes(from: Self.zen3).isEmpty, "more cores, the same threads: the same sums")
        other.threads = 1
        #expect(other.changes(from: Self.zen3) == ["threads 2 → 1"])
        other = ComputeSetup(cpu: "Intel Xeon (family 6, model 143)", cores: 2, instructionSet: "AVX-512", threads: 2,
                             blasKernels: "SkylakeX", gemmRouting: "measured table 0123456789abcdef, 48 products", ranks: 4)
        #expect(other.changes(from: Self.zen3) == [
            "CPU AMD EPYC (family 25, model 1) → Intel Xeon (family 6, model 143)", "instruction set AVX2+FMA → AVX-512",
            "OpenBLAS kernels Zen → SkylakeX", "GEMM routing built-in rule → measured table 0123456789abcdef, 48 products", "ranks 1 → 4",
        ])
        #expect(other.description.hasSuffix(", 4 ranks"))
    }

    @Test func roundTripsThroughJSONWithSnakeCaseKeys() throws {
        let data = try JSONEncoder().encode(Self.zen3)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["cpu", "cores", "instruction_set", "threads", "blas_kernels", "gemm_routing", "ranks"])
        #expect(try JSONDecoder().decode(ComputeSetup.self, from: data) == Self.zen3)
        let beforeRanks = try JSONSerialization.data(withJSONObject: object.filter { $0.key != "ranks" })
        let unknownRanks = try JSONDecoder().decode(ComputeSetup.self, from: beforeRanks)
        #expect(unknownRanks.ranks == nil && unknownRanks.cpu == Self.zen3.cpu)
        var fourRanks = Self.zen3
        fourRanks.ranks = 4
        #expect(fourRanks.changes(from: unknownRanks).isEmpty, "a setup recorded without ranks is compared on the rest")
        #expect(Self.zen3.description == "AMD EPYC (family 25, model 1), AVX2+FMA, 2 threads, OpenBLAS Zen, GEMM routing: built-in rule")
    }

    /// A resumed run takes its checkpoint's level (`siglip-train --resume` without
    /// `--instruction-set`) only when the checkpoint was computed on this CPU, which then has it.
    @Test func aResumedRunTakesTheRecordedLevelOnlyOnThisCPU() {
        for level in InstructionSet.allCases {
            #expect(InstructionSet(described: level.description) == level)
            var here = ComputeSetup.current
            here.instructionSet = level.description
            #expect(here.levelToResume == (level.rawValue <= InstructionSet.supported.rawValue ? level : nil))
            var elsewhere = here
            elsewhere.cpu = "Some Other CPU (family 1, model 1)"
            #expect(elsewhere.levelToResume == nil)
        }
        #expect(InstructionSet(described: "avx2") == nil, "the record holds descriptions, not the flag's names")
        var unknown = ComputeSetup.current
        unknown.instructionSet = "AVX10.2"
        #expect(unknown.levelToResume == nil)
    }

    @Test func theCurrentSetupIsThisProcesssOne() {
        let now = ComputeSetup.current
        #expect(now.cpu == CPUModel.name && now.threads == ComputeThreads.current)
        #expect(now.instructionSet == InstructionSet.selected.description && now.gemmRouting == GEMMRouting.identity())
    }
}
