import Foundation
import SigLIPBase

/// The image tower's configuration, in the form of Hugging Face's `SiglipVisionConfig`.
public struct ImageTowerConfig: Codable, Equatable, Sendable {
    public var width = 768
    public var mlpWidth = 3072
    public var depth = 12
    public var heads = 12
    public var channels = 3
    public var imageSize = 224
    public var patchSize = 16
    public var layerNormEpsilon: Float = 1e-6
    public var activation = "gelu_pytorch_tanh"
    /// Recursion (RINS) of this tower; an extra field that Hugging Face tooling ignores.
    public var recursion = RecursionConfig()

    public init() {}

    /// A named preset ("B/16") at an image size.
    public init(preset: String, imageSize: Int) throws {
        let (variant, patch) = try ViTVariant.parse(preset)
        width = variant.width
        mlpWidth = variant.mlpWidth
        depth = variant.depth
        heads = variant.heads
        patchSize = patch ?? 16
        self.imageSize = imageSize
    }

    /// Tokens per image: (image / patch)².
    public var tokens: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    enum CodingKeys: String, CodingKey {
        case width = "hidden_size", mlpWidth = "intermediate_size", depth = "num_hidden_layers"
        case heads = "num_attention_heads", channels = "num_channels", imageSize = "image_size"
        case patchSize = "patch_size", layerNormEpsilon = "layer_norm_eps", activation = "hidden_act", modelType = "model_type"
        case recursion
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ImageTowerConfig()
        width = try c.decode(.width, or: d.width)
        mlpWidth = try c.decode(.mlpWidth, or: d.mlpWidth)
        depth = try c.decode(.depth, or: d.depth)
        heads = try c.decode(.heads, or: d.heads)
        channels = try c.decode(.channels, or: d.channels)
        imageSize = try c.decode(.imageSize, or: d.imageSize)
        patchSize = try c.decode(.patchSize, or: d.patchSize)
        layerNormEpsilon = try c.decode(.layerNormEpsilon, or: d.layerNormEpsilon)
        activation = try c.decode(.activation, or: d.activation)
        recursion = try c.decode(.recursion, or: RecursionConfig())
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(width, forKey: .width)
        try c.encode(mlpWidth, forKey: .mlpWidth)
        try c.encode(depth, forKey: .depth)
        try c.encode(heads, forKey: .heads)
        try c.encode(channels, forKey: .channels)
        try c.encode(imageSize, forKey: .imageSize)
        try c.encode(patchSize, forKey: .patchSize)
        try c.encode(Double(layerNormEpsilon), forKey: .layerNormEpsilon)
        try c.encode(activation, forKey: .activation)
        try c.encode("siglip_vision_model", forKey: .modelType)
        if !recursion.isBaseline { try c.encode(recursion, forKey: .recursion) }
    }

