import Foundation
import SigLIPBase
import SigLIPCore

/// Loads Google's big_vision SigLIP checkpoints: the `.npz` files released with big_vision's
/// SigLIP colab (e.g. `webli_en_b16_224_63724782.npz`), one array per parameter of the
/// two-tower model, named by its path in the Flax tree ("img/embedding/kernel"), float32 or
/// bfloat16.
///
/// The configuration is inferred from the array shapes (see `inferConfig`); the names and
/// layouts are mapped to ours (Hugging Face's) as `transformers`' `convert_siglip_to_hf.py`
/// does (`BigVisionMapping`). Encoder blocks may be stored one per member (`encoderblock_0`,
/// `encoderblock_1`, …) or stacked on a leading depth axis (`encoderblock`, as big_vision's
/// `scan=True` saves them); both give the same model.
///
/// Errors are `SigLIPError`s whose `path` is the `.npz` file and whose `problem` names the
/// member ("member 'img/embedding/kernel.npy' …"); configuration problems of a requested image
/// size are `ConfigError`s, as for any configuration.
public enum BigVisionCheckpoint {
    /// Builds the model the archive describes and fills every parameter, converting every
    /// array to Float32 once. `imageSize` nil keeps the checkpoint's own resolution (its patch
    /// grid × patch size); another size resamples the image position embedding
    /// (`PositionEmbeddingResampling`) as big_vision does when fine-tuning at a new resolution.
    public static func load(from url: URL, imageSize: Int? = nil) throws -> SigLIPModel {
        let tree = try BigVisionTree(NPZFile(contentsOf: url))
        let shapes = try BigVisionShapes(tree)
        var config = shapes.config
        if let imageSize { config.imageTower.imageSize = imageSize }
        let model = try SigLIPModel(config: config)
        let plan = BigVisionMapping.plan(shapes, config: config)
        try plan.check(covering: model.parameters)
        let members = plan.byMember
        if let unused = Set(tree.paths).subtracting(members.map(\.path)).sorted().first {
            throw tree.error("member '\(tree.member(unused))' is not part of the SigLIP two-tower model this loader maps")
        }
        for (path, placements) in members { try checkShape(path, placements, in: tree) }   // before reading any data
        for (path, placements) in members {
            try load(path, placements, from: tree, into: model.parameters)
        }
        for (target, values) in plan.constants {
            let spec = model.parameters.spec(named: target)!
            (model.parameters.values.data + spec.offset).update(from: values, count: values.count)
        }
        return model
    }

    /// The configuration the archive's shapes describe, reading no array data.
    ///
    /// Inferred: the patch size and width (`img/embedding/kernel` [P, P, 3, D]); the image size
    /// (the √N × √N grid of `img/pos_embedding` [1, N, D] times P); depth (the encoder blocks,
    /// or the stacked blocks' leading axis); heads (attention kernels [D, H, D/H]); MLP widths
    /// (`Dense_0` kernels [D, M]); the vocabulary and text width (`txt/Embed_0/embedding`
    /// [V, D]); the text length (`txt/pos_embedding` [1, L, D]); the embedding width
    /// (`txt/head/kernel` [D, E]; no head: E = D, an identity, as in the i18n B/16 256 release).
    ///
    /// Not stored, so taken from big_vision's code: LayerNorm epsilon 1e-6 (Flax's default), the
    /// tanh GELU (`nn.gelu`'s default), pad and EOS id 1 (big_vision pads with EOS, id 1). Not
    /// known at all: the tokenizer (a SentencePiece file of its own) and the image resize
    /// filter; the model is a plain (non-recursive) one with unmasked text padding.
    public static func inferConfig(from url: URL) throws -> SigLIPConfig {
        try BigVisionShapes(BigVisionTree(NPZFile(contentsOf: url))).config
    }

    /// The member at `path` exists with the shape its placements read: [depth] + the layer's
    /// shape for a stacked member, the layer's shape otherwise.
    private static func checkShape(_ path: String, _ placements: [BigVisionMapping.Placement], in tree: BigVisionTree) throws {
        let first = placements[0]
        let expected = (first.layers.map { [$0] } ?? []) + first.sourceShape
        let shape = try tree.header(path).shape
        guard shape == expected else {
            throw tree.error("member '\(tree.member(path))' has shape \(shape), the configuration inferred from the archive needs \(expected)")
        }
    }

