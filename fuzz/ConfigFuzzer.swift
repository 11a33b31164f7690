// libFuzzer entry point for config.json (compiled with Sources/SigLIPModels/Config and Recursion
// by fuzz/run.sh): decoding, validation, and the arithmetic a valid configuration feeds (tokens,
// recursion plans, FLOP-style products). Every input must decode and validate or throw.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let config = try? JSONDecoder().decode(SigLIPConfig.self, from: Data(bytes: data, count: size)),
          (try? config.validate()) != nil else { return 0 }
    let vision = config.imageTower, text = config.textTower
    precondition(vision.tokens >= 1 && vision.tokens <= ConfigLimits.positions, "tokens")
    for (tower, depth) in [(vision.recursion, vision.depth), (text.recursion, text.depth)] {
        for rounds in 1...3 { _ = tower.plan(depth: depth, rounds: rounds) }
        _ = tower.blockApplications(depth: depth, rounds: Double(tower.rounds))
    }
    _ = vision.width * vision.mlpWidth * vision.depth + text.vocabularySize * text.width
    _ = try? config.jsonData()
    return 0
}
