import Foundation

/// Styles captions (and the end card's words) into an ASS script for libass, sized from the
/// output frame: font size from the line-height rule, margins inside the safe area, white text on
/// a dark box, base direction detected per line so Arabic reads right to left.
public struct ASSScript: Sendable {
    public let width: Int
    public let height: Int
    public let rules: CaptionLayoutRules
    public private(set) var events: [String] = []
    private var styles: [String] = []

    public init(width: Int, height: Int, captionStyle: CaptionStyle = CaptionStyle()) {
        self.width = width
        self.height = height
        rules = CaptionLayoutRules.forFrame(width: width, height: height)
        let margins = captionMargins
        let box = Self.colour(rgb: 0x000000, opacity: captionStyle.boxOpacity)
        // Encoding -1: libass detects each line's base direction (Arabic right to left).
        styles.append(style("Caption", font: captionStyle.font, size: captionFontSize, primary: "&H00FFFFFF", box: box,
                            border: 3, outline: max(2, captionFontSize / 5), alignment: 2,
                            marginH: margins.horizontal, marginV: margins.vertical))
    }

    /// Pixel size of the caption font: the design's line height (4.5% of a 9:16 frame, 7.5% of
    /// 16:9) with libass's line spacing taken out.
    public var captionFontSize: Int { Int((rules.lineHeightFraction * Double(height) / 1.2).rounded()) }

    /// Margins that keep text inside the safe area (central 90% wide; 75% high on 9:16).
    public var captionMargins: (horizontal: Int, vertical: Int) {
        (Int(((1 - rules.safeWidthFraction) / 2 * Double(width)).rounded()), Int(((1 - rules.safeHeightFraction) / 2 * Double(height)).rounded()))
    }

    /// Adds cues, re-wrapped for this frame; times are output seconds.
    public mutating func addCaptions(_ cues: [CaptionCue]) {
        for cue in cues {
            let lines = LineWrapper.wrap(cue.text, maxCharacters: rules.maxCharactersPerLine, maxLines: rules.maxLines)
            let top = (cue.linePosition ?? 1) < 0.5 ? "{\\an8}" : ""
            events.append(dialogue(start: cue.start, end: cue.end, style: "Caption",
                                   text: top + lines.map(Self.escape).joined(separator: "\\N")))
        }
    }

    /// Adds the end card's words from `start` for the card's duration: the hashtag large in the
    /// middle, the call to action under it, the petition URL near the bottom.
    public mutating func addEndCard(_ card: EndCardTemplate, language: String?, start: Double) {
        let end = start + card.durationSeconds
        let portrait = height > width
        let titleSize = Int(Double(height) * (portrait ? 0.055 : 0.10))
        let textSize = Int(Double(height) * (portrait ? 0.030 : 0.050))
        let urlSize = Int(Double(height) * (portrait ? 0.024 : 0.040))
        let h = Int(Double(width) * 0.06)
        styles.append(style("CardTitle", font: card.font, size: titleSize, primary: "&H00FFFFFF", box: "&HFF000000",
                            border: 1, outline: 0, alignment: 5, marginH: h, marginV: 0, bold: true))
        styles.append(style("CardText", font: card.font, size: textSize, primary: "&H00FFFFFF", box: "&HFF000000",
                            border: 1, outline: 0, alignment: 8, marginH: h, marginV: Int(Double(height) * 0.57)))
        styles.append(style("CardURL", font: card.font, size: urlSize, primary: "&H0000D7FF", box: "&HFF000000",
                            border: 1, outline: 0, alignment: 2, marginH: h, marginV: Int(Double(height) * 0.12)))
        let perLine = Int(Double(width) * 0.88 / (Double(textSize) * 0.55))
        let wrapped = LineWrapper.wrap(card.text(for: language), maxCharacters: max(10, perLine), maxLines: 4)
        events.append(dialogue(start: start, end: end, style: "CardTitle", text: Self.escape(card.hashtag)))
        events.append(dialogue(start: start, end: end, style: "CardText", text: wrapped.map(Self.escape).joined(separator: "\\N")))
        events.append(dialogue(start: start, end: end, style: "CardURL", text: Self.escape(card.petitionUrl)))
    }

    public var text: String {
        """
        [Script Info]
        ScriptType: v4.00+
        PlayResX: \(width)
        PlayResY: \(height)
        WrapStyle: 2
        ScaledBorderAndShadow: yes
        YCbCr Matrix: TV.709

        [V4+ Styles]
        Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
        \(styles.joined(separator: "\n"))

        [Events]
        Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
        \(events.joined(separator: "\n"))

        """
    }

    private func style(_ name: String, font: String, size: Int, primary: String, box: String, border: Int, outline: Int,
                       alignment: Int, marginH: Int, marginV: Int, bold: Bool = false) -> String {
        "Style: \(name),\(font),\(size),\(primary),&H000000FF,\(box),\(box),\(bold ? -1 : 0),0,0,0,100,100,0,0,\(border),\(outline),0,\(alignment),\(marginH),\(marginH),\(marginV),-1"
    }

    private func dialogue(start: Double, end: Double, style: String, text: String) -> String {
        "Dialogue: 0,\(CaptionTime.ass(start)),\(CaptionTime.ass(end)),\(style),,0,0,0,,\(text)"
    }

    /// ASS reads '{...}' as override tags and '\\N' as a break: caption text must not trigger either.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\u{FF3C}")
            .replacingOccurrences(of: "{", with: "\u{FF5B}")
            .replacingOccurrences(of: "}", with: "\u{FF5D}")
    }

    /// "&HAABBGGRR" with ASS's inverted alpha (00 opaque, FF transparent).
    static func colour(rgb: Int, opacity: Double) -> String {
        let alpha = Int(((1 - min(1, max(0, opacity))) * 255).rounded())
        let r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF
        return String(format: "&H%02X%02X%02X%02X", alpha, b, g, r)
    }
}