    /// Reads the member at `path` (its shape checked) once and writes it to every parameter
    /// (or part) it feeds.
    private static func load(_ path: String, _ placements: [BigVisionMapping.Placement], from tree: BigVisionTree,
                             into store: ParameterStore) throws {
        let first = placements[0]
        let values = try tree.npz.floats(tree.prefix + path)
        let perLayer = first.sourceShape.reduce(1, *)
        values.withUnsafeBufferPointer { all in
            for placement in placements {
                let start = (placement.layer ?? 0) * perLayer
                let spec = store.spec(named: placement.target)!
                placement.transform.apply(UnsafeBufferPointer(rebasing: all[start..<(start + perLayer)]), shape: placement.sourceShape,
                                          into: store.values.data + spec.offset + placement.targetOffset)
            }
        }
    }
}

/// The parameter tree inside an `.npz`: its members with ".npy" dropped, under the prefix
/// big_vision's `utils.load_params` looks in — `params/` (a checkpoint with optimiser state),
/// else `opt/target/` (an old Flax optimiser), else the whole archive (released checkpoints).
struct BigVisionTree {
    static let prefixes = ["params/", "opt/target/"]

    let npz: NPZFile
    /// The prefix stripped from member names ("" for released checkpoints).
    let prefix: String
    /// Tree paths ("img/embedding/kernel") under the prefix.
    let paths: [String]

    init(_ npz: NPZFile) {
        self.npz = npz
        let names = npz.names
        let prefix = Self.prefixes.first { p in names.contains { $0.hasPrefix(p) } } ?? ""
        self.prefix = prefix
        paths = names.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// The member name of `path`, as written in the archive.
    func member(_ path: String) -> String { "\(prefix)\(path).npy" }

    func error(_ problem: String) -> SigLIPError { SigLIPError(path: npz.url.path, problem: problem) }

    func contains(_ path: String) -> Bool { npz.headers[prefix + path] != nil }

    func header(_ path: String) throws -> NPYHeader {
        guard let header = npz.headers[prefix + path] else { throw error("missing member '\(member(path))'") }
        return header
    }

    /// The shape of `path`, required to have `rank` dimensions.
    func shape(_ path: String, rank: Int) throws -> [Int] {
        let shape = try header(path).shape
        guard shape.count == rank else {
            throw error("member '\(member(path))' has shape \(shape), expected \(rank) dimensions")
        }
        return shape
    }
}

/// How a tower's encoder blocks are stored.
enum BlockStorage: Equatable {
    /// `encoderblock_0`, `encoderblock_1`, …: one member per block and parameter.
    case perBlock
    /// `encoderblock`: one member per parameter, blocks on a leading depth axis (`scan=True`).
    case stacked

    /// The tree path of block `index`'s `relative` parameter under `encoder`, and the layer to
    /// slice from it (nil: the whole member).
    func source(_ encoder: String, _ index: Int, _ relative: String) -> (path: String, layer: Int?) {
        switch self {
        case .perBlock: return ("\(encoder)/encoderblock_\(index)/\(relative)", nil)
        case .stacked: return ("\(encoder)/encoderblock/\(relative)", index)
        }
    }
}

/// The sizes of a big_vision SigLIP checkpoint, read from its array shapes.
struct BigVisionShapes {
    /// The tree paths of the two towers' encoders.
    static let imageEncoder = "img/Transformer", textEncoder = "txt/Encoder_0"

    let config: SigLIPConfig
    /// The checkpoint's own image patch grid side (√N of `img/pos_embedding`).
    let imageGrid: Int
    let imageBlocks: BlockStorage
    let textBlocks: BlockStorage
    /// False for checkpoints without `txt/head` (the head is then the identity).
    let hasTextHead: Bool

