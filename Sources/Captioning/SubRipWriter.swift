/// Writes cues as SubRip, the sidecar X's subtitle upload takes.
public enum SubRipWriter {
    public static func text(_ cues: [CaptionCue]) -> String {
        var out = ""
        for (index, cue) in cues.enumerated() {
            out += "\(index + 1)\n\(CaptionTime.subRip(cue.start)) --> \(CaptionTime.subRip(cue.end))\n"
            out += cue.lines.joined(separator: "\n") + "\n\n"
        }
        return out
    }
}
