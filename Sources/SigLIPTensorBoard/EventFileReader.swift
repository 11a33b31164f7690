import Foundation
import SigLIPBase
import SwiftProtobuf

/// A run directory's event files read back the way TensorBoard's loader reads them (for tests
/// and checks of our own files): every file whose name holds "tfevents", in name order, every
/// record's CRCs checked; a `SessionLog` START at step S discards the values already read for
/// steps ≥ S (TensorBoard's `purge_orphaned_data`, on by default).
public struct EventFileReader {
    /// One value as TensorBoard keeps it.
    public struct Point: Equatable, Sendable {
        public var step: Int
        public var value: Float
    }

    /// The event files read, in reading order.
    public private(set) var files: [URL] = []
    /// Scalar curves by tag, in the order TensorBoard shows their points.
    public private(set) var scalars: [String: [Point]] = [:]
    /// Images by tag: (step, PNG bytes).
    public private(set) var images: [String: [(step: Int, png: Data)]] = [:]
    /// Each file's hparams session start (its values), and the experiment's metric tags.
    public private(set) var sessionStarts: [[String: HParamValue]] = []
    public private(set) var experimentMetrics: [[String]] = []
    /// The step of every SessionLog START, in reading order.
    public private(set) var sessionStartSteps: [Int] = []
    /// Files whose first record is not `file_version` "brain.Event:2".
    public private(set) var filesWithoutVersion: [URL] = []

    /// Reads every event file of `directory`. A record that does not frame, check or parse is an
    /// error naming the file.
    public init(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("tfevents") }.sorted()
        for name in names {
            let url = directory.appendingPathComponent(name)
            files.append(url)
            let records: [Data]
            do { records = try TFRecord.records(in: Data(contentsOf: url)) } catch let error as TFRecord.FramingError {
                throw SigLIPError(path: url.path, problem: error.description, kind: .corrupt)
            }
            for (index, record) in records.enumerated() {
                let event: Tensorboard_Event
                do { event = try Tensorboard_Event(serializedBytes: record) } catch {
                    throw SigLIPError(path: url.path, problem: "record \(index) is not an Event (\(error))", kind: .corrupt)
                }
                if index == 0, event.fileVersion != EventFileWriter.fileVersion { filesWithoutVersion.append(url) }
                try add(event, file: url)
            }
        }
    }

    private mutating func add(_ event: Tensorboard_Event, file: URL) throws {
        let step = Int(event.step)
        switch event.what {
        case .sessionLog(let log)? where log.status == .start:
            sessionStartSteps.append(step)
            for tag in scalars.keys { scalars[tag]!.removeAll { $0.step >= step } }
            for tag in images.keys { images[tag]!.removeAll { $0.step >= step } }
        case .summary(let summary)?:
            for value in summary.value {
                if value.metadata.pluginData.pluginName == EventFileWriter.hparamsPlugin {
                    let data: Tensorboard_Hparams_HParamsPluginData
                    do { data = try Tensorboard_Hparams_HParamsPluginData(serializedBytes: value.metadata.pluginData.content) } catch {
                        throw SigLIPError(path: file.path, problem: "\(value.tag): not hparams plugin data (\(error))", kind: .corrupt)
                    }
                    switch data.data {
                    case .experiment(let e)?: experimentMetrics.append(e.metricInfos.map(\.name.tag))
                    case .sessionStartInfo(let s)?:
                        sessionStarts.append(s.hparams.mapValues { v -> HParamValue in
                            switch v.kind {
                            case .stringValue(let s)?: return .string(s)
                            case .boolValue(let b)?: return .bool(b)
                            case .numberValue(let x)?: return .number(x)
                            default: return .string("")
                            }
                        })
                    default: break
                    }
                    continue
                }
                switch value.value {
                case .simpleValue(let x)?: scalars[value.tag, default: []].append(Point(step: step, value: x))
                case .image(let image)?: images[value.tag, default: []].append((step, image.encodedImageString))
                default: break
                }
            }
        default: break
        }
    }

    /// (tag, step) pairs that TensorBoard would show more than once.
    public var repeatedSteps: [(tag: String, step: Int)] {
        scalars.sorted { $0.key < $1.key }.flatMap { tag, points in
            Dictionary(grouping: points, by: \.step).filter { $0.value.count > 1 }.keys.sorted().map { (tag, $0) }
        }
    }
}
