extension CaptionTrack {
    /// The cues as they fall in an output that starts `offset` seconds into the clip and lasts
    /// `duration`: shifted, cut at the edges, and dropped when wholly outside.
    public func retimed(offset: Double, duration: Double) -> [CaptionCue] {
        cues.compactMap { cue in
            var c = cue
            c.start = max(0, cue.start - offset)
            c.end = min(duration, cue.end - offset)
            return c.end > c.start ? c : nil
        }
    }
}
