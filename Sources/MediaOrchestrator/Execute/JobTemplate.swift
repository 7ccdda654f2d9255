import Foundation

/// A declarative job template from Jobs/ (twitter-reply, ...): which outputs a job makes and
/// with which settings.
public struct JobTemplate: Sendable, Codable, Equatable {
    public enum Output: String, Sendable, Codable, CaseIterable {
        case reply
        /// Stills picked from the reply's own decode (thumb.jpg, thumb-640.jpg, thumb-320.jpg).
        case thumbnails
        /// bts.mp4, the behind-the-scenes cut for editors: made after the reply, never before it.
        case bts
    }

    public var name: String
    public var description: String?
    public var outputs: [Output]
    public var reply: Rendition
    /// How burned-in captions look; the defaults when absent.
    public var captions: CaptionStyle?
    /// The #TakeAction end card after the reply; none when absent.
    public var endCard: EndCardTemplate?
    /// Settings of the editors' cut when it has to be re-encoded (default: 1080 short side, CRF 18).
    public var bts: Rendition?
    /// Burn the captions into the editors' cut too (default: no).
    public var btsCaptions: Bool?
    /// A cut between two times copies the camera's GOPs and re-encodes only its ends (default:
    /// yes); false re-encodes every picture, for a player that stumbles at the joins.
    public var btsSmartCut: Bool?
    /// The reply's words; the handle goes before and the petition URL after.
    public var postText: String?
    /// The folder the template was read from: its pictures and sounds are named relative to it.
    public var folder: String?

    public init(name: String, outputs: [Output], reply: Rendition = Rendition()) {
        self.name = name
        self.outputs = outputs
        self.reply = reply
    }

    enum CodingKeys: String, CodingKey { case name, description, outputs, reply, captions, endCard, bts, btsCaptions, btsSmartCut, postText, folder }

    /// Only `name` and `outputs` are required; every setting has its production default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        outputs = try c.decode([Output].self, forKey: .outputs)
        reply = try c.decodeIfPresent(Rendition.self, forKey: .reply) ?? Rendition()
        captions = try c.decodeIfPresent(CaptionStyle.self, forKey: .captions)
        endCard = try c.decodeIfPresent(EndCardTemplate.self, forKey: .endCard)
        bts = try c.decodeIfPresent(Rendition.self, forKey: .bts)
        btsCaptions = try c.decodeIfPresent(Bool.self, forKey: .btsCaptions)
        btsSmartCut = try c.decodeIfPresent(Bool.self, forKey: .btsSmartCut)
        postText = try c.decodeIfPresent(String.self, forKey: .postText)
        folder = nil
    }

    /// A file the template names (logo, background, sound), resolved inside its folder.
    public func asset(_ name: String) throws -> String {
        guard let folder = self.folder.map({ URL(fileURLWithPath: $0).standardizedFileURL }) else {
            throw OrchestratorError(subject: "\(self.name).json", "names '\(name)', but a built-in template has no folder for files: put it in a --templates folder beside them")
        }
        let url = folder.appendingPathComponent(name).standardizedFileURL
        guard url.path.hasPrefix(folder.path + "/"), !name.hasPrefix("/") else {
            throw OrchestratorError(subject: "\(self.name).json", "'\(name)' must be a file inside \(folder.path)")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw OrchestratorError(subject: "\(self.name).json", "names '\(name)', which is not in \(folder.path)")
        }
        return url.path
    }
}

/// Finds templates by name: a folder of overrides (`--templates DIR`, else MEDIAORCH_TEMPLATES)
/// first, then the templates built into the binary from Jobs/, so `mediaorch` works from any
/// folder and under systemd.
public struct TemplateLibrary: Sendable {
    public static let defaultTemplate = "twitter-reply"
    /// A reply's editors' cut, queued as a job of its own.
    public static let editorsCutTemplate = "bts-cut"
    /// The folder whose templates replace the built-in ones of the same name; nil for none.
    public let overrides: URL?

    public init(folder: String? = nil) {
        let chosen = folder ?? ProcessInfo.processInfo.environment["MEDIAORCH_TEMPLATES"].flatMap { $0.isEmpty ? nil : $0 }
        overrides = chosen.map { URL(fileURLWithPath: $0).standardizedFileURL }
    }

    /// The templates compiled in from Jobs/ (SwiftPM embeds the files' bytes).
    static let builtIn: [String: [UInt8]] = [
        "twitter-reply": PackageResources.twitter_reply_json,
        "twitter-reply-fast": PackageResources.twitter_reply_fast_json,
        "bts-cut": PackageResources.bts_cut_json,
        "bts-cut-captioned": PackageResources.bts_cut_captioned_json,
    ]

    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// Every name a job may use: the built-in ones and the overrides folder's.
    public var names: [String] {
        let own = ((try? FileManager.default.contentsOfDirectory(atPath: overrides?.path ?? "/nonexistent")) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        return Set(Array(Self.builtIn.keys) + own).sorted()
    }

    public func load(_ name: String) throws -> JobTemplate {
        guard Self.isValidName(name) else {
            throw OrchestratorError(subject: name, "is not a template name (letters, digits and '-')")
        }
        let data: Data, folder: String?
        if let overrides, let own = FileManager.default.contents(atPath: overrides.appendingPathComponent("\(name).json").path) {
            (data, folder) = (own, overrides.path)
        } else if let bytes = Self.builtIn[name] {
            (data, folder) = (Data(bytes), overrides?.path)
        } else {
            throw OrchestratorError(subject: "\(name).json", "no such template (known: \(names.joined(separator: ", ")))")
        }
        do {
            var template = try JSONCoding.decoder().decode(JobTemplate.self, from: data)
            template.folder = folder
            return template
        } catch let error as DecodingError {
            throw OrchestratorError(subject: "\(name).json", DecodingErrorText.describe(error))
        }
    }
}
