import Foundation
import SigLIPBase
import SigLIPImage

/// The image preprocessing a Hugging Face checkpoint directory declares: `processor_config.json`
/// (its "image_processor" entry; transformers ≥ 5) or `preprocessor_config.json` (earlier
/// versions). The released SigLIP processors resize bicubic to the model's size, rescale by
/// 1/255 and normalise with mean and std 0.5 — together `x · 2/255 − 1`, which is what our
/// images always get; only the resize filter varies, and anything we would not reproduce is
/// refused rather than silently ignored. A directory without either file (ours) resizes
/// bilinear, as training does.
public struct ImageProcessorConfig: Equatable, Sendable {
    public static let files = ["processor_config.json", "preprocessor_config.json"]

    public var resizeFilter: ResizeFilter

    /// Training's preprocessing: bilinear.
    public static let training = ImageProcessorConfig(resizeFilter: .bilinear)

    public init(resizeFilter: ResizeFilter) { self.resizeFilter = resizeFilter }

    /// Reads the directory's processor file, if any.
    public static func read(directory: URL) throws -> ImageProcessorConfig {
        for name in files {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let data = try RegularFile.contents(of: url, limit: RegularFile.Limit.json)
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw SigLIPError(path: url.path, problem: "is not a JSON object", kind: .corrupt)
            }
            return try parse(object["image_processor"] as? [String: Any] ?? object, file: url.path)
        }
        return .training
    }

    /// PIL's resample codes that we reproduce exactly (Pillow's definitions): 2 bilinear, 3 bicubic.
    static func parse(_ entries: [String: Any], file: String) throws -> ImageProcessorConfig {
        func number(_ key: String) -> Double? { (entries[key] as? NSNumber)?.doubleValue }
        func refuse(_ problem: String) -> SigLIPError { SigLIPError(path: file, problem: problem) }
        let filter: ResizeFilter
        switch number("resample").map(Int.init) ?? 2 {
        case 2: filter = .bilinear
        case 3: filter = .bicubic
        case let code: throw refuse("resample \(code) is not supported (2 bilinear and 3 bicubic are)")
        }
        if entries["do_rescale"] as? Bool ?? true, let factor = number("rescale_factor"), abs(factor - 1 / 255) > 1e-9 {
            throw refuse("rescale_factor \(factor) is not 1/255")
        }
        if entries["do_normalize"] as? Bool ?? true {
            for key in ["image_mean", "image_std"] {
                if let values = entries[key] as? [NSNumber], values.contains(where: { abs($0.doubleValue - 0.5) > 1e-9 }) {
                    throw refuse("\(key) \(values) is not 0.5 for every channel, the SigLIP normalisation")
                }
            }
        }
        if entries["do_center_crop"] as? Bool == true { throw refuse("center cropping is not supported (SigLIP resizes the whole image)") }
        return ImageProcessorConfig(resizeFilter: filter)
    }
}
