/// The zero-shot report, `Codable` for `--json` (snake_case keys). Accuracies are fractions in [0, 1].
public struct ZeroShotReport: Codable, Equatable, Sendable {
    /// The benchmark root.
    public var data: String
    /// Where the templates came from (a file path, or "built-in CLIP ImageNet templates").
    public var templatesSource: String
    public var templates: Int
    public var classes: Int
    /// Images found in the data set; `skipped` could not be decoded and are in no accuracy.
    public var imagesFound: Int
    public var skipped: [SkippedImage]
    public var checkpoints: [CheckpointResult]

    enum CodingKeys: String, CodingKey {
        case data, templatesSource = "templates_source", templates, classes, imagesFound = "images_found"
        case skipped, skippedCount = "skipped_count", checkpoints
    }

    public init(data: String, templatesSource: String, templates: Int, classes: Int, imagesFound: Int,
                skipped: [SkippedImage], checkpoints: [CheckpointResult]) {
        self.data = data
        self.templatesSource = templatesSource
        self.templates = templates
        self.classes = classes
        self.imagesFound = imagesFound
        self.skipped = skipped
        self.checkpoints = checkpoints
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        data = try c.decode(String.self, forKey: .data)
        templatesSource = try c.decode(String.self, forKey: .templatesSource)
        templates = try c.decode(Int.self, forKey: .templates)
        classes = try c.decode(Int.self, forKey: .classes)
        imagesFound = try c.decode(Int.self, forKey: .imagesFound)
        skipped = try c.decode([SkippedImage].self, forKey: .skipped)
        checkpoints = try c.decode([CheckpointResult].self, forKey: .checkpoints)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data)
        try c.encode(templatesSource, forKey: .templatesSource)
        try c.encode(templates, forKey: .templates)
        try c.encode(classes, forKey: .classes)
        try c.encode(imagesFound, forKey: .imagesFound)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(skipped.count, forKey: .skippedCount)
        try c.encode(checkpoints, forKey: .checkpoints)
    }
}

/// One checkpoint evaluated at one or more rounds values.
public struct CheckpointResult: Codable, Equatable, Sendable {
    public var checkpoint: String
    /// "candidate" or "baseline".
    public var role: String
    public var results: [RoundsResult]

    public init(checkpoint: String, role: String, results: [RoundsResult]) {
        self.checkpoint = checkpoint
        self.role = role
        self.results = results
    }
}

/// The accuracy of one checkpoint at one number of recursion rounds.
public struct RoundsResult: Codable, Equatable, Sendable {
    public var rounds: Int
    public var top1: Double
    public var top5: Double
    /// The k of `top5` (5, or the number of classes when fewer).
    public var topK: Int
    /// Images evaluated (undecodable ones excluded).
    public var images: Int
    public var classes: Int
    public var flopsPerImage: Double
    /// Top-1 accuracy per class, in class order (null for a class without evaluated images).
    public var perClassAccuracy: [Double?]
    public var worstClasses: [ClassAccuracy]
    public var confusions: [Confusion]
    /// top1 − top1 at 1 round (nil when 1 round was not evaluated).
    public var gainOverOneRound: Double?
    /// top1 − the baseline checkpoint's top1 (nil without a baseline).
    public var gainOverBaseline: Double?

    enum CodingKeys: String, CodingKey {
        case rounds, top1, top5, topK = "top_k", images, classes, flopsPerImage = "flops_per_image"
        case perClassAccuracy = "per_class_accuracy", worstClasses = "worst_classes", confusions
        case gainOverOneRound = "gain_over_one_round", gainOverBaseline = "gain_over_baseline"
    }
}

public struct ClassAccuracy: Codable, Equatable, Sendable {
    public var classIndex: Int
    public var name: String
    public var accuracy: Double
    public var images: Int
    enum CodingKeys: String, CodingKey { case classIndex = "class", name, accuracy, images }
}

/// `count` images of class `truth` were predicted (top-1) as `predicted`.
public struct Confusion: Codable, Equatable, Sendable {
    public var truth: String
    public var predicted: String
    public var count: Int
}

extension RoundsResult {
    /// The summary of a scoreboard; `listed` bounds the worst classes and confusions kept.
    public init(rounds: Int, scoreboard s: Scoreboard, classNames: [String], flopsPerImage: Double, listed: Int = 10) {
        let accuracy = s.perClassAccuracy
        var evaluated: [(index: Int, accuracy: Double)] = []
        for (c, a) in accuracy.enumerated() { if let a { evaluated.append((c, a)) } }
        evaluated.sort { $0.accuracy != $1.accuracy ? $0.accuracy < $1.accuracy : $0.index < $1.index }
        let worst: [ClassAccuracy] = evaluated.prefix(listed).map {
            ClassAccuracy(classIndex: $0.index, name: classNames[$0.index], accuracy: $0.accuracy, images: s.perClassImages[$0.index])
        }
        var pairs: [(pair: Scoreboard.Pair, count: Int)] = s.confusions.map { ($0.key, $0.value) }
        pairs.sort { a, b in
            if a.count != b.count { return a.count > b.count }
            if a.pair.truth != b.pair.truth { return a.pair.truth < b.pair.truth }
            return a.pair.predicted < b.pair.predicted
        }
        let confusions: [Confusion] = pairs.prefix(listed).map {
            Confusion(truth: classNames[$0.pair.truth], predicted: classNames[$0.pair.predicted], count: $0.count)
        }
        self.init(rounds: rounds, top1: s.top1, top5: s.topK, topK: s.k, images: s.images, classes: s.classes,
                  flopsPerImage: flopsPerImage, perClassAccuracy: accuracy, worstClasses: worst,
                  confusions: confusions, gainOverOneRound: nil, gainOverBaseline: nil)
    }
}
