import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPModels
@testable import SigLIPTensorBoard
@testable import SigLIPTraining
import Testing

/// TensorBoard event files (DESIGN.md §5.5): the TFRecord framing with masked CRC-32C, byte for
/// byte as TensorBoard's own writer frames the same events, and tiny runs whose events, read as
/// TensorBoard reads them (files in name order, a SessionLog START discarding later steps of
/// earlier files), hold every scalar of metrics.jsonl once, after a kill and resume too.
/// evals/tensorboard/check_events.py checks real runs with the `tensorboard` package itself.
@Suite("TensorBoard events") struct TensorBoardTests {
    @Test func crc32cVectors() {
        // RFC 3720 (iSCSI), B.4, and the usual check value.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // TensorBoard's masked_crc32c(b"123456789") (evals/tensorboard/check_events.out).
        #expect(CRC32C.masked(Array("123456789".utf8)) == 0xC78A_B0E5)
    }

    /// Three events framed by TensorBoard's RecordWriter from the same messages
    /// (evals/tensorboard/check_events.py prints them as "golden framing").
    static let golden = """
        1800000000000000a37f4b220900002040fc54d9411a0d627261696e2e4576656e743a322b35311020000000000000\
        0029eda9500900005040fc54d94110072a130a110a0a747261696e2f6c6f7373150000803e70e682450f0000000000\
        00006d532b090900008040fc54d94110053a0208019401ccfd
        """

    static func hex(_ data: Data) -> String { data.map { String(format: "%02x", $0) }.joined() }

    @Test func framingMatchesTensorBoardByteForByte() throws {
        var version = Tensorboard_Event()
        (version.wallTime, version.fileVersion) = (1_700_000_000.5, "brain.Event:2")
        var scalar = Tensorboard_Event()
        (scalar.wallTime, scalar.step) = (1_700_000_001.25, 7)
        var value = Tensorboard_Summary.Value()
        (value.tag, value.simpleValue) = ("train/loss", 0.25)
        scalar.summary.value = [value]
        var start = Tensorboard_Event()
        (start.wallTime, start.step) = (1_700_000_002, 5)
        start.sessionLog.status = .start
        let framed = try [version, scalar, start].map { TFRecord.frame(try $0.serializedBytes()) }.reduce(Data(), +)
        #expect(Self.hex(framed) == Self.golden)

        let records = try TFRecord.records(in: framed)
        #expect(try records.map { try Tensorboard_Event(serializedBytes: $0) } == [version, scalar, start])
        var damaged = framed
        damaged[14] ^= 1   // inside the first record's data
        #expect(throws: TFRecord.FramingError.self) { try TFRecord.records(in: damaged) }
        damaged = framed
        damaged[9] ^= 1    // the first length's CRC
        #expect(throws: TFRecord.FramingError.self) { try TFRecord.records(in: damaged) }
        #expect(throws: TFRecord.FramingError.self) { try TFRecord.records(in: framed.dropLast(3)) }
        #expect(try TFRecord.records(in: TFRecord.frame(Data())) == [Data()])
    }

    /// A tiny run with a periodic "evaluation" (fixed scores that change with the step) and a
    /// chart after each.
    static func trainer(_ options: TrainingOptions, failAt: Int? = nil) throws -> Trainer {
        try makeTrainer(options, failAt: failAt,
                        evaluate: { _, step in
                            options.evalRounds.map { EvaluationScore(rounds: $0, top1: Double(step) / 100 + Double($0) / 1000,
                                                                     top5: Double(step) / 50, images: 10, classes: 10) }
                        },
                        evaluationChart: {
                            let lines = try MetricsLog.read(RunDirectory(URL(fileURLWithPath: options.output)).metricsFile).steps.count
                            return EventImage(png: Data("chart after \(lines) steps".utf8), width: 4, height: 3)
                        })
    }

