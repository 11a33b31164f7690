import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPModels
import Testing

/// RINS-ifying a pretrained model (`PretrainedTransfer`, `siglip-train --init-from`): a
/// baseline's weights go into a RINS configuration with zero adapters, which at one round
/// computes exactly what the baseline did.
@Suite("Pretrained transfer") struct PretrainedTransferTests {
    static func baseline() throws -> SigLIPModel {
        let model = try SigLIPModel(config: recursiveConfig(RecursionConfig()))
        model.initialize(seed: 31)
        return model
    }

    @Test(arguments: [AdapterKind.none, .linear, .diagonal])
    func aRINSifiedBaselineAtOneRoundIsTheBaseline(_ adapter: AdapterKind) throws {
        let pretrained = try Self.baseline()
        let rins = try SigLIPModel(config: recursiveConfig(.rins(rounds: 3, skipProbability: 0.5, adapter: adapter),
                                                           textRecursion: .rins(rounds: 2, adapter: adapter)))
        rins.initialize(seed: 99)   // every weight is overwritten or zeroed by the transfer
        let report = try PretrainedTransfer.transfer(from: pretrained, into: rins, path: "pretrained")
        #expect(report.loaded == pretrained.parameters.specs.count)
        #expect(report.added == rins.parameters.specs.filter { $0.role == .adapter }.map(\.name))
        #expect(report.added.count == (adapter == .none ? 0 : 3), "image rounds 2-3 and text round 2")
        #expect(report.description.contains("image tower recursion: A B → A^r B (r = 3"))
        let batch = TinyBatch(seed: 32)
        let (p, r) = (pretrained.makeContext(), rins.makeContext())
        #expect(pretrained.encodeImages(batch.tensor, p).toArray() == rins.encodeImages(batch.tensor, rounds: 1, r).toArray())
        #expect(pretrained.encodeTexts(batch.ids, batch: 3, p).toArray() == rins.encodeTexts(batch.ids, batch: 3, rounds: 1, r).toArray())
        // More rounds reuse the same blocks: a different function, as it should be.
        #expect(pretrained.encodeImages(batch.tensor, p).toArray() != rins.encodeImages(batch.tensor, rounds: 2, r).toArray())
    }

    @Test func anotherArchitectureOrDroppedAdaptersAreRefused() throws {
        let pretrained = try Self.baseline()
        var wider = recursiveConfig(.rins(rounds: 2))
        wider.imageTower.depth = 6
        let error = #expect(throws: SigLIPError.self) {
            try PretrainedTransfer.transfer(from: pretrained, into: try SigLIPModel(config: wider), path: "ckpt")
        }
        #expect(error?.path == "ckpt" && error?.problem.contains("image depth 4 vs 6") == true, "\(String(describing: error))")
        // A model with adapters into one without: trained weights would be dropped.
        let adapted = try SigLIPModel(config: recursiveConfig(.rins(rounds: 2, adapter: .linear)))
        let dropped = #expect(throws: SigLIPError.self) {
            try PretrainedTransfer.transfer(from: adapted, into: try SigLIPModel(config: recursiveConfig(.rins(rounds: 2))), path: "ckpt")
        }
        #expect(dropped?.problem.contains("round_adapters.2") == true, "\(String(describing: dropped))")
    }
}
