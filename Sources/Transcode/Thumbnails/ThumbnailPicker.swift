/// Chooses the reply's still from the frames of the one decode: it samples frames spread across
/// the clip (away from the first and last second), keeps a reference to the best so far — usable
/// (not black or faded) first, then sharpest — and lets the others go. No pixel is copied and the
/// file is never read a second time.
final class ThumbnailPicker {
    private let duration: Double
    private let interval: Double
    private var nextSample: Double
    private var best: (frame: Frame, quality: FrameQuality, time: Double)?
    private(set) var framesSeen = 0
    private(set) var framesScored = 0
    /// The source's name, for messages.
    private let fileName: String

    init(clipDuration: Double, samples: Int = 40, fileName: String) {
        self.fileName = fileName
        duration = clipDuration
        // Away from the first second and the last one when the clip is long enough to allow it.
        let margin = clipDuration >= 3 ? 1.0 : clipDuration * 0.2
        nextSample = margin
        interval = max(0.2, (clipDuration - 2 * margin) / Double(samples))
        lastUsable = clipDuration - margin
    }

    private let lastUsable: Double

    /// Looks at a decoded frame (time in output seconds). Keeps a reference only if it is the best
    /// yet. Throws only when memory runs out for the reference.
    func offer(_ frame: Frame, at time: Double) throws {
        framesSeen += 1
        guard time >= nextSample, time <= lastUsable else { return }
        nextSample = time + interval
        guard let quality = FrameQuality(frame: frame) else { return }
        framesScored += 1
        if let current = best, !Self.isBetter(quality, than: current.quality) { return }
        if let reference = try frame.reference(file: fileName) { best = (reference, quality, time) }
    }

    static func isBetter(_ a: FrameQuality, than b: FrameQuality) -> Bool {
        if a.isUsable != b.isUsable { return a.isUsable }
        return a.isUsable ? a.sharpness > b.sharpness : a.contrast > b.contrast
    }

    var chosen: (frame: Frame, quality: FrameQuality, time: Double)? { best }
}
