import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SigLIPBase
import SwiftProtobuf

/// A value of one hyperparameter, as TensorBoard's hparams dashboard compares runs by.
public enum HParamValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
}

/// Appends TensorBoard events to a new file of a run directory (DESIGN.md §5.5):
/// `events.out.tfevents.<seconds>.<host>`, TFRecord-framed `Event` messages (`TFRecord`), the
/// first with `file_version` "brain.Event:2".
///
/// TensorBoard reads a run's files in name order, so the seconds in the name are at least one
/// more than those of every event file already there. A writer opened to resume a run
/// (`sessionStartAt`) writes a `SessionLog` START at the first step it will write right after
/// the version: TensorBoard then discards what earlier files hold for that step and later (what
/// a killed run wrote after its last checkpoint), so every step shows once.
///
/// Each event goes to the file as one `write` when it is made (nothing is buffered in this
/// process, so a killed run loses nothing it reported); a failed write is a `SigLIPError`
/// (`.unwritable`) naming the file.
public final class EventFileWriter {
    public let url: URL
    private let handle: FileHandle
    /// Bytes written so far.
    public private(set) var bytes = 0

    /// The hparams plugin's name and tags (TensorBoard's `plugins/hparams/metadata.py`).
    static let hparamsPlugin = "hparams"
    static let experimentTag = "_hparams_/experiment"
    static let sessionStartTag = "_hparams_/session_start_info"
    /// The version TensorBoard's readers expect in the first record.
    static let fileVersion = "brain.Event:2"
    static let namePrefix = "events.out.tfevents."

