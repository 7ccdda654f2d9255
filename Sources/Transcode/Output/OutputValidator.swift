import CAV
import Foundation

/// Checks a finished MP4 against X's upload rules (DESIGN.md) with the product's own code on
/// libav: re-opens it, reads every packet, decodes the opening seconds, and names each rule that fails.
public struct OutputValidator {
    /// Which rules apply: X's upload rules for a reply; for an editors' cut, only what makes a
    /// sound, clean file (no length or size limit, HEVC and rotation allowed when copied).
    public enum Profile: Sendable { case xUpload, editorsCut }

    public let path: String
    public let displayName: String
    public let profile: Profile

    public init(path: String, displayName: String? = nil, profile: Profile = .xUpload) {
        self.path = path
        self.displayName = displayName ?? URL(fileURLWithPath: path).lastPathComponent
        self.profile = profile
    }

    public static let maxBytes: Int64 = 512 * 1024 * 1024

    public func validate() -> ValidationReport {
        var checks: [ValidationReport.Check] = []
        func check(_ rule: String, _ passed: Bool, _ found: String, _ severity: ValidationReport.Check.Severity = .required) {
            checks.append(.init(rule: rule, passed: passed, found: found, severity: severity))
        }
        // X's own limits apply to a reply only; an editors' cut is checked for being a sound, clean file.
        let forX = profile == .xUpload

        let input: Demuxer, info: MediaInfo
        do {
            input = try Demuxer(path: path)
            info = try input.probe()
        } catch {
            check("readable MP4", false, "\(error)")
            return ValidationReport(file: displayName, checks: checks)
        }
        let layout = ISOBaseMediaLayout(path: path)
        check("MP4 container", info.container.contains("mp4") && layout != nil && !path.lowercased().hasSuffix(".mov"), info.container)
        check("moov before mdat (faststart)", layout?.movieBoxFirst == true,
              layout.map { $0.boxes.map(\.type).joined(separator: " ") } ?? "not an ISO media file")
        if forX {
            check("file size <= 512 MB", info.size <= Self.maxBytes, "\(info.size) bytes")
            let duration = info.duration ?? 0
            check("duration 0.5–140 s", duration >= 0.5 && duration <= 140.0, String(format: "%.3f s", duration))
        }

        let videos = info.videoStreams
        check("one video stream", videos.count == 1, "\(videos.count) video streams")
        if let v = videos.first {
            if forX {
                check("H.264 video", v.codec == "h264", v.codec)
                check("H.264 High profile", v.profile == "High", v.profile ?? "no profile")
                check("yuv420p pixels", v.pixelFormat == "yuv420p", v.pixelFormat ?? "unknown")
            } else {
                check("H.264 or HEVC video", ["h264", "hevc"].contains(v.codec), v.codec)
            }
            check("progressive", v.fieldOrder == "progressive" || v.fieldOrder == "unknown", v.fieldOrder ?? "unknown")
            let sar = v.sampleAspectRatio
            check("square pixels", sar == nil || sar!.num == sar!.den, sar?.description ?? "1:1")
            if forX {
                let w = v.width ?? 0, h = v.height ?? 0
                check("size 32x32 up to 1280 on the long side", min(w, h) >= 32 && max(w, h) <= 1280, "\(w)x\(h)")
                let aspect = h > 0 ? Double(w) / Double(h) : 0
                check("aspect ratio between 1:3 and 3:1", aspect >= 1.0 / 3 && aspect <= 3, String(format: "%.3f", aspect))
                let rate = v.averageFrameRate?.value ?? 0
                check("frame rate <= 60", rate > 0 && rate <= 60.001, v.averageFrameRate?.fraction ?? "unknown")
                check("constant frame rate", v.variableFrameRate == false, v.variableFrameRate == true ? "variable" : "constant")
                check("no rotation left in the display matrix", (v.rotation ?? 0) == 0, "\(v.rotation ?? 0)°")
                let gop = closedGOPCheck(input: input, streamIndex: v.index)
                check("closed GOP (every keyframe an IDR)", gop.passed, gop.found)
                check("30 or 60 fps", [30.0, 60.0].contains { abs(rate - $0) < 0.01 }, String(format: "%.3f fps", rate), .recommended)
            }
        }

        let audios = info.audioStreams
        check("at most one audio stream", audios.count <= 1, "\(audios.count) audio streams")
        if let a = audios.first {
            check("AAC-LC audio", a.codec == "aac" && a.profile == "LC", "\(a.codec) \(a.profile ?? "")")
            check("mono or stereo", a.channels == 1 || a.channels == 2, "\(a.channels ?? 0) channels")
            if forX {
                let kbps = (a.bitRate ?? 0) / 1000
                check("audio >= 128 kbps", kbps >= 128, "\(kbps) kbps", .recommended)
            }
        }
        let identifying = info.identifyingMetadata
        check("no GPS, device or telemetry metadata", identifying.isEmpty,
              identifying.isEmpty ? "none" : identifying.map { "\($0.key) (\($0.scope))" }.joined(separator: ", "))
        let decodes = decodesCleanly(input: input)
        check("decodes", decodes.passed, decodes.found)
        return ValidationReport(file: displayName, checks: checks)
    }

