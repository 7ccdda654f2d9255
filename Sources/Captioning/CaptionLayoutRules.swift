/// Broadcast caption rules from the design card, per frame shape. The linter and the ASS
/// styling both read these, so the numbers live in one place.
public struct CaptionLayoutRules: Sendable, Equatable {
    public var maxLines: Int
    public var maxCharactersPerLine: Int
    public var minimumDuration: Double
    public var maxCharactersPerSecond: Double
    /// Fraction of the frame height one text line takes.
    public var lineHeightFraction: Double
    /// The safe area as fractions of the frame (centred).
    public var safeWidthFraction: Double
    public var safeHeightFraction: Double

    /// Rules for a frame of the given size: portrait (9:16) frames get narrower lines, a third
    /// line and a smaller line height; landscape and square use the 16:9 figures.
    public static func forFrame(width: Int, height: Int) -> CaptionLayoutRules {
        if height > width {
            return CaptionLayoutRules(maxLines: 3, maxCharactersPerLine: 32, minimumDuration: 0.8,
                                      maxCharactersPerSecond: 20, lineHeightFraction: 0.045,
                                      safeWidthFraction: 0.90, safeHeightFraction: 0.75)
        }
        return CaptionLayoutRules(maxLines: 2, maxCharactersPerLine: 42, minimumDuration: 0.8,
                                  maxCharactersPerSecond: 20, lineHeightFraction: 0.075,
                                  safeWidthFraction: 0.90, safeHeightFraction: 0.90)
    }
}
