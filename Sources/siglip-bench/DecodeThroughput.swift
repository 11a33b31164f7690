import Foundation
import SigLIP

/// Decode + resize throughput over a folder of images, ours against Pillow's, for the
/// `siglip-bench` command: rows for each target size × thread count. (Command-side code: it
/// starts a Python process for Pillow.)
enum DecodeThroughput {
    /// One measured configuration.
    struct Row: Sendable {
        /// Output side in pixels (target × target).
        var target: Int
        var threads: Int
        var ours: DecodeBenchmarkResult
        /// Pillow on the same files and settings, when measured (`measurePillow`).
        var pillow: PillowResult?
        /// Our images/s over Pillow's.
        var ratio: Double? { pillow.map { ours.imagesPerSecond / $0.imagesPerSecond } }
    }

    /// What `evals/images/bench_decode.py --json` reports.
    struct PillowResult: Sendable, Decodable {
        var version: String
        var images: Int
        var seconds: Double
        var imagesPerSecond: Double
        var megapixelsPerSecond: Double
        enum CodingKeys: String, CodingKey {
            case version, images, seconds
            case imagesPerSecond = "images_per_second", megapixelsPerSecond = "megapixels_per_second"
        }
    }

    /// The benchmark could not run (no images, the Pillow script failed).
    struct Failure: Error, CustomStringConvertible, Sendable {
        let path: String
        let problem: String
        var description: String { "\(path): \(problem)" }
    }

    /// The `.jpg`, `.jpeg` and `.png` files in `folder`, sorted by name.
    static func imageFiles(in folder: URL) throws -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let files = names.filter { ClassificationDataset.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted().map { folder.appendingPathComponent($0) }
        guard !files.isEmpty else { throw Failure(path: folder.path, problem: "no .jpg, .jpeg or .png images") }
        return files
    }

    /// Our decode + resize to target × target floats in [-1, 1] for every target and thread
    /// count (default: 1 and all cores), from bytes in memory, with reduced-size JPEG
    /// decoding: one warm-up pass, then the best of `repeats` timed passes. With
    /// `pillowScript` (`evals/images/bench_decode.py`), Pillow is measured right after each
    /// of our rows on the same files and settings, so both see the same machine load.
    static func measure(folder: URL, targets: [Int] = [64, 224], threadCounts: [Int]? = nil,
                               repeats: Int = 3, pillowScript: URL? = nil, python: String = "python3") throws -> [Row] {
        let files = try imageFiles(in: folder)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let threads = threadCounts ?? (cores > 1 ? [1, cores] : [1])
        var rows: [Row] = []
        for target in targets {
            for count in threads {
                _ = benchmarkDecode(files: files, target: target, threads: count)
                var best = benchmarkDecode(files: files, target: target, threads: count)
                for _ in 1..<max(repeats, 1) {
                    let pass = benchmarkDecode(files: files, target: target, threads: count)
                    if pass.seconds < best.seconds { best = pass }
                }
                let pillow = try pillowScript.map {
                    try measurePillow(script: $0, folder: folder, target: target, threads: count, repeats: repeats, python: python)
                }
                rows.append(Row(target: target, threads: count, ours: best, pillow: pillow))
            }
        }
        return rows
    }

    /// Runs `python3 evals/images/bench_decode.py FOLDER --json --reduced-size` with the same
    /// target and threads (Pillow's `draft` is its reduced-size decoding).
    static func measurePillow(script: URL, folder: URL, target: Int, threads: Int, repeats: Int = 3,
                                     python: String = "python3") throws -> PillowResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path, folder.path, "--target", "\(target)", "--threads", "\(threads)",
                             "--reduced-size", "--repeats", "\(repeats)", "--json"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw Failure(path: script.path, problem: "cannot run \(python) (\(error.localizedDescription))")
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(path: script.path, problem: "exited with status \(process.terminationStatus): "
                          + String(decoding: stderr.suffix(500), as: UTF8.self))
        }
        let lastLine = String(decoding: stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        do { return try JSONDecoder().decode(PillowResult.self, from: Data(lastLine.utf8)) } catch {
            throw Failure(path: script.path, problem: "unexpected output '\(lastLine)'")
        }
    }

    /// A plain-text table: target, threads, ours and Pillow in images/s, and the ratio.
    static func table(_ rows: [Row]) -> String {
        var lines = ["target  threads   ours img/s  Pillow img/s   ratio"]
        for row in rows {
            let pillow = row.pillow.map { String(format: "%12.1f", $0.imagesPerSecond) } ?? String(repeating: " ", count: 11) + "-"
            let ratio = row.ratio.map { String(format: "%7.2fx", $0) } ?? "      -"
            lines.append(String(format: "%3dx%-3d %7d %12.1f ", row.target, row.target, row.threads, row.ours.imagesPerSecond)
                         + pillow + " " + ratio)
        }
        return lines.joined(separator: "\n")
    }
}
