import Foundation
import SigLIPCore

/// Parameter counts of a model: per tower, the recursion adapters, and the total.
public struct ParameterReport: Sendable, CustomStringConvertible {
    public let imageTower: Int
    public let textTower: Int
    /// Adapters of both towers (included in the tower counts).
    public let adapters: Int
    public let total: Int
    /// The parameters training updates (fewer than `total` when a tower is locked).
    public let trainable: Int

    public init(_ store: ParameterStore) {
        func count(_ keep: (ParameterSpec) -> Bool) -> Int { store.specs.filter(keep).reduce(0) { $0 + $1.count } }
        imageTower = count { $0.name.hasPrefix("vision_model.") }
        textTower = count { $0.name.hasPrefix("text_model.") }
        adapters = count { $0.role == .adapter }
        total = store.count
        trainable = store.trainableCount
    }

    /// Adapters as a fraction of the image tower.
    public var adapterShare: Double { Double(adapters) / Double(max(imageTower, 1)) }

    public var description: String {
        "parameters: image tower \(grouped(imageTower)), text tower \(grouped(textTower)), total \(grouped(total))"
            + (adapters > 0 ? String(format: "; adapters %@ (%.2f%% of the image tower)", grouped(adapters), 100 * adapterShare) : "")
            + (trainable < total ? "; trainable \(grouped(trainable)) (the rest locked)" : "")
    }
}

/// 1234567 → "1,234,567".
func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0) ? [",", d] : [d] })
}
