import Foundation

/// WebVTT (.vtt): the WEBVTT header, NOTE/STYLE/REGION blocks, cue identifiers, cue settings
/// (line:85%), voice and style tags, entities.
public enum WebVTTParser {
    public static func parse(_ data: Data, file: String) throws -> CaptionTrack {
        let lines = try CaptionTextDecoding.lines(of: data, file: file)
        guard let first = lines.first, first.hasPrefix("WEBVTT") else {
            throw CaptionError(file: file, line: 1, "a WebVTT file must start with 'WEBVTT'")
        }
        var cues: [CaptionCue] = []
        var i = 1
        // Skip the header block (WEBVTT line and any header lines up to the first blank line).
        while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).isEmpty { i += 1 }
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.isEmpty { i += 1; continue }
            if line.hasPrefix("NOTE") || line == "STYLE" || line == "REGION" {
                while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).isEmpty { i += 1 }
                continue
            }
            var timingIndex = i
            if !line.contains("-->") {
                guard i + 1 < lines.count, lines[i + 1].contains("-->") else {
                    throw CaptionError(file: file, line: i + 1, "expected a cue timing like '00:01.000 --> 00:02.500', found '\(String(line.prefix(60)))'")
                }
                timingIndex = i + 1 // `line` was the cue identifier
            }
            let (start, end, position) = try parseTiming(lines[timingIndex], file: file, line: timingIndex + 1)
            var text: [String] = []
            var voice: String?
            i = timingIndex + 1
            while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).isEmpty {
                let parsed = WebVTTText.plain(lines[i])
                voice = voice ?? parsed.voice
                text.append(parsed.text.trimmingCharacters(in: .whitespaces))
                i += 1
            }
            text.removeAll { $0.isEmpty }
            guard !text.isEmpty else { continue }
            cues.append(CaptionCue(start: start, end: end, lines: text, voice: voice, linePosition: position, sourceLine: timingIndex + 1))
        }
        return CaptionTrackChecks.finish(file: file, cues: cues, findings: [])
    }

    static func parseTiming(_ raw: String, file: String, line: Int) throws -> (Double, Double, Double?) {
        let parts = raw.components(separatedBy: "-->")
        guard parts.count == 2 else { throw CaptionError(file: file, line: line, "bad timing line '\(raw)'") }
        let startText = parts[0].trimmingCharacters(in: .whitespaces)
        let rest = parts[1].split(separator: " ", omittingEmptySubsequences: true)
        guard let endText = rest.first else { throw CaptionError(file: file, line: line, "timing line has no end time") }
        guard let start = CaptionTime.parse(Substring(startText), allowShort: true), !startText.contains(",") else {
            throw CaptionError(file: file, line: line, "bad timestamp '\(startText)'")
        }
        guard let end = CaptionTime.parse(endText, allowShort: true), !endText.contains(",") else {
            throw CaptionError(file: file, line: line, "bad timestamp '\(endText)'")
        }
        guard end >= start else { throw CaptionError(file: file, line: line, "cue ends (\(endText)) before it starts (\(startText))") }
        var position: Double?
        for setting in rest.dropFirst() {
            let kv = setting.split(separator: ":", maxSplits: 1)
            guard kv.count == 2 else { continue }
            if kv[0] == "line", kv[1].hasSuffix("%") || kv[1].contains("%,") {
                let number = kv[1].split(separator: "%").first.flatMap { Double($0) }
                position = number.map { min(100, max(0, $0)) / 100 }
            }
        }
        return (start, end, position)
    }
}

/// The text of a WebVTT cue line without its markup.
enum WebVTTText {
    static func plain(_ line: String) -> (text: String, voice: String?) {
        var out = ""
        var voice: String?
        var index = line.startIndex
        while index < line.endIndex {
            let ch = line[index]
            if ch == "<", let close = line[index...].firstIndex(of: ">") {
                let tag = line[line.index(after: index)..<close]
                if tag.hasPrefix("v ") || tag.hasPrefix("v.") {
                    let name = tag.split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init)
                    voice = voice ?? name?.trimmingCharacters(in: .whitespaces)
                }
                index = line.index(after: close)
                continue
            }
            if ch == "&", let semi = line[index...].prefix(10).firstIndex(of: ";") {
                let name = String(line[line.index(after: index)..<semi])
                if let decoded = entity(name) {
                    out.append(decoded)
                    index = line.index(after: semi)
                    continue
                }
            }
            out.append(ch)
            index = line.index(after: index)
        }
        return (out, voice)
    }

    static func entity(_ name: String) -> String? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "nbsp": return "\u{00A0}"
        case "lrm": return "\u{200E}"
        case "rlm": return "\u{200F}"
        case "quot": return "\""
        case "apos": return "'"
        default:
            if name.hasPrefix("#x") || name.hasPrefix("#X"), let v = UInt32(name.dropFirst(2), radix: 16), let s = Unicode.Scalar(v) { return String(s) }
            if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let s = Unicode.Scalar(v) { return String(s) }
            return nil
        }
    }
}
