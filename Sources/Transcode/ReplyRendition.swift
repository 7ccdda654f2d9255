/// Encoder and rule settings of the X reply, as a job template states them. Every field has the
/// production default, so a template names only what it changes.
public struct ReplyRendition: Sendable, Codable, Equatable {
    /// x264 speed/quality trade-off; replies favour speed ("veryfast").
    public var x264Preset = "veryfast"
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
    /// X's limit for a video reply.
    public var maxDurationSeconds = 140.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case x264Preset, crf, maxrateKbps, bufsizeKbps, keyframeIntervalSeconds, audioBitrateKbps
        case loudnessLUFS = "loudnessLufs", truePeakDBTP = "truePeakDbtp", loudnessRangeLU = "loudnessRangeLu"
        case maxDurationSeconds
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var r = ReplyRendition()
        r.x264Preset = try c.decodeIfPresent(String.self, forKey: .x264Preset) ?? r.x264Preset
        r.crf = try c.decodeIfPresent(Int.self, forKey: .crf) ?? r.crf
        r.maxrateKbps = try c.decodeIfPresent(Int.self, forKey: .maxrateKbps) ?? r.maxrateKbps
        r.bufsizeKbps = try c.decodeIfPresent(Int.self, forKey: .bufsizeKbps) ?? r.bufsizeKbps
        r.keyframeIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .keyframeIntervalSeconds) ?? r.keyframeIntervalSeconds
        r.audioBitrateKbps = try c.decodeIfPresent(Int.self, forKey: .audioBitrateKbps) ?? r.audioBitrateKbps
        r.loudnessLUFS = try c.decodeIfPresent(Double.self, forKey: .loudnessLUFS) ?? r.loudnessLUFS
        r.truePeakDBTP = try c.decodeIfPresent(Double.self, forKey: .truePeakDBTP) ?? r.truePeakDBTP
        r.loudnessRangeLU = try c.decodeIfPresent(Double.self, forKey: .loudnessRangeLU) ?? r.loudnessRangeLU
        r.maxDurationSeconds = try c.decodeIfPresent(Double.self, forKey: .maxDurationSeconds) ?? r.maxDurationSeconds
        self = r
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
