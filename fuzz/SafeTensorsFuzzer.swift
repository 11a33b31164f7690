// libFuzzer entry point for the safetensors reader (compiled with Sources/SigLIPCore/IO by
// fuzz/run.sh): the 8-byte length, the strict JSON header and every tensor's bytes. Every input
// must open or throw SigLIPError; every tensor of a file that opens must read.
import Foundation

let safetensorsPath = "/dev/shm/siglip-fuzz-\(getpid()).safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: safetensorsPath, contents: Data(bytes: data, count: size))
    do {
        let file = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: safetensorsPath))
        for name in file.names {
            let info = try file.info(name)
            if info.dtype.isFloatingPoint { _ = try file.floats(name) } else { _ = try file.int64s(name) }
        }
    } catch is SigLIPError {
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
