import Foundation

/// The CPU this process runs on, as `/proc/cpuinfo` names it: what every speed figure is
/// reported beside, and what a measured GEMM routing table (`GEMMRoutingTable`) belongs to.
public enum CPUModel {
    /// "model name (family F, model M)", e.g. "AMD EPYC (family 25, model 1)"; "unknown CPU"
    /// where /proc/cpuinfo cannot be read.
    public static let name: String = cpuinfo.map(describe(cpuinfo:)) ?? "unknown CPU"

    /// Whether the CPU is an AMD one (`vendor_id` AuthenticAMD): the built-in GEMM routing rule
    /// differs by vendor at AVX-512, where a Xeon and a Zen 4 were measured apart
    /// (`GEMMBackend.builtInRule`).
    public static let isAMD: Bool = cpuinfo.flatMap(vendor(cpuinfo:)) == "AuthenticAMD"

    /// The text of /proc/cpuinfo, read once for both; nil where it cannot be read.
    private static let cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)

    /// The name as above from the text of a /proc/cpuinfo (its first processor's fields).
    static func describe(cpuinfo info: String) -> String {
        "\(field("model name", in: info) ?? "unknown") (family \(field("cpu family", in: info) ?? "?"), model \(field("model\t", in: info) ?? "?"))"
    }

    /// The `vendor_id` of a /proc/cpuinfo's text, e.g. "GenuineIntel" or "AuthenticAMD".
    static func vendor(cpuinfo info: String) -> String? { field("vendor_id", in: info) }

    /// The value of the first line of `info` starting with `key`.
    private static func field(_ key: String, in info: String) -> String? {
        info.split(separator: "\n").first { $0.hasPrefix(key) }?.split(separator: ":", maxSplits: 1).last
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