    init(_ tree: BigVisionTree) throws {
        let kernel = try tree.shape("img/embedding/kernel", rank: 4)   // [P, P, C, D]
        guard kernel[0] == kernel[1], kernel[2] == 3 else {
            throw tree.error("member '\(tree.member("img/embedding/kernel"))' has shape \(kernel), expected square RGB patches [P, P, 3, D]")
        }
        let (patch, width) = (kernel[0], kernel[3])
        let positions = try tree.shape("img/pos_embedding", rank: 3)   // [1, N, D]
        guard let grid = PositionEmbeddingResampling.gridSide(positions: positions[1]) else {
            throw tree.error("member '\(tree.member("img/pos_embedding"))' has \(positions[1]) positions, not a square patch grid")
        }
        imageGrid = grid
        var vision = ImageTowerConfig()
        vision.width = width
        vision.patchSize = patch
        vision.imageSize = grid * patch
        (imageBlocks, vision.depth, vision.heads, vision.mlpWidth) = try Self.encoder(Self.imageEncoder, in: tree)

        let embedding = try tree.shape("txt/Embed_0/embedding", rank: 2)   // [V, D]
        let length = try tree.shape("txt/pos_embedding", rank: 3)          // [1, L, D]
        var text = TextTowerConfig()
        text.vocabularySize = embedding[0]
        text.width = embedding[1]
        text.length = length[1]
        (textBlocks, text.depth, text.heads, text.mlpWidth) = try Self.encoder(Self.textEncoder, in: tree)
        hasTextHead = tree.contains("txt/head/kernel")
        if hasTextHead {
            let head = try tree.shape("txt/head/kernel", rank: 2)   // [D, E]
            text.projectionWidth = head[1] == text.width ? nil : head[1]
        }
        // big_vision's tokenisation pads with EOS, whose id is 1 (text_transformer.py).
        text.padID = 1
        text.eosID = 1
        config = SigLIPConfig(vision: vision, text: text)
        do {
            try config.validate()
        } catch let error as ConfigError {
            throw tree.error("the configuration its shapes describe is not usable: \(error.description)")
        }
    }

    /// How an encoder's blocks are stored, its depth, heads (from the query kernel [D, H, D/H])
    /// and MLP width (from the first Dense kernel [D, M]).
    private static func encoder(_ encoder: String, in tree: BigVisionTree) throws -> (BlockStorage, depth: Int, heads: Int, mlp: Int) {
        let perBlock = Set(tree.paths.compactMap { path -> Int? in
            guard path.hasPrefix("\(encoder)/encoderblock_") else { return nil }
            return Int(path.dropFirst("\(encoder)/encoderblock_".count).prefix { $0 != "/" })
        })
        let stacked = tree.paths.contains { $0.hasPrefix("\(encoder)/encoderblock/") }
        let storage: BlockStorage, depth: Int
        switch (perBlock.isEmpty, stacked) {
        case (false, true):
            throw tree.error("'\(encoder)' holds both per-block ('encoderblock_0', …) and stacked ('encoderblock') encoder blocks")
        case (true, false):
            throw tree.error("missing member '\(tree.member("\(encoder)/encoderblock_0/LayerNorm_0/scale"))' (no encoder blocks, per-block or stacked)")
        case (false, false):
            storage = .perBlock
            depth = perBlock.count
            guard perBlock == Set(0..<depth) else {
                throw tree.error("'\(encoder)' has encoder blocks \(perBlock.sorted()), not numbered 0 to \(depth - 1)")
            }
        case (true, true):
            storage = .stacked
            depth = try tree.shape("\(encoder)/encoderblock/LayerNorm_0/scale", rank: 2)[0]
        }
        let query = storage.source(encoder, 0, "MultiHeadDotProductAttention_0/query/kernel")
        let dense = storage.source(encoder, 0, "MlpBlock_0/Dense_0/kernel")
        let stackedRank = storage == .stacked ? 1 : 0
        let heads = try tree.shape(query.path, rank: 3 + stackedRank)[1 + stackedRank]
        let mlp = try tree.shape(dense.path, rank: 2 + stackedRank)[1 + stackedRank]
        return (storage, depth, heads, mlp)
    }
}

/// The big_vision → Hugging Face mapping of the SigLIP two-tower model: which member feeds
/// which of our parameters, and how its layout changes (`transformers`'
/// `convert_siglip_to_hf.py`). D width, H heads, M MLP width, P patch, E embedding width:
///
/// | big_vision (under `img/`, `txt/`) | ours | layout |
/// |---|---|---|
/// | `embedding/kernel` [P, P, 3, D] | `vision_model.embeddings.patch_embedding.weight` | → [D, 3, P, P] |
/// | `pos_embedding` [1, N, D] | `*.embeddings.position_embedding.weight` | → [N, D] (image: resampled to the grid asked for) |
/// | `Embed_0/embedding` [V, D] | `text_model.embeddings.token_embedding.weight` | as is |
/// | `…/encoderblock_i/LayerNorm_0`, `_1` {scale, bias} | `*.encoder.layers.i.layer_norm1`, `2` {weight, bias} | as is |
/// | `…/MultiHeadDotProductAttention_0/{query,key,value}/kernel` [D, H, D/H] | `self_attn.{q,k,v}_proj.weight` | → [D, D], transposed |
/// | `…/{query,key,value}/bias` [H, D/H] | `self_attn.{q,k,v}_proj.bias` | → [D] |
/// | `…/out/kernel` [H, D/H, D] | `self_attn.out_proj.weight` | → [D, D], transposed |
/// | `…/MlpBlock_0/Dense_0`, `_1` kernel [in, out] | `mlp.fc1`, `fc2` weight | transposed |
/// | `Transformer/encoder_norm`, `Encoder_0/encoder_norm` | `vision_model.post_layernorm`, `text_model.final_layer_norm` | as is |
/// | `MAPHead_0/probe` [1, 1, D] | `vision_model.head.probe` | as is |
/// | `MAPHead_0/MultiHeadDotProductAttention_0/{query,key,value}` | `vision_model.head.attention.in_proj_weight` [3D, D], `in_proj_bias` | rows q; k; v |
/// | `MAPHead_0/…/out`, `LayerNorm_0`, `MlpBlock_0` | `vision_model.head.attention.out_proj`, `layernorm`, `mlp` | as above |
/// | `head/kernel` [D, E], `head/bias` | `text_model.head.weight` [E, D], `bias` | transposed; absent: identity, zero |
/// | `t` [1], `b` [1] | `logit_scale`, `logit_bias` | as is |
///
/// The image encoder is `img/Transformer`, the text encoder `txt/Encoder_0`; stacked blocks
/// (`encoderblock`, [depth, …]) give layer i as slice i of the leading axis.
enum BigVisionMapping {
    /// How a member's (per-layer) array becomes a parameter's values.
    enum Transform: Equatable {
        /// Same element order (only the shape's grouping changes).
        case copy
        /// The array viewed as a matrix [∏ shape[..<k], ∏ shape[k...]] and transposed: Flax
        /// kernels are [in, out], ours [out, in].
        case transpose(splitAt: Int)
        /// [P, P, C, D] (Flax's HWIO convolution kernel) → [D, C, P, P] (PyTorch's OIHW).
        case patchKernel
        /// [1, old², D] → [new², D] by `PositionEmbeddingResampling`.
        case resampleGrid(from: Int, to: Int)