    /// Reads every packet of the video stream: each keyframe must carry an IDR slice.
    private func closedGOPCheck(input: Demuxer, streamIndex: Int) -> (passed: Bool, found: String) {
        let par = input.stream(streamIndex).pointee.codecpar.pointee
        guard par.codec_id == AV_CODEC_ID_H264, let extradata = par.extradata,
              let lengthSize = H264Bitstream.lengthSize(avcC: UnsafeBufferPointer(start: extradata, count: Int(par.extradata_size))) else {
            return (false, "no avcC record")
        }
        var keyframes = 0, openKeyframes = 0, packets = 0
        var firstIsKey: Bool? = nil
        let stoppedEarly: String?
        do {
            stoppedEarly = try input.forEachPacket(streams: [streamIndex], rewinding: true) { packet in
                packets += 1
                let isKey = (packet.pointer.pointee.flags & AV_PKT_FLAG_KEY) != 0
                if firstIsKey == nil { firstIsKey = isKey }
                guard isKey else { return .next }
                keyframes += 1
                if !H264Bitstream.carriesIDR(sample: packet.bytes, lengthSize: lengthSize) { openKeyframes += 1 }
                return .next
            }
        } catch {
            return (false, "\(error)")
        }
        let found = "\(keyframes) keyframes in \(packets) frames, \(openKeyframes) not IDR" + (firstIsKey == false ? ", first frame not a keyframe" : "")
            + (stoppedEarly.map { ", reading stopped early: \($0)" } ?? "")
        return (keyframes > 0 && openKeyframes == 0 && firstIsKey == true && stoppedEarly == nil, found)
    }

    /// Decodes the opening of every stream (the first GOP and more) from a fresh open: the file must play.
    private func decodesCleanly(input: Demuxer) -> (passed: Bool, found: String) {
        do {
            try input.rewind()
            let decoders = try input.allStreams
                .filter { [AVMEDIA_TYPE_VIDEO, AVMEDIA_TYPE_AUDIO].contains($0.pointee.codecpar.pointee.codec_type) }
                .map { try StreamDecoder(stream: $0, fileName: displayName, threads: 1) }
            let frame = try Frame(file: displayName)
            var framesDecoded = [Int: Int]()
            var read = 0
            try input.forEachPacket { packet in
                read += 1
                if let decoder = decoders.first(where: { $0.streamIndex == packet.streamIndex }) {
                    try decoder.send(packet)
                    while try decoder.receive(into: frame) { framesDecoded[decoder.streamIndex, default: 0] += 1; frame.unref() }
                }
                return read < 150 ? .next : .stop
            }
            for decoder in decoders {
                try decoder.send(nil)
                while try decoder.receive(into: frame) { framesDecoded[decoder.streamIndex, default: 0] += 1; frame.unref() }
            }
            let corrupt = decoders.reduce(0) { $0 + $1.corruptPackets }
            let silent = decoders.filter { (framesDecoded[$0.streamIndex] ?? 0) == 0 }
            let summary = decoders.map { "stream \($0.streamIndex): \(framesDecoded[$0.streamIndex] ?? 0) frames" }.joined(separator: ", ")
            return (corrupt == 0 && silent.isEmpty, corrupt > 0 ? "\(corrupt) corrupt packets; \(summary)" : summary)
        } catch {
            return (false, "\(error)")
        }
    }
}
