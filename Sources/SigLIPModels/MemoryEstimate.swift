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
    /// The zero-shot evaluation during training, beside the step's memory (the trainer keeps
    /// its arena): `evaluationBytes(_:images:texts:)`. 0 without one.
    public var evaluationBytes: Int

    public init(parameterBytes: Int, optimizerBytes: Int, activationBytes: Int, evaluationBytes: Int = 0) {
        (self.parameterBytes, self.optimizerBytes, self.activationBytes) = (parameterBytes, optimizerBytes, activationBytes)
        self.evaluationBytes = evaluationBytes
    }

    public var totalBytes: Int { parameterBytes + optimizerBytes + activationBytes + evaluationBytes }

    /// One training step of batch `batch` at the configured training rounds; with
    /// `microBatches` > 1, one micro-batch's activations plus the whole batch's embeddings,
    /// their gradients and one block of logits. `evaluation`: the batches of a zero-shot
    /// evaluation run between steps, if any.
    public static func training(_ config: SigLIPConfig, batch: Int, microBatches: Int = 1,
                                evaluation: (images: Int, texts: Int)? = nil) -> MemoryEstimate {
        var estimate = model(parameterCount: parameterCount(config))
        estimate.optimizerBytes = estimate.parameterBytes   // two moments per parameter, as weights + gradients
        var activations = activationFloats(config, batch: batch / max(microBatches, 1))
        if microBatches > 1 {
            let b = Double(batch), n = b / Double(microBatches)
            activations += 4 * b * Double(config.imageTower.width) + 3 * n * n
        }
        estimate.activationBytes = bytes(activations)
        if let evaluation { estimate.evaluationBytes = evaluationBytes(config, images: evaluation.images, texts: evaluation.texts) }
        return estimate
    }

    /// A zero-shot evaluation's memory (`SigLIPModel.makeInferenceContext`): the weights kept
    /// packed for our GEMM driver (`PackedWeights`: one float per weight, bounded here by the
    /// parameter count, which also counts the embeddings that are never packed), the image
    /// batch's pixels, and the arena's high-water mark over a pass of `images` images or of
    /// `texts` texts through its tower, whichever is larger. Inference keeps no block's
    /// activations for the next, so a pass holds one block application's (`towerFloats` with one
    /// application) beside the tower's input and output.
    public static func evaluationBytes(_ config: SigLIPConfig, images: Int, texts: Int) -> Int {
        let v = config.imageTower, x = config.textTower
        let pixels = Double(images * v.imageSize * v.imageSize * v.channels)
        let image = towerFloats(batch: images, width: v.width, mlp: v.mlpWidth, heads: v.heads, tokens: v.tokens, applications: 1)
            + 2 * pixels
        let text = towerFloats(batch: texts, width: x.width, mlp: x.mlpWidth, heads: x.heads, tokens: x.length, applications: 1)
        return bytes(Double(parameterCount(config)) + max(image, text))
    }

    /// A model's weights and their gradients alone (what `SigLIPModel` allocates).
    public static func model(parameterCount: Int) -> MemoryEstimate {
        MemoryEstimate(parameterBytes: bytes(Double(parameterCount) * 2), optimizerBytes: 0, activationBytes: 0)
    }

    /// The parameters of the model `config` describes (the layout, without allocating it).
    public static func parameterCount(_ config: SigLIPConfig) -> Int {
        let layout = ParameterLayout()
        _ = ImageTower(layout, config: config.imageTower)
        _ = TextTower(layout, config: config.textTower)
        _ = SigmoidLoss(layout)
        return layout.totalCount
    }

    /// A training step's kept activations at the configured training rounds.
    static func activationFloats(_ config: SigLIPConfig, batch: Int) -> Double {
        let b = Double(batch)
        func applications(depth: Int, recursion: RecursionConfig) -> Double {
            recursion.blockApplications(depth: depth, rounds: Double(recursion.rounds))
        }
        let v = config.imageTower, x = config.textTower
        let image = towerFloats(batch: batch, width: v.width, mlp: v.mlpWidth, heads: v.heads, tokens: v.tokens,
                                applications: applications(depth: v.depth, recursion: v.recursion))
            + 3 * b * Double(v.imageSize * v.imageSize * v.channels)
        let text = towerFloats(batch: batch, width: x.width, mlp: x.mlpWidth, heads: x.heads, tokens: x.length,
                               applications: applications(depth: x.depth, recursion: x.recursion))
        return image + text + 4 * b * b
    }

    /// A tower's activations over `applications` block applications on `batch` sequences of
    /// `tokens` (T = batch·tokens) of width D, MLP width M, H heads: 14·T·D + 3·T·M + 3·batch·H·N²
    /// floats per application, and 4·T·D for the tower's input and output.
    static func towerFloats(batch: Int, width: Int, mlp: Int, heads: Int, tokens: Int, applications: Double) -> Double {
        let b = Double(batch), t = b * Double(tokens), d = Double(width), n = Double(tokens)
        return applications * (14 * t * d + 3 * t * Double(mlp) + 3 * b * Double(heads) * n * n) + 4 * t * d
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
            + "activations \(Self.gib(activationBytes))" + (evaluationBytes > 0 ? ", evaluation \(Self.gib(evaluationBytes))" : "")
    }

    static func gib(_ bytes: Int) -> String { String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }
}
