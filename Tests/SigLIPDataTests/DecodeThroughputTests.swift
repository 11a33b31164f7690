import Foundation
import Testing
@testable import SigLIPData

@Suite struct DecodeThroughputTests {
    @Test func measuresEveryTargetAndThreadCount() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for (i, sample) in try DefaultSamples.first(3).enumerated() { try folder.write("\(i).png", sample.imageBytes) }
        try folder.write("notes.txt", "ignored")
        #expect(try DecodeThroughput.imageFiles(in: folder.url).map(\.lastPathComponent) == ["0.png", "1.png", "2.png"])
        let rows = try DecodeThroughput.measure(folder: folder.url, targets: [8, 16], threadCounts: [1, 2], repeats: 1)
        #expect(rows.map { [$0.target, $0.threads] } == [[8, 1], [8, 2], [16, 1], [16, 2]])
        #expect(rows.allSatisfy { $0.ours.images == 3 && $0.ours.failures == 0 && $0.ratio == nil })
        #expect(DecodeThroughput.table(rows).split(separator: "\n").count == 5)
        #expect(throws: DecodeThroughput.Failure.self) { try DecodeThroughput.imageFiles(in: folder.file("none")) }
    }
}
