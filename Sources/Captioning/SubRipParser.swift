import Foundation

/// SubRip (.srt): numbered blocks of "start --> end" and text lines. Tolerates what real files
/// have (a BOM, CRLF, UTF-16, '.' for ',', missing numbers, <i> and {\an8} tags); refuses what
/// cannot be timed, naming the line.
public enum SubRipParser {
    public static func parse(_ data: Data, file: String) throws -> CaptionTrack {
        let lines = try CaptionTextDecoding.lines(of: data, file: file)
        var cues: [CaptionCue] = []
        var findings: [CaptionFinding] = []
        var i = 0
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.isEmpty { i += 1; continue }
            var timingIndex = i
            if !line.contains("-->") {
                guard line.allSatisfy(\.isNumber), i + 1 < lines.count, lines[i + 1].contains("-->") else {
                    throw CaptionError(file: file, line: i + 1,
                                       "expected a cue number or a timing like '00:00:01,000 --> 00:00:02,500', found '\(String(line.prefix(60)))'")
                }
                timingIndex = i + 1
            }
            let (start, end) = try parseTiming(lines[timingIndex], file: file, line: timingIndex + 1)
            var text: [String] = []
            i = timingIndex + 1
            while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).isEmpty {
                text.append(stripTags(lines[i]).trimmingCharacters(in: .whitespaces))
                i += 1
            }
            text.removeAll { $0.isEmpty }
            if text.isEmpty {
                findings.append(.init(.warning, file: file, line: timingIndex + 1, rule: "empty-cue", "cue has no text and was skipped"))
                continue
            }
            cues.append(CaptionCue(start: start, end: end, lines: text, sourceLine: timingIndex + 1))
        }
        return CaptionTrackChecks.finish(file: file, cues: cues, findings: findings)
    }

    static func parseTiming(_ raw: String, file: String, line: Int) throws -> (Double, Double) {
        let parts = raw.components(separatedBy: "-->")
        guard parts.count == 2 else {
            throw CaptionError(file: file, line: line, "bad timing line '\(raw)': expected 'start --> end'")
        }
        let startText = parts[0].trimmingCharacters(in: .whitespaces)
        // SRT may carry display coordinates after the end time ("X1:100 X2:..."): ignore them.
        let endText = parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
        guard let start = CaptionTime.parse(Substring(startText), allowShort: false) else {
            throw CaptionError(file: file, line: line, "bad timestamp '\(startText)'")
        }
        guard let end = CaptionTime.parse(Substring(endText), allowShort: false) else {
            throw CaptionError(file: file, line: line, "bad timestamp '\(endText)'")
        }
        guard end >= start else {
            throw CaptionError(file: file, line: line, "cue ends (\(endText)) before it starts (\(startText))")
        }
        return (start, end)
    }

    /// Drops HTML-like tags (<i>, <font color=...>) and ASS override blocks ({\an8}).
    static func stripTags(_ text: String) -> String {
        var out = ""
        var depthAngle = false, depthBrace = false
        for ch in text {
            switch ch {
            case "<": depthAngle = true
            case ">" where depthAngle: depthAngle = false
            case "{": depthBrace = true
            case "}" where depthBrace: depthBrace = false
            default: if !depthAngle && !depthBrace { out.append(ch) }
            }
        }
        return out
    }
}

/// Checks every parser runs once the cues are read: time order, overlaps, zero length.
enum CaptionTrackChecks {
    static func finish(file: String, cues unsorted: [CaptionCue], findings: [CaptionFinding]) -> CaptionTrack {
        var findings = findings
        let cues = unsorted.sorted { $0.start < $1.start }
        if cues.isEmpty {
            findings.append(.init(.warning, file: file, line: nil, rule: "no-cues", "has no cues"))
        }
        for (index, cue) in cues.enumerated() {
            if cue.end == cue.start {
                findings.append(.init(.warning, file: file, line: cue.sourceLine, rule: "zero-length", "cue lasts 0 s and will not be seen"))
            }
            if index > 0, cue.start < cues[index - 1].end {
                findings.append(.init(.warning, file: file, line: cue.sourceLine, rule: "overlap",
                                      "cue overlaps the previous one (which ends at \(CaptionTime.subRip(cues[index - 1].end)))"))
            }
        }
        return CaptionTrack(file: file, cues: cues, findings: findings)
    }
}