        /// The number of values written for a source of `shape`.
        func outputCount(_ shape: [Int]) -> Int {
            if case .resampleGrid(_, let to) = self { return to * to * shape[2] }
            return shape.reduce(1, *)
        }

        /// Writes `source` (of `shape`) transformed to `destination[0..<outputCount(shape)]`.
        func apply(_ source: UnsafeBufferPointer<Float>, shape: [Int], into destination: UnsafeMutablePointer<Float>) {
            switch self {
            case .copy:
                destination.update(from: source.baseAddress!, count: source.count)
            case .transpose(let k):
                let rows = shape[..<k].reduce(1, *), columns = shape[k...].reduce(1, *)
                for r in 0..<rows {
                    for c in 0..<columns { destination[c * rows + r] = source[r * columns + c] }
                }
            case .patchKernel:
                let (p, q, channels, width) = (shape[0], shape[1], shape[2], shape[3])
                for i in 0..<p {
                    for j in 0..<q {
                        for c in 0..<channels {
                            for d in 0..<width { destination[((d * channels + c) * p + i) * q + j] = source[((i * q + j) * channels + c) * width + d] }
                        }
                    }
                }
            case .resampleGrid(let from, let to):
                let resampled = PositionEmbeddingResampling.resample(Array(source), width: shape[2], from: from, to: to)
                destination.update(from: resampled, count: resampled.count)
            }
        }
    }

