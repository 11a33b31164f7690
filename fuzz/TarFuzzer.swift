// libFuzzer entry point for the tar index (compiled with Sources/SigLIPData/TarIndex.swift and
// ReadOnlyFile.swift by fuzz/run.sh). Every input must list its members or throw SigLIPError;
// every member listed must lie inside the file.
import Foundation

let tarPath = "/dev/shm/siglip-fuzz-\(getpid()).tar"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: tarPath, contents: Data(bytes: data, count: size))
    do {
        let file = try ReadOnlyFile(path: tarPath)
        for member in try TarIndex.members(of: file) {
            precondition(member.offset >= 0 && member.size >= 0 && member.size <= size - member.offset, "member outside the file")
        }
    } catch is SigLIPError {
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
