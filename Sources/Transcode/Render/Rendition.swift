/// Encoder, size and rule settings of one video output, as a job template states them. Every
/// field has the X reply's default, so a template names only what it changes (the bts cut sets
/// `short_side`, a lower CRF, no level, no loudness normalisation and no length limit); only
/// `x264_subme` is the preset's own unless named, so a `bts` section cannot inherit the reply's.
public struct Rendition: Sendable, Codable, Equatable {
    /// x264 speed/quality trade-off; replies favour speed ("veryfast").
    public var x264Preset = "veryfast"
    /// x264's sub-pixel motion search effort (`subme`, 1...9; x264 lowers 10 and 11 to 9 without
    /// trellis 2, which no template sets); nil keeps the preset's own. H.264 encodes only. The
    /// twitter-reply template sets 1 (Docs/benchmarks.md, "The reply's x264 settings: why subme=1");
    /// the editors' cut keeps faster's 4.
    public var x264Subme: Int?
    public var crf = 23
    /// CRF is capped so a busy scene cannot blow the bitrate (VBV).
    public var maxrateKbps = 5000
    public var bufsizeKbps = 10000
    public var keyframeIntervalSeconds = 2.0
    public var audioBitrateKbps = 160
    /// EBU R128 integrated loudness target and true-peak ceiling.
    public var loudnessLUFS = -16.0
    public var truePeakDBTP = -1.5
    public var loudnessRangeLU = 11.0
    /// X's limit for a video reply; nil for no limit (editors' cuts).
    public var maxDurationSeconds: Double? = 140.0
    /// nil: X's canvases (720x1280, 1280x720, 720x720). A number: keep the clip's own shape, with
    /// its short side at most this many pixels, no padding, at the source's own frame rate.
    public var shortSide: Int?
    /// H.264 level; nil lets x264 choose (1080p60 needs 4.2).
    public var level: String? = "4.1"
    public var normaliseLoudness = true

    public init() {}

    /// The template's own x264 settings on top of its preset, as x264-params entries.
    var x264Tuning: [String] { x264Subme.map { ["subme=\($0)"] } ?? [] }

    /// The behind-the-scenes cut for editors: 1080 on the short side, CRF 18, AAC 192 kb/s.
    public static var editorsCut: Rendition {
        var r = Rendition()
        r.x264Preset = "faster"
        r.crf = 18
        r.maxrateKbps = 0
        r.bufsizeKbps = 0
        r.audioBitrateKbps = 192
        r.maxDurationSeconds = nil
        r.shortSide = 1080
        r.level = nil
        r.normaliseLoudness = false
        return r
    }

    enum CodingKeys: String, CodingKey {
        case x264Preset, x264Subme, crf, maxrateKbps, bufsizeKbps, keyframeIntervalSeconds, audioBitrateKbps
        case loudnessLUFS = "loudnessLufs", truePeakDBTP = "truePeakDbtp", loudnessRangeLU = "loudnessRangeLu"
        case maxDurationSeconds, shortSide, level, normaliseLoudness
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var r = Rendition()
        r.x264Preset = try c.decodeIfPresent(String.self, forKey: .x264Preset) ?? r.x264Preset
        r.x264Subme = try c.decodeIfPresent(Int.self, forKey: .x264Subme)
        if let subme = r.x264Subme, !(1...9).contains(subme) {
            throw DecodingError.dataCorruptedError(forKey: .x264Subme, in: c,
                                                   debugDescription: "\(subme) is not one of x264's sub-pixel motion search efforts (1 to 9)")
        }
        r.crf = try c.decodeIfPresent(Int.self, forKey: .crf) ?? r.crf
        r.maxrateKbps = try c.decodeIfPresent(Int.self, forKey: .maxrateKbps) ?? r.maxrateKbps
        r.bufsizeKbps = try c.decodeIfPresent(Int.self, forKey: .bufsizeKbps) ?? r.bufsizeKbps
        r.keyframeIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .keyframeIntervalSeconds) ?? r.keyframeIntervalSeconds
        r.audioBitrateKbps = try c.decodeIfPresent(Int.self, forKey: .audioBitrateKbps) ?? r.audioBitrateKbps
        r.loudnessLUFS = try c.decodeIfPresent(Double.self, forKey: .loudnessLUFS) ?? r.loudnessLUFS
        r.truePeakDBTP = try c.decodeIfPresent(Double.self, forKey: .truePeakDBTP) ?? r.truePeakDBTP
        r.loudnessRangeLU = try c.decodeIfPresent(Double.self, forKey: .loudnessRangeLU) ?? r.loudnessRangeLU
        if c.contains(.maxDurationSeconds) { r.maxDurationSeconds = try c.decodeIfPresent(Double.self, forKey: .maxDurationSeconds) }
        r.shortSide = try c.decodeIfPresent(Int.self, forKey: .shortSide) ?? r.shortSide
        if c.contains(.level) { r.level = try c.decodeIfPresent(String.self, forKey: .level) }
        r.normaliseLoudness = try c.decodeIfPresent(Bool.self, forKey: .normaliseLoudness) ?? r.normaliseLoudness
        self = r
    }

    /// "No length limit" and "x264 chooses the level" are written as null: a missing field reads
    /// back as the reply's default (140 s, 4.1).
    public func encode(to encoder: any Swift.Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(x264Preset, forKey: .x264Preset)
        try c.encodeIfPresent(x264Subme, forKey: .x264Subme)
        try c.encode(crf, forKey: .crf)
        try c.encode(maxrateKbps, forKey: .maxrateKbps)
        try c.encode(bufsizeKbps, forKey: .bufsizeKbps)
        try c.encode(keyframeIntervalSeconds, forKey: .keyframeIntervalSeconds)
        try c.encode(audioBitrateKbps, forKey: .audioBitrateKbps)
        try c.encode(loudnessLUFS, forKey: .loudnessLUFS)
        try c.encode(truePeakDBTP, forKey: .truePeakDBTP)
        try c.encode(loudnessRangeLU, forKey: .loudnessRangeLU)
        try c.encode(maxDurationSeconds, forKey: .maxDurationSeconds)
        try c.encodeIfPresent(shortSide, forKey: .shortSide)
        try c.encode(level, forKey: .level)
        try c.encode(normaliseLoudness, forKey: .normaliseLoudness)
    }
}

/// The part of a clip to keep, in seconds from the start of its pictures.
public struct Trim: Sendable, Codable, Equatable {
    public var start: Double
    public var end: Double?

    public init(start: Double = 0, end: Double? = nil) {
        self.start = start
        self.end = end
    }
}
