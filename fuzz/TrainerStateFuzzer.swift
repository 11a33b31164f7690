// libFuzzer entry point for trainer_state.json (compiled with Sources/SigLIPTraining/Run/
// TrainerState.swift by fuzz/run.sh): decoding with the run's JSON rules (NaN as "nan") and the
// consistency check. Every input must be accepted or refused; an accepted state must be usable.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard var state = try? RunJSON.decoder().decode(TrainerState.self, from: Data(bytes: data, count: size)) else { return 0 }
    do {
        try state.check(batchSize: 8, maxSteps: 1_000_000_000, maxRounds: 64, file: "trainer_state.json")
        _ = state.generator.next()     // a decoded generator is never stuck or short
        _ = try RunJSON.encoder(pretty: true).encode(state)
    } catch is SigLIPError {
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
