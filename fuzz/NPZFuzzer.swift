// libFuzzer entry point for the big_vision .npz reader (compiled by fuzz/run.sh with
// Sources/SigLIPCore/IO/NPZ.swift and NPY.swift, the safetensors sources they borrow from, and
// ZIPFoundation's sources, all one module): our zip layout checks, ZIPFoundation's directory,
// stored and deflated members, and every member's .npy header. Every input must open or throw
// SigLIPError; every array of a file that opens must read its floats or throw SigLIPError, and
// read the same way (same outcome, same bits) in chunks of 1 to 251 bytes as in 1 MiB chunks.
import Foundation

let npzPath = "/dev/shm/siglip-fuzz-\(getpid()).npz"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: npzPath, contents: Data(bytes: data, count: size))
    do {
        let file = try NPZFile(contentsOf: URL(fileURLWithPath: npzPath))
        for name in file.names {
            let header = try file.header(name)
            let whole: [Float]?
            do { whole = try file.floats(name) } catch is SigLIPError { whole = nil }
            // Again in tiny chunks, so that the .npy header and elements straddle reads.
            file.chunkSize = 1 + size % 251
            defer { file.chunkSize = 1 << 20 }
            let count = header.elementCount
            let pieces = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            defer { pieces.deallocate() }
            pieces.initialize(repeating: .nan, count: max(count, 1))
            let piecewise: [Float]?
            do {
                try file.copyFloats(name, into: pieces, count: count)
                piecewise = Array(UnsafeBufferPointer(start: pieces, count: count))
            } catch is SigLIPError { piecewise = nil }
            precondition((whole == nil) == (piecewise == nil), "'\(name)' reads in one chunk size and fails in another")
            if let whole, let piecewise {
                precondition(whole.map(\.bitPattern) == piecewise.map(\.bitPattern), "'\(name)' reads differently in small chunks")
            }
        }
    } catch is SigLIPError {
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