    func validate() throws {
        let tower = "vision_config"
        try ConfigLimits.check(tower, ("hidden_size", width, ConfigLimits.width), ("intermediate_size", mlpWidth, ConfigLimits.mlpWidth),
                               ("num_hidden_layers", depth, ConfigLimits.depth), ("num_attention_heads", heads, ConfigLimits.heads),
                               ("image_size", imageSize, ConfigLimits.imageSize), ("patch_size", patchSize, ConfigLimits.imageSize))
        guard channels == 3 else { throw ConfigError("vision_config: num_channels \(channels) is not supported (only 3, RGB)") }
        guard width % heads == 0 else {
            throw ConfigError("vision_config: hidden_size \(width) is not a multiple of num_attention_heads \(heads)")
        }
        guard patchSize <= imageSize, imageSize % patchSize == 0 else {
            throw ConfigError("vision_config: image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
        guard tokens <= ConfigLimits.positions else {
            throw ConfigError("vision_config: \(tokens) patches per image, over the limit of \(ConfigLimits.positions)")
        }
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0 else {
            throw ConfigError("vision_config: layer_norm_eps \(layerNormEpsilon) must be a positive number")
        }
        guard activation == "gelu_pytorch_tanh" || activation == "gelu_new" else {
            throw ConfigError("vision_config: hidden_act '\(activation)' is not supported (only the tanh GELU)")
        }
        try recursion.validate(depth: depth, tower: "vision_config")
    }
}

/// The text tower's configuration, in the form of Hugging Face's `SiglipTextConfig`.
public struct TextTowerConfig: Codable, Equatable, Sendable {
    public var vocabularySize = 32000
    public var width = 768
    public var mlpWidth = 3072
    public var depth = 12
    public var heads = 12
    public var length = 64
    public var layerNormEpsilon: Float = 1e-6
    public var activation = "gelu_pytorch_tanh"
    public var padID = 1
    public var bosID = 49406
    public var eosID = 49407
    /// The width of the text embedding (`head` output); nil means `width`.
    public var projectionWidth: Int?
    /// Recursion (RINS) of this tower; an extra field that Hugging Face tooling ignores.
    public var recursion = RecursionConfig()
    /// Masks the padding after the first EOS out of attention and pools at that EOS, for
    /// training from scratch at small scale (DESIGN.md §6.2); released models do not mask. An extra
    /// field (`mask_padding`) that Hugging Face tooling ignores; absent means false.
    public var maskPadding = false

    public init() {}

    /// A named preset ("B") for the text transformer, with vocabulary V and length L.
    public init(preset: String, vocabularySize: Int, length: Int) throws {
        let variant = try ViTVariant.parse(preset).variant
        width = variant.width
        mlpWidth = variant.mlpWidth
        depth = variant.depth
        heads = variant.heads
        self.vocabularySize = vocabularySize
        self.length = length
    }

    public var embeddingWidth: Int { projectionWidth ?? width }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", width = "hidden_size", mlpWidth = "intermediate_size"
        case depth = "num_hidden_layers", heads = "num_attention_heads"
        case length = "max_position_embeddings", layerNormEpsilon = "layer_norm_eps", activation = "hidden_act"
        case padID = "pad_token_id", bosID = "bos_token_id", eosID = "eos_token_id"
        case projectionWidth = "projection_size", modelType = "model_type", recursion, maskPadding = "mask_padding"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TextTowerConfig()
        vocabularySize = try c.decode(.vocabularySize, or: d.vocabularySize)
        width = try c.decode(.width, or: d.width)
        mlpWidth = try c.decode(.mlpWidth, or: d.mlpWidth)
        depth = try c.decode(.depth, or: d.depth)
        heads = try c.decode(.heads, or: d.heads)
        length = try c.decode(.length, or: d.length)
        layerNormEpsilon = try c.decode(.layerNormEpsilon, or: d.layerNormEpsilon)
        activation = try c.decode(.activation, or: d.activation)
        padID = try c.decode(.padID, or: d.padID)
        bosID = try c.decode(.bosID, or: d.bosID)
        eosID = try c.decode(.eosID, or: d.eosID)
        projectionWidth = try c.decodeIfPresent(Int.self, forKey: .projectionWidth)
        recursion = try c.decode(.recursion, or: RecursionConfig())
        maskPadding = try c.decode(.maskPadding, or: false)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(width, forKey: .width)
        try c.encode(mlpWidth, forKey: .mlpWidth)
        try c.encode(depth, forKey: .depth)
        try c.encode(heads, forKey: .heads)
        try c.encode(length, forKey: .length)
        try c.encode(Double(layerNormEpsilon), forKey: .layerNormEpsilon)
        try c.encode(activation, forKey: .activation)
        try c.encode(padID, forKey: .padID)
        try c.encode(bosID, forKey: .bosID)
        try c.encode(eosID, forKey: .eosID)
        try c.encodeIfPresent(projectionWidth, forKey: .projectionWidth)   // absent: hidden_size, as in transformers
        try c.encode("siglip_text_model", forKey: .modelType)
        if !recursion.isBaseline { try c.encode(recursion, forKey: .recursion) }
        if maskPadding { try c.encode(true, forKey: .maskPadding) }
    }

    func validate() throws {
        try ConfigLimits.check("text_config", ("vocab_size", vocabularySize, ConfigLimits.vocabulary),
                               ("hidden_size", width, ConfigLimits.width), ("intermediate_size", mlpWidth, ConfigLimits.mlpWidth),
                               ("num_hidden_layers", depth, ConfigLimits.depth), ("num_attention_heads", heads, ConfigLimits.heads),
                               ("max_position_embeddings", length, ConfigLimits.positions),
                               ("projection_size", embeddingWidth, ConfigLimits.width))
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0 else {
            throw ConfigError("text_config: layer_norm_eps \(layerNormEpsilon) must be a positive number")
        }
        // Released configs carry CLIP's bos/eos defaults (49406/49407) outside a 32k vocabulary:
        // they are used only when padding is masked (pooling at EOS), so only then must they fit.
        for (key, id) in [("pad_token_id", padID), ("bos_token_id", bosID), ("eos_token_id", eosID)] {
            guard (0...Int(Int32.max)).contains(id) else { throw ConfigError("text_config: \(key) \(id) is not a token id") }
        }
        guard padID < vocabularySize else {
            throw ConfigError("text_config: pad_token_id \(padID) is outside the vocabulary of \(vocabularySize)")
        }
        guard !maskPadding || eosID < vocabularySize else {
            throw ConfigError("text_config: eos_token_id \(eosID) is outside the vocabulary of \(vocabularySize) (mask_padding pools at EOS)")
        }
        guard width % heads == 0 else {
            throw ConfigError("text_config: hidden_size \(width) is not a multiple of num_attention_heads \(heads)")
        }
        guard activation == "gelu_pytorch_tanh" || activation == "gelu_new" else {
            throw ConfigError("text_config: hidden_act '\(activation)' is not supported (only the tanh GELU)")
        }
        try recursion.validate(depth: depth, tower: "text_config")
    }
}

/// A two-tower SigLIP configuration, written as `config.json` in the form of Hugging Face's
/// `SiglipConfig` so that `transformers` loads our checkpoints and we load theirs.
public struct SigLIPConfig: Codable, Equatable, Sendable {
    public var imageTower = ImageTowerConfig()
    public var textTower = TextTowerConfig()

