/// What the filter graph needs to draw the end card: its length and its pictures and sound.
/// The words on it arrive with the captions' ASS script.
public struct EndCardVisual: Sendable, Equatable {
    public var duration: Double
    /// "#RRGGBB".
    public var backgroundColor: String
    /// Absolute paths, resolved and checked by the caller.
    public var backgroundImage: String?
    public var logo: String?
    public var sound: String?

    public init(duration: Double, backgroundColor: String, backgroundImage: String? = nil, logo: String? = nil, sound: String? = nil) {
        self.duration = duration
        self.backgroundColor = backgroundColor
        self.backgroundImage = backgroundImage
        self.logo = logo
        self.sound = sound
    }

    /// libavfilter's colour syntax ("0x0B3D2E"), or black for anything that is not #RRGGBB.
    var filterColor: String {
        let hex = backgroundColor.hasPrefix("#") ? String(backgroundColor.dropFirst()) : backgroundColor
        guard hex.count == 6, hex.allSatisfy(\.isHexDigit) else { return "black" }
        return "0x" + hex
    }
}

/// The output's shape, given to whoever styles the burned-in text.
public struct RenderGeometry: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Length of the clip part (seconds); the card, if any, starts here.
    public var clipDuration: Double
    public var cardDuration: Double
}
