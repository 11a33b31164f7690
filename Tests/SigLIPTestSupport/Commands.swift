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

    /// Runs a built command with `arguments` in the repository root, to its end.
    public static func run(_ command: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = products.appendingPathComponent(command)
        process.arguments = arguments
        process.currentDirectoryURL = repository
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
