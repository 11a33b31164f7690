import Foundation

/// The repository this test build came from, and the real command-line binaries that
/// `swift test` builds next to the test bundle.
public enum Commands {
    /// The repository root (this file is Tests/SigLIPTestSupport/Commands.swift).
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding the built products (siglip-train, siglip-eval, siglip-bench).
    public static let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The environment every command under test runs with: this process's, without a machine's
    /// GEMM routing table (a user's ~/.cache/siglip/gemm-routing.json would choose code paths
    /// by machine, and a bad one would add a warning to standard error).
    public static let environment: [String: String] = ProcessInfo.processInfo.environment.merging(["SIGLIP_GEMM_ROUTING": "off"]) { $1 }

    /// Runs a built command with `arguments` in the repository root, to its end.
    public static func run(_ command: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = products.appendingPathComponent(command)
        process.arguments = arguments
        process.currentDirectoryURL = repository
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

extension Commands {
    /// How a confined run ended.
    public struct Confined: Sendable, CustomStringConvertible {
        public let status: Int32
        /// True when the process ended by a signal (a trap, an abort, a kill): never acceptable.
        public let signalled: Bool
        /// True when it ran past the time limit and was killed (a hang).
        public let timedOut: Bool
        public let stdout: String
        public let stderr: String

        /// The non-empty lines of standard error.
        public var errorLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: true) }

        public var description: String {
            "status \(status)\(signalled ? " (signal)" : "")\(timedOut ? " (timed out)" : ""); stderr: \(stderr.prefix(600))"
        }
    }

    /// Runs a built command in the repository root under an address-space cap (`ulimit -v`) and
    /// a wall-clock limit, with `shellSetup` (e.g. `ulimit -f 64`) run first in the same shell.
    /// Output goes to files, so a chatty process cannot block on a full pipe.
    /// `launcher` (e.g. mpirun and its flags) starts the command when given.
    public static func runConfined(_ command: String, _ arguments: [String], memoryMiB: Int = 4096, seconds: Double = 60,
                                   shellSetup: String = "", launcher: [String] = []) throws -> Confined {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("confined-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out"), err = folder.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let program = products.appendingPathComponent(command).path
        process.arguments = ["-c", "ulimit -v \(memoryMiB * 1024); \(shellSetup)\nexec \"$0\" \"$@\"",
                             launcher.first ?? program] + launcher.dropFirst() + (launcher.isEmpty ? [] : [program]) + arguments
        process.currentDirectoryURL = repository
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        let timedOut = done.wait(timeout: .now() + seconds) == .timedOut
        if timedOut {   // kill -9: no handler runs, as when a machine dies
            kill(process.processIdentifier, SIGKILL)
            done.wait()
        }
        return Confined(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                        timedOut: timedOut, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}

extension Commands {
    /// mpirun and its flags for `ranks` processes on this machine: more ranks than cores
    /// allowed, and root allowed (CI runs as root).
    public static func mpirun(_ ranks: Int) -> [String] {
        ["mpirun", "-np", "\(ranks)", "--oversubscribe"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
    }

    /// Whether Open MPI's launcher is installed (README's install line puts it there).
    public static var hasMPI: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/mpirun") }
    }

    /// Runs a built command under `mpirun -np ranks` (no address-space cap: Open MPI maps large
    /// shared-memory regions).
    public static func runMPI(_ ranks: Int, _ command: String, _ arguments: [String], seconds: Double = 120) throws -> Confined {
        try runConfined(command, arguments, memoryMiB: 1 << 20, seconds: seconds, launcher: mpirun(ranks))
    }
}