    /// Opens a new event file in `directory` (created if needed).
    /// - Parameter sessionStartAt: the first step a resumed run writes (nil: a new run, or
    ///   events that add to a run without restarting it).
    public init(directory: URL, sessionStartAt step: Int? = nil, now: Date = Date()) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SigLIPError(path: directory.path, problem: "cannot create the folder for event files (\(error.localizedDescription))",
                              kind: .unwritable)
        }
        var seconds = max(Int(now.timeIntervalSince1970), (Self.newestSeconds(in: directory) ?? 0) + 1)
        var descriptor: Int32 = -1
        var candidate = directory
        for _ in 0..<100 {
            candidate = directory.appendingPathComponent(Self.namePrefix + Self.tenDigits(seconds) + "." + Self.hostName())
            descriptor = open(candidate.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if descriptor >= 0 || errno != EEXIST { break }
            seconds += 1
        }
        url = candidate
        guard descriptor >= 0 else {
            throw SigLIPError(path: candidate.path, problem: "cannot create the event file (\(String(cString: strerror(errno))))",
                              kind: .unwritable)
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var first = Tensorboard_Event()
        first.wallTime = now.timeIntervalSince1970
        first.fileVersion = Self.fileVersion
        try write(first)
        if let step {
            var start = Tensorboard_Event()
            start.wallTime = now.timeIntervalSince1970
            start.step = Int64(step)
            start.sessionLog.status = .start
            try write(start)
        }
    }

    /// Seconds as TensorBoard's writers put them in names: at least 10 digits, zero-padded.
    static func tenDigits(_ seconds: Int) -> String {
        let digits = String(max(seconds, 0))
        return String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    /// The largest `<seconds>` among the event files of `directory`.
    static func newestSeconds(in directory: URL) -> Int? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix(namePrefix) else { return nil }
            return Int(name.dropFirst(namePrefix.count).prefix { $0.isNumber })
        }.max()
    }

    /// This machine's name, as TensorBoard's writers put it in file names (letters, digits, `-`, `_`).
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer).split(separator: ".").first.map(String.init) ?? ""
        let kept = String(name.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" })
        return kept.isEmpty ? "localhost" : kept
    }

    /// Scalars (tag, value) at `step`, in one event. TensorBoard keeps scalars as Float32.
    public func scalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Date = Date()) throws {
        var summary = Tensorboard_Summary()
        summary.value = values.map { tag, value in
            var v = Tensorboard_Summary.Value()
            v.tag = tag
            v.simpleValue = Float(value)
            return v
        }
        try write(summary, step: step, wallTime: wallTime)
    }

    /// A PNG picture (RGB) at `step`.
    public func image(_ tag: String, png: Data, width: Int, height: Int, step: Int, wallTime: Date = Date()) throws {
        var value = Tensorboard_Summary.Value()
        value.tag = tag
        value.image.width = Int32(clamping: width)
        value.image.height = Int32(clamping: height)
        value.image.colorspace = 3
        value.image.encodedImageString = png
        var summary = Tensorboard_Summary()
        summary.value = [value]
        try write(summary, step: step, wallTime: wallTime)
    }

    /// The hparams plugin's summaries for this run, at step 0: the experiment (which
    /// hyperparameters and which metric tags the dashboard's table shows) and the session start
    /// (this run's values). `group`: runs with the same group are one row (e.g. seeds of an arm);
    /// empty: the run's own name.
    public func hparams(_ values: [(name: String, value: HParamValue)], metrics: [String], group: String = "",
                        wallTime: Date = Date()) throws {
        var experiment = Tensorboard_Hparams_Experiment()
        experiment.timeCreatedSecs = wallTime.timeIntervalSince1970
        experiment.hparamInfos = values.map { name, value in
            var info = Tensorboard_Hparams_HParamInfo()
            info.name = name
            switch value {
            case .string: info.type = .string
            case .number: info.type = .float64
            case .bool: info.type = .bool
            }
            return info
        }
        experiment.metricInfos = metrics.map { tag in
            var info = Tensorboard_Hparams_MetricInfo()
            info.name.tag = tag
            return info
        }
        var start = Tensorboard_Hparams_SessionStartInfo()
        start.groupName = group
        start.startTimeSecs = wallTime.timeIntervalSince1970
        for (name, value) in values {
            var v = Google_Protobuf_Value()
            switch value {
            case .string(let s): v.stringValue = s
            case .number(let x): v.numberValue = x
            case .bool(let b): v.boolValue = b
            }
            start.hparams[name] = v
        }
        var experimentData = Tensorboard_Hparams_HParamsPluginData()
        experimentData.experiment = experiment
        var startData = Tensorboard_Hparams_HParamsPluginData()
        startData.sessionStartInfo = start
        // The value itself is an empty float vector, as TensorBoard's own hparams writer puts it:
        // the content travels in the metadata.
        var empty = Tensorboard_TensorProto()
        empty.dtype = .dtFloat
        empty.tensorShape.dim = [Tensorboard_TensorShapeProto.Dim()]
        var summary = Tensorboard_Summary()
        summary.value = try [(Self.experimentTag, experimentData), (Self.sessionStartTag, startData)].map { tag, data in
            var value = Tensorboard_Summary.Value()
            value.tag = tag
            value.metadata.pluginData.pluginName = Self.hparamsPlugin
            value.metadata.pluginData.content = try data.serializedBytes()
            value.tensor = empty
            return value
        }
        try write(summary, step: 0, wallTime: wallTime)
    }

    private func write(_ summary: Tensorboard_Summary, step: Int, wallTime: Date) throws {
        var event = Tensorboard_Event()
        event.wallTime = wallTime.timeIntervalSince1970
        event.step = Int64(step)
        event.summary = summary
        try write(event)
    }

    private func write(_ event: Tensorboard_Event) throws {
        let record: Data
        do {
            record = TFRecord.frame(try event.serializedBytes())
        } catch {
            throw SigLIPError(path: url.path, problem: "cannot encode an event (\(error))", kind: .invalid)
        }
        do {
            try handle.write(contentsOf: record)
        } catch {
            throw SigLIPError(path: url.path, problem: "cannot append an event (\(error.localizedDescription))", kind: .unwritable)
        }
        bytes += record.count
    }
}