    static func options(_ run: URL, steps: Int) -> TrainingOptions {
        var o = tinyOptions(output: run, steps: steps)
        o.evalData = "benchmarks/tiny-dev"
        o.evalEvery = 3
        o.evalRounds = [1, 2]
        return o
    }

    /// Every scalar of metrics.jsonl (step lines and evaluation lines) is in the events at its
    /// step, once, with TensorBoard's float32 value.
    static func expectEventsMatchMetrics(_ run: URL, _ events: EventFileReader) throws {
        let (steps, evaluations) = try MetricsLog.read(RunDirectory(run).metricsFile)
        let shown = events.scalars.mapValues { Dictionary($0.map { ($0.step, $0.value) }, uniquingKeysWith: { a, _ in a }) }
        for record in steps {
            let tags = TrainingEventFile.scalars(record)
            #expect(tags.count == 12, "every key of a single-process step line but comm_s")
            for (tag, value) in tags {
                #expect(shown[tag]?[record.step] == Float(value), "\(tag) at step \(record.step)")
            }
        }
        for e in evaluations {
            let tags = TrainingEventFile.zeroShotTags(benchmark: "tiny-dev", rounds: e.rounds)
            #expect(shown[tags.top1]?[e.step] == Float(e.top1) && shown[tags.top5]?[e.step] == Float(e.top5), "step \(e.step) r\(e.rounds)")
        }
        for (tag, points) in events.scalars where !tag.hasPrefix("eval/") {
            #expect(points.map(\.step) == (tag.hasPrefix("train/") ? steps.map(\.step) : Array(Set(evaluations.map(\.step))).sorted()),
                    "\(tag): each step once, in order")
        }
        #expect(events.repeatedSteps.isEmpty, "\(events.repeatedSteps)")
        #expect(events.filesWithoutVersion.isEmpty)
        // The chart after each evaluation, drawn when metrics.jsonl held that step.
        let charts = events.images[TrainingEventFile.curvesTag] ?? []
        #expect(charts.map(\.step) == Array(Set(evaluations.map(\.step))).sorted())
        for chart in charts { #expect(chart.png == Data("chart after \(chart.step) steps".utf8)) }
    }

