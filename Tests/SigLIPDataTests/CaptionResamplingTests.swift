import Foundation
import SigLIPImage
import SigLIPTestSupport
import Testing
@testable import SigLIPData

/// Several candidate captions per image: one drawn per epoch from (seed, epoch, index), so the
/// draw does not depend on threads and a resumed pipeline draws what the whole run drew.
@Suite("Caption resampling") struct CaptionResamplingTests {
    static let candidates = ["a picture of a fox", "an emoji of a fox", "fox, face", "the fox"]

    /// 24 samples; sample i has the four candidates above with its number, as a JSONL
    /// "captions" list (or as one caption for `single`).
    static func dataset(_ folder: TemporaryFolder, single: Bool = false) throws -> CaptionManifest {
        let samples = try DefaultSamples.first(24)
        var lines: [String] = []
        for (i, sample) in samples.enumerated() {
            let path = String(format: "images/%07d.png", i)
            try folder.write(path, sample.imageBytes)
            let captions = candidates.map { "\($0) \(i)" }
            let object: [String: Any] = single ? ["image": path, "caption": captions[0]] : ["image": path, "captions": captions]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
        try folder.write("captions.jsonl", lines.joined(separator: "\n") + "\n")
        return try CaptionManifest(url: folder.file("captions.jsonl"))
    }

    static func captions(_ dataset: CaptionManifest, start: DataPosition = .start, batches: Int, workers: Int = 2) throws -> [[String]] {
        let configuration = PipelineConfiguration(batchSize: 6, preprocess: Preprocess(size: 8), seed: 3, workers: workers,
                                                  start: start)
        let pipeline = try ImageTextPipeline(dataset: dataset, tokenizer: PipelineTests.tokenizer, configuration: configuration)
        defer { pipeline.stop() }
        return try (0..<batches).map { _ in try pipeline.next().captions }
    }

    @Test func candidatesAreTheCaptionLines() {
        let sample = ImageTextSample(imageBytes: Data(), name: "x", caption: "a fox\n  fox, face \n\nthe fox")
        #expect(sample.captionCandidates == ["a fox", "fox, face", "the fox"])
        #expect(ImageTextSample(imageBytes: Data(), name: "y", caption: "one").captionCandidates == ["one"])
    }

    @Test func drawsVaryOverEpochsAndCoverTheCandidates() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let run = try Self.captions(try Self.dataset(folder), batches: 40)   // 10 epochs of 4 batches
        var seen: [Int: Set<String>] = [:]
        for caption in run.joined() {
            let number = Int(caption.split(separator: " ").last!)!
            seen[number, default: []].insert(caption)
        }
        #expect(seen.count == 24)
        // Over 10 epochs, most samples come with at least 3 of their 4 sentences.
        #expect(seen.values.filter { $0.count >= 3 }.count >= 18, "\(seen.values.map(\.count))")
        // Every candidate is drawn somewhere, about equally often (240 draws, 60 expected each).
        for prefix in Self.candidates {
            let count = run.joined().filter { $0.hasPrefix(prefix + " ") }.count
            #expect((30...90).contains(count), "\(prefix): \(count) of 240")
        }
    }

    @Test func resumedRunDrawsWhatTheWholeRunDrew() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let dataset = try Self.dataset(folder)
        let whole = try Self.captions(dataset, batches: 12, workers: 1)
        let resumed = try Self.captions(dataset, start: DataPosition(epoch: 1, offset: 12), batches: 6, workers: 3)
        #expect(Array(whole[6...]) == resumed)
    }

    @Test func oneCandidateIsAlwaysThatCaption() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let run = try Self.captions(try Self.dataset(folder, single: true), batches: 8)
        #expect(run.joined().allSatisfy { $0.hasPrefix(Self.candidates[0] + " ") })
        #expect(EpochOrder(datasetCount: 5, seed: 1).captionChoice(epoch: 3, index: 2, count: 1) == 0)
    }
}
