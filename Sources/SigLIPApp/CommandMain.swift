import ArgumentParser
import Foundation
import SigLIPBase
#if canImport(Glibc)
import Glibc
#endif

extension ParsableCommand {
    /// Parses the command line and runs the command so that every failure — a bad flag value, a
    /// validation error, an error thrown by the run — ends in exactly one line on standard
    /// error, "<command>: error: <problem>", and exit status 1 (DESIGN.md §7). `--help` and
    /// `--version` print as usual and exit 0.
    public static func mainWithOneLineErrors() {
        // A file-size limit (`ulimit -f`) makes writes fail with EFBIG, reported like a full disk,
        // instead of killing the process with SIGXFSZ.
        signal(SIGXFSZ, SIG_IGN)
        let name = configuration.commandName ?? "command"
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            if let code = error as? ExitCode, code != .success {
                // The command has already reported its error (one line) before exiting.
                Glibc.exit(1)
            }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let trimmed = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            writeStandardError("\(name): error: \(trimmed)\n")
            Glibc.exit(1)
        }
    }
}

/// "1, 2,3" → [1, 2, 3]; nil when the text is empty or any entry is not a whole number (a list
/// flag such as `--eval-rounds` or `--rounds` is never silently shortened).
public func parseIntegerList(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, !parts.contains(nil) else { return nil }
    return parts.compactMap { $0 }
}