    /// One member (or one layer of a stacked member) feeding one parameter, or a part of it.
    struct Placement {
        /// The member's tree path ("img/embedding/kernel").
        let path: String
        /// The slice of a stacked member's leading axis, and that axis's length; nil for a
        /// member holding one layer.
        let layer: Int?
        let layers: Int?
        /// The shape of one layer of the member.
        let sourceShape: [Int]
        let transform: Transform
        /// Our parameter name, and where in it the values go (the MAP head's q, k, v rows).
        let target: String
        let targetOffset: Int
    }

    /// Every placement, grouped by member so that each member is read once, plus the values of
    /// parameters no member holds (the identity text head).
    struct Plan {
        fileprivate(set) var placements: [Placement] = []
        fileprivate(set) var constants: [(target: String, values: [Float])] = []

        /// Members in name order, each with its placements.
        var byMember: [(path: String, placements: [Placement])] {
            Dictionary(grouping: placements, by: \.path).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }

        /// Every parameter of `store` written exactly in full, nothing written outside one: a
        /// mapping that disagrees with the towers' names is a bug, caught before reading data.
        func check(covering store: ParameterStore) throws {
            var written: [String: Int] = [:]
            let pieces = placements.map { ($0.target, $0.targetOffset, $0.transform.outputCount($0.sourceShape)) }
                + constants.map { ($0.target, 0, $0.values.count) }
            for (target, offset, count) in pieces {
                guard let spec = store.spec(named: target), offset + count <= spec.count else {
                    throw SigLIPError(path: target, problem: "the big_vision mapping writes outside this model's parameters (a bug)")
                }
                written[target, default: 0] += count
            }
            for spec in store.specs where written[spec.name] != spec.count {
                throw SigLIPError(path: spec.name, problem: "the big_vision mapping fills \(written[spec.name] ?? 0) of its \(spec.count) values (a bug)")
            }
        }
    }

