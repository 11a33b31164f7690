import Foundation
import SigLIPBase
import SigLIPCore

/// Reads and writes a model as a Hugging Face SigLIP directory: `config.json` (Hugging Face's `SiglipConfig`
/// form) and `model.safetensors` (Hugging Face tensor names and layouts, Float32). Our tensor
/// names ARE the Hugging Face names (see the towers), so no renaming table is needed and no
/// transposes are done. Also reads big_vision's `.npz` checkpoints (`BigVisionCheckpoint`).
public enum Checkpoint {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    /// The extension of big_vision checkpoints.
    public static let bigVisionExtension = "npz"

    /// Tensors Hugging Face checkpoints may carry that are not parameters (buffers).
    static let ignorableTensors: Set<String> = [
        "vision_model.embeddings.position_ids", "text_model.embeddings.position_ids",
    ]

    /// Builds the model a checkpoint describes and loads its weights: a Hugging Face SigLIP
    /// directory (`config.json` + `model.safetensors`) or a big_vision `.npz` file (its
    /// configuration inferred from the array shapes, see `BigVisionCheckpoint.inferConfig`).
    ///
    /// `imageSize` nil keeps the checkpoint's image size; another size (a multiple of the patch
    /// size) resamples the image position embedding to the new patch grid as big_vision does
    /// (`PositionEmbeddingResampling`), so that a 224-px checkpoint runs at 256 or 384 px.
    public static func load(from url: URL, imageSize: Int? = nil) throws -> SigLIPModel {
        if isBigVision(url) { return try BigVisionCheckpoint.load(from: url, imageSize: imageSize) }
        var config = try SigLIPConfig.read(from: url.appendingPathComponent(configFile))
        let stored = config.imageTower
        if let imageSize { config.imageTower.imageSize = imageSize }
        let model = try SigLIPModel(config: config)
        let positions = model.parameters.specs.first { $0.offset == model.imageTower.positionEmbedding.table.offset }!
        let resampling = config.imageTower.imageSize == stored.imageSize ? nil
            : GridResampling(tensor: positions.name, from: stored.imageSize / stored.patchSize,
                             to: config.imageTower.imageSize / config.imageTower.patchSize)
        try loadWeights(into: model.parameters, from: url.appendingPathComponent(weightsFile), resampling: resampling)
        return model
    }

    /// The configuration a checkpoint describes, without reading its weights (a big_vision file's
    /// is inferred from its array headers).
    public static func configuration(at url: URL) throws -> SigLIPConfig {
        if isBigVision(url) { return try BigVisionCheckpoint.inferConfig(from: url) }
        return try SigLIPConfig.read(from: url.appendingPathComponent(configFile))
    }

    /// True when `url` names a big_vision checkpoint (a `.npz` file) rather than a directory.
    public static func isBigVision(_ url: URL) -> Bool {
        url.pathExtension.lowercased() == bigVisionExtension
    }

    /// A position embedding stored for one square patch grid, loaded into a model of another.
    struct GridResampling {
        /// The tensor's name.
        let tensor: String
        /// The grid sides: the file's and the model's.
        let from: Int
        let to: Int
    }

    /// Fills `store` from a safetensors file, requiring every parameter with its exact shape
    /// and refusing tensors the model does not have.
    public static func loadWeights(into store: ParameterStore, from url: URL) throws {
        try loadWeights(into: store, from: url, resampling: nil)
    }

    /// `loadWeights(into:from:)`, with `resampling`'s tensor stored as [from², D] and resampled
    /// to the model's [to², D].
    static func loadWeights(into store: ParameterStore, from url: URL, resampling: GridResampling?) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        var expected = Set(store.specs.map(\.name))
        for name in file.names where !ignorableTensors.contains(name) {
            guard let spec = store.spec(named: name) else {
                throw SigLIPError(path: url.path, problem: "tensor '\(name)' is not a parameter of this model configuration")
            }
            let info = try file.info(name)
            let resample = resampling.flatMap { $0.tensor == name ? $0 : nil }
            let storedShape = resample.map { [$0.from * $0.from, spec.shape[1]] } ?? spec.shape
            guard info.shape == storedShape else {
                throw SigLIPError(path: url.path, problem: "tensor '\(name)' has shape \(info.shape), the configuration needs \(storedShape)")
            }
            guard info.dtype.isFloatingPoint else {
                throw SigLIPError(path: url.path, problem: "tensor '\(name)' has dtype \(info.dtype.rawValue), expected a float type")
            }
            if let resample {
                let table = PositionEmbeddingResampling.resample(try file.floats(name), width: spec.shape[1], from: resample.from, to: resample.to)
                (store.values.data + spec.offset).update(from: table, count: spec.count)
            } else {
                try file.copyFloats(name, into: store.values.data + spec.offset, count: spec.count)
            }
            expected.remove(name)
        }
        if let missing = expected.sorted().first {
            throw SigLIPError(path: url.path, problem: "missing tensor '\(missing)'" + (expected.count > 1 ? " and \(expected.count - 1) more" : ""))
        }
    }

    /// Writes `config.json` and `model.safetensors` into `directory` (created if needed), each
    /// atomically.
    public static func save(_ model: SigLIPModel, to directory: URL, metadata: [String: String] = [:]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try writeWeights(model.parameters, to: directory.appendingPathComponent(weightsFile), metadata: metadata)
        try AtomicFile.write(try model.config.jsonData(), to: directory.appendingPathComponent(configFile))
    }

    /// Writes every parameter under its name, as F32, with `{"format": "pt"}` metadata so that
    /// `transformers` accepts the file.
    public static func writeWeights(_ store: ParameterStore, to url: URL, metadata: [String: String] = [:]) throws {
        var writer = SafeTensorsWriter()
        writer.metadata = metadata.merging(["format": "pt"]) { a, _ in a }
        for spec in store.specs {
            writer.add(spec.name, shape: spec.shape,
                       floats: UnsafeBufferPointer(start: store.values.data + spec.offset, count: spec.count))
        }
        try writer.write(to: url)
    }
}
