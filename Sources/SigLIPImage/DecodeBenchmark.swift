import Dispatch
import Foundation
import SigLIPBase

/// Throughput of decode (+ preprocess) over a set of files, measured from memory.
public struct DecodeBenchmarkResult: Sendable, CustomStringConvertible {
    /// Images decoded successfully.
    public var images: Int
    /// Files that threw an `SigLIPError` (not counted in `images`).
    public var failures: Int
    /// Wall-clock seconds for the timed pass.
    public var seconds: Double
    /// Pixels of the decoded images (after any DCT scaling), in millions.
    public var megapixels: Double

    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
    public var megapixelsPerSecond: Double { seconds > 0 ? megapixels / seconds : 0 }
    public var description: String {
        String(format: "%d images (%d failed) in %.3f s: %.1f images/s, %.1f Mpx/s",
               images, failures, seconds, imagesPerSecond, megapixelsPerSecond)
    }
}

/// Decodes every file (already read into memory, so disk speed is excluded) on `threads`
/// threads and, when `preprocess`, resizes it to `target` × `target` floats in [-1, 1].
/// With `reducedSize`, JPEGs may be decoded at 1/2, 1/4 or 1/8 scale (never below `target`).
/// Files that cannot be read count as failures. Returns the timed pass's throughput.
public func benchmarkDecode(files: [URL], target: Int, threads: Int, preprocess: Bool = true,
                            reducedSize: Bool = true) -> DecodeBenchmarkResult {
    let contents = files.map { try? Data(contentsOf: $0) }
    let recipe = Preprocess(size: max(target, 1))
    let workers = max(1, min(threads, max(files.count, 1)))
    let perWorker = UnsafeMutableBufferPointer<(images: Int, failures: Int, pixels: Int)>.allocate(capacity: workers)
    defer { perWorker.deallocate() }
    perWorker.initialize(repeating: (0, 0, 0))
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        var tally = (images: 0, failures: 0, pixels: 0)
        var output = [Float](repeating: 0, count: recipe.outputCount)
        for index in stride(from: worker, to: contents.count, by: workers) {
            guard let data = contents[index],
                  let image = try? ImageDecoder.decode(data: data, name: files[index].path,
                                                       minimumSize: reducedSize ? recipe.minimumDecodeSize : nil)
            else {
                tally.failures += 1
                continue
            }
            if preprocess {
                output.withUnsafeMutableBufferPointer { recipe.apply(image, flip: index % 2 == 1, into: $0.baseAddress!) }
            }
            tally.images += 1
            tally.pixels += image.width * image.height
        }
        perWorker[worker] = tally
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let total = perWorker.reduce((images: 0, failures: 0, pixels: 0)) {
        ($0.images + $1.images, $0.failures + $1.failures, $0.pixels + $1.pixels)
    }
    return DecodeBenchmarkResult(images: total.images, failures: total.failures, seconds: seconds,
                                 megapixels: Double(total.pixels) / 1e6)
}
