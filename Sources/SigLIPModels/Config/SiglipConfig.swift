import Foundation

/// The image tower's configuration, in the form of Hugging Face's `SiglipVisionConfig`.
public struct VisionConfig: Codable, Equatable, Sendable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var numChannels = 3
    public var imageSize = 224
    public var patchSize = 16
    public var layerNormEps: Float = 1e-6
    public var hiddenAct = "gelu_pytorch_tanh"
    /// Recursion (RINS) of this tower; an extra field that Hugging Face tooling ignores.
    public var recursion = RecursionConfig()

    public init() {}

    /// A named preset ("B/16") at an image size.
    public init(preset: String, imageSize: Int) throws {
        let (variant, patch) = try ViTVariant.parse(preset)
        hiddenSize = variant.width
        intermediateSize = variant.mlpWidth
        numHiddenLayers = variant.depth
        numAttentionHeads = variant.heads
        patchSize = patch ?? 16
        self.imageSize = imageSize
    }

    /// Tokens per image: (image / patch)².
    public var tokens: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numChannels = "num_channels", imageSize = "image_size"
        case patchSize = "patch_size", layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act", modelType = "model_type"
        case recursion
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = VisionConfig()
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? d.numChannels
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        recursion = try c.decodeIfPresent(RecursionConfig.self, forKey: .recursion) ?? RecursionConfig()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numChannels, forKey: .numChannels)
        try c.encode(imageSize, forKey: .imageSize)
        try c.encode(patchSize, forKey: .patchSize)
        try c.encode(Double(layerNormEps), forKey: .layerNormEps)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode("siglip_vision_model", forKey: .modelType)
        if !recursion.isBaseline { try c.encode(recursion, forKey: .recursion) }
    }

    func validate() throws {
        guard hiddenSize > 0, intermediateSize > 0, numHiddenLayers > 0, numAttentionHeads > 0, numChannels > 0 else {
            throw ConfigError("vision_config: sizes must be positive")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigError("vision_config: hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        guard patchSize > 0, imageSize % patchSize == 0 else {
            throw ConfigError("vision_config: image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
        guard hiddenAct == "gelu_pytorch_tanh" || hiddenAct == "gelu_new" else {
            throw ConfigError("vision_config: hidden_act '\(hiddenAct)' is not supported (only the tanh GELU)")
        }
        try recursion.validate(depth: numHiddenLayers, tower: "vision_config")
    }
}

/// The text tower's configuration, in the form of Hugging Face's `SiglipTextConfig`.
public struct TextConfig: Codable, Equatable, Sendable {
    public var vocabSize = 32000
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var maxPositionEmbeddings = 64
    public var layerNormEps: Float = 1e-6
    public var hiddenAct = "gelu_pytorch_tanh"
    public var padTokenId = 1
    public var bosTokenId = 49406
    public var eosTokenId = 49407
    /// The width of the text embedding (`head` output); nil means `hiddenSize`.
    public var projectionSize: Int?
    /// Recursion (RINS) of this tower; an extra field that Hugging Face tooling ignores.
    public var recursion = RecursionConfig()
    /// Masks the padding after the first EOS out of attention and pools at that EOS, for
    /// training from scratch at small scale (SPEC.md); released models do not mask. An extra
    /// field (`mask_padding`) that Hugging Face tooling ignores; absent means false.
    public var maskPadding = false

    public init() {}

    /// A named preset ("B") for the text transformer, with vocabulary V and length L.
    public init(preset: String, vocabularySize: Int, length: Int) throws {
        let variant = try ViTVariant.parse(preset).variant
        hiddenSize = variant.width
        intermediateSize = variant.mlpWidth
        numHiddenLayers = variant.depth
        numAttentionHeads = variant.heads
        vocabSize = vocabularySize
        maxPositionEmbeddings = length
    }

    public var embeddingSize: Int { projectionSize ?? hiddenSize }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act"
        case padTokenId = "pad_token_id", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
        case projectionSize = "projection_size", modelType = "model_type", recursion, maskPadding = "mask_padding"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TextConfig()
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? d.padTokenId
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId) ?? d.bosTokenId
        eosTokenId = try c.decodeIfPresent(Int.self, forKey: .eosTokenId) ?? d.eosTokenId
        projectionSize = try c.decodeIfPresent(Int.self, forKey: .projectionSize)
        recursion = try c.decodeIfPresent(RecursionConfig.self, forKey: .recursion) ?? RecursionConfig()
        maskPadding = try c.decodeIfPresent(Bool.self, forKey: .maskPadding) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(Double(layerNormEps), forKey: .layerNormEps)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(padTokenId, forKey: .padTokenId)
        try c.encode(bosTokenId, forKey: .bosTokenId)
        try c.encode(eosTokenId, forKey: .eosTokenId)
        try c.encodeIfPresent(projectionSize, forKey: .projectionSize)   // absent: hidden_size, as in transformers
        try c.encode("siglip_text_model", forKey: .modelType)
        if !recursion.isBaseline { try c.encode(recursion, forKey: .recursion) }
        if maskPadding { try c.encode(true, forKey: .maskPadding) }
    }

    func validate() throws {
        guard vocabSize > 0, hiddenSize > 0, intermediateSize > 0, numHiddenLayers > 0, numAttentionHeads > 0,
              maxPositionEmbeddings > 0, embeddingSize > 0 else {
            throw ConfigError("text_config: sizes must be positive")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigError("text_config: hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        guard hiddenAct == "gelu_pytorch_tanh" || hiddenAct == "gelu_new" else {
            throw ConfigError("text_config: hidden_act '\(hiddenAct)' is not supported (only the tanh GELU)")
        }
        try recursion.validate(depth: numHiddenLayers, tower: "text_config")
    }
}

/// A two-tower SigLIP configuration, written as `config.json` in the form of Hugging Face's
/// `SiglipConfig` so that `transformers` loads our checkpoints and we load theirs.
public struct SiglipConfig: Codable, Equatable, Sendable {
    public var visionConfig = VisionConfig()
    public var textConfig = TextConfig()

    public init(vision: VisionConfig = VisionConfig(), text: TextConfig = TextConfig()) {
        visionConfig = vision
        textConfig = text
    }

    enum CodingKeys: String, CodingKey {
        case visionConfig = "vision_config", textConfig = "text_config", modelType = "model_type"
        case architectures, torchDtype = "torch_dtype"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        visionConfig = try c.decodeIfPresent(VisionConfig.self, forKey: .visionConfig) ?? VisionConfig()
        textConfig = try c.decodeIfPresent(TextConfig.self, forKey: .textConfig) ?? TextConfig()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(visionConfig, forKey: .visionConfig)
        try c.encode(textConfig, forKey: .textConfig)
        try c.encode("siglip", forKey: .modelType)
        try c.encode(["SiglipModel"], forKey: .architectures)
        try c.encode("float32", forKey: .torchDtype)
    }

    /// Checks that the configuration describes a model we can build.
    public func validate() throws {
        try visionConfig.validate()
        try textConfig.validate()
        guard textConfig.embeddingSize == visionConfig.hiddenSize else {
            throw ConfigError("text embedding size \(textConfig.embeddingSize) differs from the image embedding size \(visionConfig.hiddenSize)")
        }
    }

    public static func read(from url: URL) throws -> SiglipConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        do {
            let config = try JSONDecoder().decode(SiglipConfig.self, from: data)
            try config.validate()
            return config
        } catch let error as ConfigError {
            throw ConfigError("\(url.path): \(error.description)")
        } catch {
            throw ConfigError("\(url.path): not a SigLIP config.json (\(error))")
        }
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
