import Foundation
import SigLIPBase
import SigLIPCore

/// Reads and writes a model as a Hugging Face SigLIP directory: `config.json` (Hugging Face's `SiglipConfig`
/// form) and `model.safetensors` (Hugging Face tensor names and layouts, Float32). Our tensor
/// names ARE the Hugging Face names (see the towers), so no renaming table is needed and no
/// transposes are done.
public enum Checkpoint {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"

    /// Tensors Hugging Face checkpoints may carry that are not parameters (buffers).
    static let ignorableTensors: Set<String> = [
        "vision_model.embeddings.position_ids", "text_model.embeddings.position_ids",
    ]

    /// Builds the model described by `directory/config.json` and loads its weights.
    public static func load(from directory: URL) throws -> SigLIPModel {
        let config = try SigLIPConfig.read(from: directory.appendingPathComponent(configFile))
        let model = try SigLIPModel(config: config)
        try loadWeights(into: model.parameters, from: directory.appendingPathComponent(weightsFile))
        return model
    }

    /// Fills `store` from a safetensors file, requiring every parameter with its exact shape
    /// and refusing tensors the model does not have.
    public static func loadWeights(into store: ParameterStore, from url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        var expected = Set(store.specs.map(\.name))
        for name in file.names where !ignorableTensors.contains(name) {
            guard let spec = store.spec(named: name) else {
                throw SigLIPError(path: url.path, problem: "tensor '\(name)' is not a parameter of this model configuration")
            }
            let info = try file.info(name)
            guard info.shape == spec.shape else {
                throw SigLIPError(path: url.path, problem: "tensor '\(name)' has shape \(info.shape), the configuration needs \(spec.shape)")
            }
            guard info.dtype.isFloatingPoint else {
                throw SigLIPError(path: url.path, problem: "tensor '\(name)' has dtype \(info.dtype.rawValue), expected a float type")
            }
            try file.copyFloats(name, into: store.values.data + spec.offset, count: spec.count)
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
