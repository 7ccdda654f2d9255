/// Checks cues against the broadcast caption rules for a frame (DESIGN.md): lines per cue,
/// characters per line after re-wrapping, minimum time on screen, reading speed, gaps, and cues
/// outside the clip. Findings are warnings for the manifest; they never stop a job.
public enum CaptionLinter {
    /// Gaps shorter than two frames at 30 fps read as flicker.
    static let minimumGap = 2.0 / 30

    public static func lint(_ track: CaptionTrack, rules: CaptionLayoutRules, clipDuration: Double?) -> [CaptionFinding] {
        var findings: [CaptionFinding] = []
        func warn(_ cue: CaptionCue, _ rule: String, _ message: String) {
            findings.append(.init(.warning, file: track.file, line: cue.sourceLine, rule: rule, message))
        }
        for (index, cue) in track.cues.enumerated() {
            if let clipDuration, cue.start >= clipDuration {
                warn(cue, "past-end", "starts at \(CaptionTime.subRip(cue.start)), after the clip ends (\(CaptionTime.subRip(clipDuration))): it will not be shown")
                continue
            }
            if let clipDuration, cue.end > clipDuration + 0.001 {
                warn(cue, "past-end", "runs past the clip's end (\(CaptionTime.subRip(clipDuration))): it will be cut there")
            }
            if cue.duration < rules.minimumDuration && cue.duration > 0 {
                warn(cue, "min-duration", String(format: "on screen for %.2f s; at least %.1f s is needed to read it", cue.duration, rules.minimumDuration))
            }
            let characters = cue.text.count
            if cue.duration > 0 {
                let speed = Double(characters) / cue.duration
                if speed > rules.maxCharactersPerSecond {
                    warn(cue, "reading-speed", String(format: "reads at %.0f characters a second (limit %.0f): shorten the text or show it longer", speed, rules.maxCharactersPerSecond))
                }
            }
            let wrapped = LineWrapper.wrap(cue.text, maxCharacters: rules.maxCharactersPerLine, maxLines: rules.maxLines)
            if wrapped.count > rules.maxLines {
                warn(cue, "lines", "needs \(wrapped.count) lines of at most \(rules.maxCharactersPerLine) characters (limit \(rules.maxLines)): split the cue")
            }
            if let long = wrapped.first(where: { $0.count > rules.maxCharactersPerLine }) {
                warn(cue, "line-length", "the line '\(long)' is \(long.count) characters (limit \(rules.maxCharactersPerLine))")
            }
            if index > 0 {
                let gap = cue.start - track.cues[index - 1].end
                if gap > 0 && gap < minimumGap {
                    warn(cue, "gap", String(format: "follows the previous cue after %.3f s, which flickers: close the gap or leave at least 2 frames", gap))
                }
            }
        }
        return findings
    }
}
