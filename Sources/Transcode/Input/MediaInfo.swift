/// What `mediaorch probe` reports about a file: the facts a job needs to plan a render and a
/// producer needs to see why a clip looks the way it does.
public struct MediaInfo: Sendable, Codable {
    public var file: String
    public var container: String
    /// Seconds; nil when the container does not record it.
    public var duration: Double?
    public var size: Int64
    public var bitRate: Int64?
    /// False when an MP4/MOV is cut short (moov missing or the last box runs past the end).
    public var containerComplete: Bool
    public var streams: [StreamInfo]
    /// Tags that identify a person, a place or a device; none may reach an output.
    public var identifyingMetadata: [IdentifyingTag]

    public var hasGPS: Bool { identifyingMetadata.contains { $0.kind == .gps } }
    public var videoStreams: [StreamInfo] { streams.filter { $0.type == .video } }
    public var audioStreams: [StreamInfo] { streams.filter { $0.type == .audio } }
}

public struct StreamInfo: Sendable, Codable {
    public enum MediaType: String, Sendable, Codable { case video, audio, subtitle, data, attachment, unknown }

    public var index: Int
    public var type: MediaType
    public var codec: String
    public var profile: String?
    public var startTime: Double?
    public var duration: Double?
    public var bitRate: Int64?
    /// The container's handler name ("Core Media Video", "GoPro MET"): tells telemetry tracks apart.
    public var handler: String?

    // Video
    public var pixelFormat: String?
    public var bitDepth: Int?
    public var width: Int?
    public var height: Int?
    /// Nil when the file does not say (players then assume square pixels).
    public var sampleAspectRatio: Rational?
    /// Degrees as the display matrix states them (ffprobe's convention: -90 shows a landscape
    /// frame as portrait); 0 when there is no matrix.
    public var rotation: Double?
    public var displayWidth: Int?
    public var displayHeight: Int?
    public var realFrameRate: Rational?
    public var averageFrameRate: Rational?
    public var variableFrameRate: Bool?
    public var fieldOrder: String?
    public var colorPrimaries: String?
    public var colorTransfer: String?
    public var colorSpace: String?
    public var colorRange: String?
    /// "PQ" or "HLG" for HDR video, nil for SDR.
    public var hdr: String?
    public var dolbyVision: Bool?
    /// A cover picture or a still track rather than the camera's video.
    public var attachedPicture: Bool?
    public var frameCount: Int?

    // Audio
    public var channels: Int?
    public var channelLayout: String?
    public var sampleRate: Int?

    public var isHDR: Bool { hdr != nil }
    public var isRotatedQuarterTurn: Bool {
        guard let rotation else { return false }
        let r = Int((rotation.truncatingRemainder(dividingBy: 360) + 360).rounded()) % 360
        return r == 90 || r == 270
    }
}

/// A metadata entry that identifies someone or something: where it was filmed, on which device.
public struct IdentifyingTag: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case gps, make, model, serial, software, date, owner, telemetry
    }
    public var kind: Kind
    /// The tag's key as the container spells it ("com.apple.quicktime.location.ISO6709").
    public var key: String
    public var value: String
    /// "format" for file-level tags, "stream N" for a stream's.
    public var scope: String
}