    public init(vision: ImageTowerConfig = ImageTowerConfig(), text: TextTowerConfig = TextTowerConfig()) {
        imageTower = vision
        textTower = text
    }

    enum CodingKeys: String, CodingKey {
        case imageTower = "vision_config", textTower = "text_config", modelType = "model_type"
        case architectures, torchDtype = "torch_dtype"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageTower = try c.decode(.imageTower, or: ImageTowerConfig())
        textTower = try c.decode(.textTower, or: TextTowerConfig())
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(imageTower, forKey: .imageTower)
        try c.encode(textTower, forKey: .textTower)
        try c.encode("siglip", forKey: .modelType)
        try c.encode(["SiglipModel"], forKey: .architectures)
        try c.encode("float32", forKey: .torchDtype)
    }

    /// Checks that the configuration describes a model we can build.
    public func validate() throws {
        try imageTower.validate()
        try textTower.validate()
        guard textTower.embeddingWidth == imageTower.width else {
            throw ConfigError("text embedding size \(textTower.embeddingWidth) differs from the image embedding size \(imageTower.width)")
        }
    }

    public static func read(from url: URL) throws -> SigLIPConfig {
        let data: Data
        do { data = try RegularFile.contents(of: url, limit: RegularFile.Limit.json) } catch let error as SigLIPError {
            throw ConfigError(error.description)
        }
        do {
            let config = try JSONDecoder().decode(SigLIPConfig.self, from: data)
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

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when config.json leaves it out (Hugging Face's defaults).
    func decode<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}

/// Bounds on every size a configuration may give (from config.json, a `--config` file or
/// flags). Far above any released SigLIP (So400m: width 1152, MLP 4304, depth 27, 16 heads,
/// 512 px; Gemma's 256k vocabulary), and low enough that no product of them in the model's
/// shapes overflows. Whether a model that passes fits in memory is checked separately
/// (`MemoryEstimate`).
public enum ConfigLimits {
    public static let width = 16_384
    public static let mlpWidth = 65_536
    public static let depth = 1_024
    public static let heads = 1_024
    public static let imageSize = 8_192
    /// Image patches, or text positions.
    public static let positions = 65_536
    public static let vocabulary = 1 << 22
    /// Recursion rounds, in training and at inference.
    public static let rounds = 64

    /// Each `(key, value, limit)`: 1 ≤ value ≤ limit.
    static func check(_ tower: String, _ sizes: (String, Int, Int)...) throws {
        for (key, value, limit) in sizes {
            guard value >= 1 else { throw ConfigError("\(tower): \(key) \(value) must be positive") }
            guard value <= limit else { throw ConfigError("\(tower): \(key) \(value) is over the limit of \(limit)") }
        }
    }
}
