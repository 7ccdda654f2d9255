import CAV
import Foundation

/// How bright an HDR clip is graded to go, in the unit of libav's tonemap (1 = 100 cd/m²): what
/// Hable's curve brings down to SDR white. Read as tonemap reads it from a picture (the content
/// light level's MaxCLL, else the mastering display's peak, else 10 000 cd/m² for PQ and 1 000
/// for HLG), but once for the whole clip. libav's HEVC decoder attaches those messages only to
/// the stretch of pictures they came with, so read picture by picture the curve could change in
/// the middle of a clip; and one value is what lets one table stand for the clip (`ToneMapLUT`).
struct SignalPeak: Equatable, Sendable {
    /// Within 1...100: messages beyond what any display is graded for (below SDR white, above
    /// PQ's 10 000 cd/m²) are damaged, and are held to that range.
    let value: Double
    /// Where the value came from, in words, for `mediaorch plan`.
    let source: String

    init(_ value: Double, source: String) {
        self.value = min(100, max(1, value))
        self.source = source
    }

    /// For the `peak` option of the tonemap filter: at most four decimals, no exponent.
    var filterValue: String {
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// What tonemap assumes when nothing is said.
    static func nominal(for video: StreamInfo) -> SignalPeak {
        video.hdr == "PQ" ? SignalPeak(100, source: "PQ's 10000 cd/m² (the clip states none)")
            : SignalPeak(10, source: "HLG's nominal 1000 cd/m² (the clip states none)")
    }

    /// From a decoded picture's messages, or nil when it carries none that say.
    init?(picture frame: UnsafePointer<AVFrame>) {
        let light = av_frame_get_side_data(frame, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL)
        let display = av_frame_get_side_data(frame, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA)
        self.init(light: light?.pointee.data, lightSize: light.map { Int($0.pointee.size) } ?? 0,
                  display: display?.pointee.data, displaySize: display.map { Int($0.pointee.size) } ?? 0, from: "the first picture's")
    }

    /// From the container's records of the stream (an MP4's clli and mdcv boxes, Matroska's colour
    /// elements), or nil when it has none that say.
    init?(stream: UnsafePointer<AVStream>) {
        var lightSize = 0, displaySize = 0
        let light = av_stream_get_side_data(stream, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, &lightSize)
        let display = av_stream_get_side_data(stream, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, &displaySize)
        self.init(light: light, lightSize: lightSize, display: display, displaySize: displaySize, from: "the container's")
    }

    private init?(light: UnsafeMutablePointer<UInt8>?, lightSize: Int, display: UnsafeMutablePointer<UInt8>?, displaySize: Int, from origin: String) {
        if let bytes = light, lightSize >= MemoryLayout<AVContentLightMetadata>.size {
            let maxCLL = UnsafeRawPointer(bytes).loadUnaligned(as: AVContentLightMetadata.self).MaxCLL
            if maxCLL > 0 { self.init(Double(maxCLL) / 100, source: "\(origin) content light level (MaxCLL \(maxCLL) cd/m²)"); return }
        }
        if let bytes = display, displaySize >= MemoryLayout<AVMasteringDisplayMetadata>.size {
            let metadata = UnsafeRawPointer(bytes).loadUnaligned(as: AVMasteringDisplayMetadata.self)
            let nits = metadata.max_luminance.den > 0 ? av_q2d(metadata.max_luminance) : 0
            if metadata.has_luminance != 0, nits.isFinite, nits > 0 {
                self.init(nits / 100, source: "\(origin) mastering display (\(Int(nits.rounded())) cd/m²)")
                return
            }
        }
        return nil
    }
}

extension Demuxer {
    /// `video`'s peak: from its first picture, else from the container, else the nominal one.
    func signalPeak(of video: StreamInfo) throws -> SignalPeak {
        try firstPicture(of: video.index, SignalPeak.init(picture:)) ?? SignalPeak(stream: stream(video.index)) ?? .nominal(for: video)
    }
}