    @Test func everyMetricAtItsStep() throws {
        let run = temporaryRun()
        defer { try? FileManager.default.removeItem(at: run) }
        let options = Self.options(run, steps: 7)
        _ = try Self.trainer(options).train(resume: false)
        let events = try EventFileReader(directory: run)
        #expect(events.files.count == 1 && events.sessionStartSteps.isEmpty)
        try Self.expectEventsMatchMetrics(run, events)
        #expect(events.scalars["zeroshot/tiny-dev/top1@r2"]?.map(\.step) == [3, 6, 7], "every evaluation, and the last step")

        // The hparams: one session with the options, and the metrics the dashboard lists.
        let start = try #require(events.sessionStarts.first)
        #expect(events.sessionStarts.count == 1)
        #expect(start["signature"] == .string("A B") && start["rounds"] == .number(1) && start["seed"] == .number(0))
        #expect(start["learning_rate"] == .number(0.003) && start["batch_size"] == .number(6) && start["depth"] == .number(2))
        #expect(start["steps"] == .number(7) && start["lock"] == .string("none") && start["mask_padding"] == .bool(true))
        #expect(events.experimentMetrics == [["train/loss", "zeroshot/tiny-dev/top1@r1", "zeroshot/tiny-dev/top5@r1",
                                              "zeroshot/tiny-dev/top1@r2", "zeroshot/tiny-dev/top5@r2"]])

        // Byte for byte: the file is its records, each framed with its two masked CRCs.
        let file = try Data(contentsOf: events.files[0])
        let records = try TFRecord.records(in: file)
        #expect(records.map(TFRecord.frame).reduce(Data(), +) == file)
        #expect(records.count == 1 + 1 + 7 + 3 + 3, "version, hparams, a step each, an evaluation and a chart each")
    }

    @Test func everyStepOnceAfterAKillAndResume() throws {
        let run = temporaryRun()
        defer { try? FileManager.default.removeItem(at: run) }
        let options = Self.options(run, steps: 10)
        // Killed while taking step 8: steps 1-7 and the evaluations at 3 and 6 were written, the
        // last checkpoint is step 4 (every 4), so the resumed session redoes 5-7 from there.
        #expect(throws: SyntheticBatches.Killed.self) { try Self.trainer(options, failAt: 7).train(resume: false) }
        let killed = try EventFileReader(directory: run)
        #expect(killed.scalars["train/loss"]?.map(\.step) == Array(1...7))
        #expect(killed.images[TrainingEventFile.curvesTag]?.map(\.step) == [3, 6])
        _ = try Self.trainer(options).train(resume: true)

        let events = try EventFileReader(directory: run)
        #expect(events.files.count == 2 && events.sessionStartSteps == [5], "the resumed session's file starts at step 5")
        #expect(events.files[0].lastPathComponent < events.files[1].lastPathComponent, "read in the order written")
        #expect(events.sessionStarts.count == 2, "each session writes the hparams")
        #expect(events.scalars["train/loss"]?.map(\.step) == Array(1...10))
        // images/s differs between the killed and the resumed session's step 5: the events show the
        // resumed one, as metrics.jsonl does.
        try Self.expectEventsMatchMetrics(run, events)
    }

    @Test func resultsAfterTrainingGoToTheLastStepWithoutHidingIt() throws {
        let run = temporaryRun()
        defer { try? FileManager.default.removeItem(at: run) }
        _ = try Self.trainer(Self.options(run, steps: 4)).train(resume: false)
        let step = try TrainingEventFile.lastStep(in: run)
        #expect(step == 4)
        let scores = [EvaluationScore(rounds: 1, top1: 0.25, top5: 0.5, images: 4, classes: 4),
                      EvaluationScore(rounds: 3, top1: 0.75, top5: 1, images: 4, classes: 4)]
        let file = try TrainingEventFile.appendZeroShot(scores, benchmark: "tiny-test", to: run, step: step)
        let events = try EventFileReader(directory: run)
        #expect(events.files.last == file && events.sessionStartSteps.isEmpty)
        #expect(events.scalars["eval/tiny-test/top1@r3"] == [.init(step: 4, value: 0.75)])
        #expect(events.scalars["eval/tiny-test/top5@r1"] == [.init(step: 4, value: 0.5)])
        try Self.expectEventsMatchMetrics(run, events)

        let elsewhere = temporaryRun()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        #expect(try TrainingEventFile.lastStep(in: elsewhere) == 0, "not a run directory: step 0")
    }

    @Test func anUnwritableFolderIsOneErrorNamingIt() throws {
        let file = temporaryRun()
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("not a folder".utf8).write(to: file)
        let error = try #require(throws: SigLIPError.self) { try EventFileWriter(directory: file.appendingPathComponent("run")) }
        #expect(error.kind == .unwritable && error.path.hasSuffix("/run"), "\(error)")
    }

    @Test func fileNamesSortAfterEveryEarlierFile() throws {
        let run = temporaryRun()
        defer { try? FileManager.default.removeItem(at: run) }
        let future = Date(timeIntervalSince1970: 4_000_000_000)
        let first = try EventFileWriter(directory: run, now: future)
        let second = try EventFileWriter(directory: run, now: Date(timeIntervalSince1970: 1_000))   // a clock set back
        #expect(first.url.lastPathComponent.hasPrefix("events.out.tfevents.4000000000."))
        #expect(second.url.lastPathComponent.hasPrefix("events.out.tfevents.4000000001."))
        #expect(try EventFileReader(directory: run).files.map(\.lastPathComponent) == [first.url, second.url].map(\.lastPathComponent))
    }
}
