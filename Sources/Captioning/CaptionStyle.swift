/// How burned-in captions look, as a template states it.
public struct CaptionStyle: Sendable, Codable, Equatable {
    /// A family fontconfig knows; glyphs it lacks (Arabic) come from fallback fonts.
    public var font = "Noto Sans"
    /// Opacity of the dark box behind the text, 0...1.
    public var boxOpacity = 0.65

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        font = try c.decodeIfPresent(String.self, forKey: .font) ?? font
        boxOpacity = try c.decodeIfPresent(Double.self, forKey: .boxOpacity) ?? boxOpacity
    }
}

/// The #TakeAction end card a template describes: a few seconds after the clip.
public struct EndCardTemplate: Sendable, Codable, Equatable {
    public var durationSeconds = 4.0
    /// "#RRGGBB".
    public var backgroundColor = "#0B3D2E"
    /// A picture (PNG/JPEG) beside the template, scaled to fill the frame; replaces the colour.
    public var backgroundImage: String?
    public var hashtag = "#TakeAction"
    /// The call to action by language code; "en" is the fallback.
    public var text: [String: String] = ["en": "Outrage is not enough. Sign the petition."]
    public var petitionUrl: String
    /// A PNG logo beside the template, shown at the top.
    public var logo: String?
    /// A sound beside the template for the card; silence without one.
    public var sound: String?
    public var font = "Noto Sans"

    public init(petitionUrl: String) {
        self.petitionUrl = petitionUrl
    }

    public func text(for language: String?) -> String {
        language.flatMap { text[$0] } ?? text["en"] ?? text.values.sorted().first ?? ""
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        petitionUrl = try c.decode(String.self, forKey: .petitionUrl)
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds) ?? durationSeconds
        backgroundColor = try c.decodeIfPresent(String.self, forKey: .backgroundColor) ?? backgroundColor
        backgroundImage = try c.decodeIfPresent(String.self, forKey: .backgroundImage)
        hashtag = try c.decodeIfPresent(String.self, forKey: .hashtag) ?? hashtag
        text = try c.decodeIfPresent([String: String].self, forKey: .text) ?? text
        logo = try c.decodeIfPresent(String.self, forKey: .logo)
        sound = try c.decodeIfPresent(String.self, forKey: .sound)
        font = try c.decodeIfPresent(String.self, forKey: .font) ?? font
    }
}
