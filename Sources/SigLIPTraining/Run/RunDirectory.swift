import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SigLIPBase
import SigLIPCore
import SigLIPModels

/// The files of a training run:
///
///     train_config.json            the effective options
///     metrics.jsonl                one JSON object per step (and per evaluation)
///     checkpoints/step-00000200/   config.json, model.safetensors, spiece.model (a Hugging Face
///                                  SigLIP directory), optimizer.safetensors, trainer_state.json
///     summary.json, curves.png     written at the end
///
/// Checkpoints are written into a hidden temporary folder, synced, then renamed into place, so
/// a killed run never leaves a half-written checkpoint under a real name.
public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var optionsFile: URL { url.appendingPathComponent("train_config.json") }
    public var metricsFile: URL { url.appendingPathComponent("metrics.jsonl") }
    public var summaryFile: URL { url.appendingPathComponent("summary.json") }
    public var curvesFile: URL { url.appendingPathComponent("curves.png") }
    public var checkpointsFolder: URL { url.appendingPathComponent("checkpoints") }

    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "trainer_state.json"
    public static let tokenizerFile = "spiece.model"

    func checkpointName(step: Int) -> String { String(format: "step-%08d", step) }

    /// Complete checkpoints, oldest first.
    public func checkpoints() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsFolder.path)) ?? []
        return names.filter { $0.hasPrefix("step-") }.sorted().map { checkpointsFolder.appendingPathComponent($0) }
    }

    public var latestCheckpoint: URL? { checkpoints().last }

    /// The compute setup of the newest checkpoint whose trainer state can be read (nil: none, or
    /// written before setups were recorded). `siglip-train --resume` takes its threads when
    /// `--threads` is not given (`ComputeSetup.threadsToResume`), so that a resumed run goes on
    /// bit for bit by default. (Should the trainer then find that checkpoint damaged in another
    /// way and resume from an earlier one, it reports any setup that differs from that one's.)
    public func recordedCompute() -> ComputeSetup? {
        for dir in checkpoints().reversed() {
            if let state = try? Self.readState(in: dir) { return state.compute }
        }
        return nil
    }

    /// A checkpoint's trainer state as written (not yet checked against the run: `TrainerState.check`).
    /// Throws `SigLIPError` naming the file, of kind `.corrupt` when it does not decode.
    static func readState(in checkpoint: URL) throws -> TrainerState {
        let url = checkpoint.appendingPathComponent(stateFile)
        do {
            return try RunJSON.decoder().decode(TrainerState.self, from: RegularFile.contents(of: url, limit: RegularFile.Limit.json))
        } catch let error as SigLIPError {
            throw error
        } catch {
            throw SigLIPError(path: url.path, problem: "unreadable trainer state (\(describeDecoding(error)))", kind: .corrupt)
        }
    }

    /// Writes summary.json (pretty, sorted keys; NaN written as "nan").
    public func writeSummary(_ summary: TrainingSummary) throws {
        try AtomicFile.write(try RunJSON.encoder(pretty: true).encode(summary), to: summaryFile)
    }

    /// Writes a checkpoint atomically and removes all but the newest `keep`. A failure (a full
    /// disk, an I/O error) throws `SigLIPError` naming the checkpoint and leaves the complete
    /// checkpoints as they were.
    func writeCheckpoint(step: Int, keep: Int, _ write: (URL) throws -> Void) throws -> URL {
        let fm = FileManager.default
        let final = checkpointsFolder.appendingPathComponent(checkpointName(step: step))
        let temporary = checkpointsFolder.appendingPathComponent(Self.temporaryPrefix + checkpointName(step: step))
        do {
            try fm.createDirectory(at: checkpointsFolder, withIntermediateDirectories: true)
            try? fm.removeItem(at: temporary)
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
            try write(temporary)
            for name in try fm.contentsOfDirectory(atPath: temporary.path) { AtomicFile.sync(temporary.appendingPathComponent(name)) }
            try? fm.removeItem(at: final)
            try fm.moveItem(at: temporary, to: final)
        } catch {
            try? fm.removeItem(at: temporary)
            let reason = (error as? SigLIPError)?.description ?? error.localizedDescription
            throw SigLIPError(path: final.path, problem: "cannot write the checkpoint (\(reason)); the previous checkpoints are intact",
                              kind: .unwritable)
        }
        AtomicFile.sync(checkpointsFolder)
        for old in checkpoints().dropLast(keep) { try? fm.removeItem(at: old) }
        return final
    }

    static let temporaryPrefix = ".tmp-"

    /// Removes checkpoint folders a killed run left half-written (never a complete checkpoint).
    func removeStaleTemporaryCheckpoints() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsFolder.path)) ?? []
        for name in names where name.hasPrefix(Self.temporaryPrefix) {
            try? FileManager.default.removeItem(at: checkpointsFolder.appendingPathComponent(name))
        }
    }

    /// Takes the run directory for this process (created if needed): an exclusive lock on
    /// `.lock`, held until the returned lock is released or the process ends (the kernel drops
    /// it even after `kill -9`). A second run on the same directory is refused, naming the
    /// holder's pid.
    public func lock() throws -> RunLock {
        try RunLock(file: url.appendingPathComponent(".lock"))
    }
}

/// An exclusive `flock` on a run directory's lock file, released on deinit.
public final class RunLock {
    private let descriptor: Int32

    init(file: URL) throws {
        let folder = file.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw SigLIPError(path: folder.path, problem: "cannot create the run directory (\(error.localizedDescription))", kind: .unwritable)
        }
        let fd = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SigLIPError(path: file.path, problem: "cannot open the lock file (\(String(cString: strerror(errno))))", kind: .unwritable)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw SigLIPError(path: folder.path, problem: "is in use by another run (pid \(holder)); wait for it to end or choose another --output",
                              kind: .invalid)
        }
        let pid = Data("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