    /// The plan for a checkpoint of `shapes` loaded as `config` (whose image size may differ
    /// from the checkpoint's: the position embedding is then resampled).
    static func plan(_ shapes: BigVisionShapes, config: SigLIPConfig) -> Plan {
        var plan = Plan()
        let vision = config.imageTower, text = config.textTower
        let (d, patch) = (vision.width, vision.patchSize)
        let grid = vision.imageSize / patch

        func add(_ path: String, _ shape: [Int], _ transform: Transform, _ target: String, offset: Int = 0,
                 layer: Int? = nil, layers: Int? = nil) {
            plan.placements.append(Placement(path: path, layer: layer, layers: layers, sourceShape: shape, transform: transform,
                                             target: target, targetOffset: offset))
        }
        func layerNorm(_ path: String, _ width: Int, _ target: String, _ source: (String) -> (String, Int?) = { ($0, nil) }, layers: Int? = nil) {
            for (from, to) in [("scale", "weight"), ("bias", "bias")] {
                let (member, layer) = source("\(path)/\(from)")
                add(member, [width], .copy, "\(target).\(to)", layer: layer, layers: layers)
            }
        }
        func mlp(_ path: String, _ width: Int, _ hidden: Int, _ target: String, _ source: (String) -> (String, Int?) = { ($0, nil) },
                 layers: Int? = nil) {
            for (dense, fc, inWidth, outWidth) in [("Dense_0", "fc1", width, hidden), ("Dense_1", "fc2", hidden, width)] {
                var (member, layer) = source("\(path)/\(dense)/kernel")
                add(member, [inWidth, outWidth], .transpose(splitAt: 1), "\(target).\(fc).weight", layer: layer, layers: layers)
                (member, layer) = source("\(path)/\(dense)/bias")
                add(member, [outWidth], .copy, "\(target).\(fc).bias", layer: layer, layers: layers)
            }
        }
        /// q, k, v and out of a MultiHeadDotProductAttention; `inputs(k)` names the target and
        /// offset of projection k (0 query, 1 key, 2 value) as (weight, bias).
        func attention(_ path: String, _ width: Int, _ heads: Int, inputs: (Int) -> (weight: (String, Int), bias: (String, Int)),
                       out target: String, _ source: (String) -> (String, Int?) = { ($0, nil) }, layers: Int? = nil) {
            let headWidth = width / heads
            for (k, name) in ["query", "key", "value"].enumerated() {
                let (weight, bias) = inputs(k)
                var (member, layer) = source("\(path)/\(name)/kernel")
                add(member, [width, heads, headWidth], .transpose(splitAt: 1), weight.0, offset: weight.1, layer: layer, layers: layers)
                (member, layer) = source("\(path)/\(name)/bias")
                add(member, [heads, headWidth], .copy, bias.0, offset: bias.1, layer: layer, layers: layers)
            }
            var (member, layer) = source("\(path)/out/kernel")
            add(member, [heads, headWidth, width], .transpose(splitAt: 2), "\(target).weight", layer: layer, layers: layers)
            (member, layer) = source("\(path)/out/bias")
            add(member, [width], .copy, "\(target).bias", layer: layer, layers: layers)
        }
        func encoder(_ path: String, _ storage: BlockStorage, depth: Int, width: Int, heads: Int, hidden: Int, into target: String) {
            let layers = storage == .stacked ? depth : nil
            for i in 0..<depth {
                let source = { (relative: String) in storage.source(path, i, relative) }
                let layer = "\(target).\(i)"
                layerNorm("LayerNorm_0", width, "\(layer).layer_norm1", source, layers: layers)
                attention("MultiHeadDotProductAttention_0", width, heads, inputs: { k in
                    let projection = "\(layer).self_attn.\(["q", "k", "v"][k])_proj"
                    return (("\(projection).weight", 0), ("\(projection).bias", 0))
                }, out: "\(layer).self_attn.out_proj", source, layers: layers)
                layerNorm("LayerNorm_1", width, "\(layer).layer_norm2", source, layers: layers)
                mlp("MlpBlock_0", width, hidden, "\(layer).mlp", source, layers: layers)
            }
        }

        // Image tower.
        add("img/embedding/kernel", [patch, patch, 3, d], .patchKernel, "vision_model.embeddings.patch_embedding.weight")
        add("img/embedding/bias", [d], .copy, "vision_model.embeddings.patch_embedding.bias")
        add("img/pos_embedding", [1, shapes.imageGrid * shapes.imageGrid, d],
            shapes.imageGrid == grid ? .copy : .resampleGrid(from: shapes.imageGrid, to: grid),
            "vision_model.embeddings.position_embedding.weight")
        encoder(BigVisionShapes.imageEncoder, shapes.imageBlocks, depth: vision.depth, width: d, heads: vision.heads,
                hidden: vision.mlpWidth, into: "vision_model.encoder.layers")
        layerNorm("\(BigVisionShapes.imageEncoder)/encoder_norm", d, "vision_model.post_layernorm")
        add("img/MAPHead_0/probe", [1, 1, d], .copy, "vision_model.head.probe")
        attention("img/MAPHead_0/MultiHeadDotProductAttention_0", d, vision.heads, inputs: { k in
            (("vision_model.head.attention.in_proj_weight", k * d * d), ("vision_model.head.attention.in_proj_bias", k * d))
        }, out: "vision_model.head.attention.out_proj")
        layerNorm("img/MAPHead_0/LayerNorm_0", d, "vision_model.head.layernorm")
        mlp("img/MAPHead_0/MlpBlock_0", d, vision.mlpWidth, "vision_model.head.mlp")

        // Text tower.
        let (w, e) = (text.width, text.embeddingWidth)
        add("txt/Embed_0/embedding", [text.vocabularySize, w], .copy, "text_model.embeddings.token_embedding.weight")
        add("txt/pos_embedding", [1, text.length, w], .copy, "text_model.embeddings.position_embedding.weight")
        encoder(BigVisionShapes.textEncoder, shapes.textBlocks, depth: text.depth, width: w, heads: text.heads,
                hidden: text.mlpWidth, into: "text_model.encoder.layers")
        layerNorm("\(BigVisionShapes.textEncoder)/encoder_norm", w, "text_model.final_layer_norm")
        if shapes.hasTextHead {
            add("txt/head/kernel", [w, e], .transpose(splitAt: 1), "text_model.head.weight")
            add("txt/head/bias", [e], .copy, "text_model.head.bias")
        } else {
            plan.constants.append(("text_model.head.weight", (0..<(w * w)).map { $0 / w == $0 % w ? 1 : 0 }))
            plan.constants.append(("text_model.head.bias", [Float](repeating: 0, count: w)))
        }

        // The temperature and bias of the sigmoid loss.
        add("t", [1], .copy, "logit_scale")
        add("b", [1], .copy, "logit_bias")
        return plan
    }
}
