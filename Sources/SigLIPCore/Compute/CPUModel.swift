import Foundation

/// The CPU this process runs on, as `/proc/cpuinfo` names it: what every speed figure is
/// reported beside, and what a measured GEMM routing table (`GEMMRoutingTable`) belongs to.
public enum CPUModel {
    /// "model name (family F, model M)", e.g. "AMD EPYC (family 25, model 1)"; "unknown CPU"
    /// where /proc/cpuinfo cannot be read.
    public static let name: String = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        return describe(cpuinfo: info)
    }()

    /// The name as above from the text of a /proc/cpuinfo (its first processor's fields).
    static func describe(cpuinfo info: String) -> String {
        func field(_ key: String) -> String? {
            info.split(separator: "\n").first { $0.hasPrefix(key) }?.split(separator: ":", maxSplits: 1).last
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return "\(field("model name") ?? "unknown") (family \(field("cpu family") ?? "?"), model \(field("model\t") ?? "?"))"
    }
}
