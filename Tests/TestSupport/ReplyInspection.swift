import Foundation

/// What a person checks on a rendered reply, read with ffprobe (never with the product's code).
public struct ReplyInspection {
    public let path: String
    public let format: FFprobe.JSON
    public let streams: [FFprobe.JSON]

    public init(_ path: String) throws {
        self.path = path
        (format, streams) = try FFprobe.formatAndStreams(path)
    }

    public var video: FFprobe.JSON? { streams.first { $0.string("codec_type") == "video" } }
    public var audio: FFprobe.JSON? { streams.first { $0.string("codec_type") == "audio" } }

    /// Top-level MP4 boxes in file order, from ffprobe's trace log.
    public func topLevelBoxes() throws -> [String] {
        let result = try ExternalTool.run("ffprobe", ["-v", "trace", path])
        return result.stderr.split(separator: "\n").compactMap { line in
            guard line.contains("parent:'root'"), let r = line.range(of: "type:'") else { return nil }
            return String(line[r.upperBound...].prefix(4))
        }
    }

    /// For every keyframe packet, whether it holds an IDR slice (NAL type 5): closed GOPs only.
    public func keyframesAreIDR() throws -> (keyframes: Int, nonIDR: Int) {
        let j = try FFprobe.json(path, ["-select_streams", "v:0", "-show_entries", "packet=flags,data", "-show_data"])
        var keyframes = 0, nonIDR = 0
        for packet in j["packets"] as? [FFprobe.JSON] ?? [] where packet.string("flags")?.hasPrefix("K") == true {
            keyframes += 1
            let bytes = Self.hexDump(packet.string("data") ?? "")
            var offset = 0, sawIDR = false
            while offset + 4 < bytes.count {
                let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
                offset += 4
                guard length > 0, offset < bytes.count else { break }
                if bytes[offset] & 0x1F == 5 { sawIDR = true }
                offset += length
            }
            if !sawIDR { nonIDR += 1 }
        }
        return (keyframes, nonIDR)
    }

    /// Every tag key in the file (format and streams).
    public var allTagKeys: [String] {
        Array(format.tags.keys) + streams.flatMap { $0.tags.keys }
    }

    /// ffprobe -show_data prints "00000000: 0000 0a1b ...  ascii"; this reads the hex columns back.
    static func hexDump(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let hexPart = line[line.index(after: colon)...].prefix(41)
            for group in hexPart.split(separator: " ") {
                var chars = Array(group)
                while chars.count >= 2 {
                    if let b = UInt8(String(chars[0..<2]), radix: 16) { bytes.append(b) }
                    chars.removeFirst(2)
                }
            }
        }
        return bytes
    }

    /// One decoded frame at `seconds`, scaled to `width`x`height`, as RGB24 bytes (ffmpeg decodes).
    public func rgbFrame(at seconds: Double, width: Int, height: Int) throws -> [UInt8] {
        // -ss after -i: decode from the start and stop at the exact frame, not at a nearby keyframe.
        let result = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", path, "-ss", String(seconds), "-frames:v", "1",
                                                     "-vf", "scale=\(width):\(height)", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        guard result.status == 0, result.stdout.count == width * height * 3 else {
            throw OracleError("ffmpeg could not decode a frame of \(path) at \(seconds) s: \(result.stderr)")
        }
        return [UInt8](result.stdout)
    }

    /// Integrated loudness (LUFS) and true peak (dBTP) measured by ffmpeg's ebur128 filter.
    public func loudness() throws -> (integrated: Double, truePeak: Double) {
        let result = try ExternalTool.run("ffmpeg", ["-hide_banner", "-nostats", "-i", path, "-map", "0:a:0",
                                                     "-af", "ebur128=peak=true", "-f", "null", "-"])
        let summary = result.stderr.components(separatedBy: "Summary:").last ?? ""
        func value(after label: String) -> Double? {
            guard let r = summary.range(of: label) else { return nil }
            return Double(summary[r.upperBound...].trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        guard let i = value(after: "I:"), let tp = value(after: "Peak:") else {
            throw OracleError("ebur128 printed no summary for \(path)")
        }
        return (i, tp)
    }

    /// RMS level (dBFS) of the audio between two times, by ffmpeg's astats.
    public func audioLevel(from start: Double, to end: Double) throws -> Double {
        let result = try ExternalTool.run("ffmpeg", ["-hide_banner", "-nostats", "-i", path, "-map", "0:a:0",
                                                     "-af", "atrim=start=\(start):end=\(end),astats=measure_perchannel=none",
                                                     "-f", "null", "-"])
        guard let line = result.stderr.split(separator: "\n").first(where: { $0.contains("RMS level dB") }) else {
            throw OracleError("astats printed no RMS level for \(path)")
        }
        let text = line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)
        return text == "-inf" ? -200 : Double(text) ?? 0
    }
}
