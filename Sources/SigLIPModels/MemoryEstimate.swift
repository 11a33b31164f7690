import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPLayers
#if canImport(Glibc)
import Glibc
#endif

/// The memory a model needs, estimated from its configuration before anything is allocated,
/// so that a configuration (or batch size) that cannot fit is refused with the estimate
/// instead of ending in an allocation failure (DESIGN.md §7).
///
/// The activation term is an upper bound of what the arena holds at its high-water mark in a
/// training step (a test holds it to between 1× and 3× the measured mark): per block
/// application on T = B·N tokens of width D with MLP width M and H heads,
/// 14·T·D + 3·T·M + 3·B·H·N² floats, plus the pixels and the loss's B×B matrices.
public struct MemoryEstimate: Sendable, CustomStringConvertible {
    /// Weights and their gradients.
    public var parameterBytes: Int
    /// AdamW's two moments (training only).
    public var optimizerBytes: Int
    /// The activations of one step (training keeps them for the backward pass).
    public var activationBytes: Int

    public init(parameterBytes: Int, optimizerBytes: Int, activationBytes: Int) {
        (self.parameterBytes, self.optimizerBytes, self.activationBytes) = (parameterBytes, optimizerBytes, activationBytes)
    }

    public var totalBytes: Int { parameterBytes + optimizerBytes + activationBytes }

    /// One training step of batch `batch` at the configured training rounds; with
    /// `microBatches` > 1, one micro-batch's activations plus the whole batch's embeddings,
    /// their gradients and one block of logits.
    public static func training(_ config: SigLIPConfig, batch: Int, microBatches: Int = 1) -> MemoryEstimate {
        let p = Double(parameterCount(config))
        var activations = activationFloats(config, batch: batch / max(microBatches, 1), rounds: nil)
        if microBatches > 1 {
            let b = Double(batch), n = b / Double(microBatches)
            activations += 4 * b * Double(config.imageTower.width) + 3 * n * n
        }
        return MemoryEstimate(parameterBytes: bytes(p * 2), optimizerBytes: bytes(p * 2), activationBytes: bytes(activations))
    }

    /// Encoding `batch` images and texts at `rounds` rounds (nil: as configured), no gradients.
    public static func inference(_ config: SigLIPConfig, batch: Int, rounds: Int? = nil) -> MemoryEstimate {
        let p = Double(parameterCount(config))
        // Without kept activations only a few blocks' worth is live at once: bound it by two.
        let perBlock = activationFloats(config, batch: batch, rounds: 1, blocks: 2)
        return MemoryEstimate(parameterBytes: bytes(p * 2), optimizerBytes: 0, activationBytes: bytes(perBlock))
    }

    /// The parameters of the model `config` describes (the layout, without allocating it).
    public static func parameterCount(_ config: SigLIPConfig) -> Int {
        let layout = ParameterLayout()
        _ = ImageTower(layout, config: config.imageTower)
        _ = TextTower(layout, config: config.textTower)
        _ = SigmoidLoss(layout)
        return layout.totalCount
    }

    static func activationFloats(_ config: SigLIPConfig, batch: Int, rounds: Int?, blocks: Double? = nil) -> Double {
        let b = Double(batch)
        func tower(width: Int, mlp: Int, heads: Int, tokens: Int, depth: Int, recursion: RecursionConfig) -> Double {
            let t = b * Double(tokens), d = Double(width), n = Double(tokens)
            let applications = blocks ?? recursion.blockApplications(depth: depth, rounds: Double(rounds ?? recursion.rounds))
            return applications * (14 * t * d + 3 * t * Double(mlp) + 3 * b * Double(heads) * n * n) + 4 * t * d
        }
        let v = config.imageTower, x = config.textTower
        let image = tower(width: v.width, mlp: v.mlpWidth, heads: v.heads, tokens: v.tokens, depth: v.depth, recursion: v.recursion)
            + 3 * b * Double(v.imageSize * v.imageSize * v.channels)
        let text = tower(width: x.width, mlp: x.mlpWidth, heads: x.heads, tokens: x.length, depth: x.depth, recursion: x.recursion)
        return image + text + 4 * b * b
    }

    static func bytes(_ floats: Double) -> Int { Int(min(floats * 4, 1e18)) }

    /// Memory this process may use: the smaller of physical memory and the address-space and
    /// data limits (`ulimit -v`, `ulimit -d`), less what it already maps.
    public static func available() -> Int {
        var limit = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var r = rlimit()
            if getrlimit(__rlimit_resource_t(resource.rawValue), &r) == 0, r.rlim_cur != rlim_t.max {
                limit = min(limit, Double(r.rlim_cur) - Double(mappedBytes()))
            }
        }
        return Int(max(0, min(limit, 1e18)))
    }

    /// The process's mapped address space (VmSize of /proc/self/status), 0 when unknown.
    static func mappedBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
              let kB = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kB * 1024
    }

    /// Throws a `SigLIPError` naming `what` (e.g. "--batch-size 4096") when the estimate is over
    /// what this process may use.
    public func check(_ what: String) throws {
        let available = MemoryEstimate.available()
        guard totalBytes <= available else {
            throw SigLIPError(path: what, problem: "needs about \(MemoryEstimate.gib(totalBytes)) (\(self)) but this process may use "
                              + "\(MemoryEstimate.gib(available)); use a smaller model or batch", kind: .outOfMemory)
        }
    }

    public var description: String {
        "parameters and gradients \(Self.gib(parameterBytes)), optimiser \(Self.gib(optimizerBytes)), "
            + "activations \(Self.gib(activationBytes))"
    }

    static func gib(_ bytes: Int) -> String { String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }
}
