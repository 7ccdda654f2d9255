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

    /// From a camera's or container's messages (`origin` says which), or nil when they say nothing usable.
    init?(_ messages: HDRMessages, from origin: String) {
        if let maxCLL = messages.light?.MaxCLL, maxCLL > 0 {
            self.init(Double(maxCLL) / 100, source: "\(origin) content light level (MaxCLL \(maxCLL) cd/m²)")
        } else if let nits = messages.displayPeak {
            self.init(nits / 100, source: "\(origin) mastering display (\(Int(nits.rounded())) cd/m²)")
        } else {
            return nil
        }
    }
}

extension Demuxer {
    /// `video`'s peak: from its first picture, else from the container, else the nominal one.
    func signalPeak(of video: StreamInfo) throws -> SignalPeak {
        try firstPicture(of: video.index, HDRMessages.init(picture:)).flatMap { SignalPeak($0, from: "the first picture's") }
            ?? HDRMessages(stream: stream(video.index)).flatMap { SignalPeak($0, from: "the container's") } ?? .nominal(for: video)
    }
}
