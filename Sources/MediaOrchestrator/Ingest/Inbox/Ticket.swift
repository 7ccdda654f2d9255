import Foundation

/// The sidecar a field team uploads with a clip (clip.job.json): who the reply is for, who speaks,
/// which captions, which part of the clip.
public struct Ticket: Sendable, Codable, Equatable {
    public struct ReplyTarget: Sendable, Codable, Equatable {
        public var tweetId: String?
        public var handle: String?
    }
    public struct Speaker: Sendable, Codable, Equatable {
        public var name: String?
        public var camp: String?
        public var consent: Bool?
    }
    public struct CaptionFile: Sendable, Codable, Equatable {
        public var file: String
        public var language: String
        public var burn: Bool?
    }
    public enum Priority: String, Sendable, Codable { case realtime, normal, background }
    /// Which clip a file is when a phone sends one clip twice: first a proxy it made for a fast
    /// reply, then the camera's original for the editors. Both carry the id the phone made.
    public struct Clip: Sendable, Codable, Equatable {
        public enum Role: String, Sendable, Codable { case proxy, original }
        public var id: String
        public var role: Role
        /// For an original: the reply job made from its proxy (set by the server, never the phone).
        public var replyJob: String?
    }
    /// How a clip sent by tus arrived (set by the server, never the phone): the upload, whose
    /// reply may have been rendered while it arrived (arriving/<upload>/), and the clip's seconds
    /// as the phone declared them, which such a render plans by (a stream does not say until its
    /// end) and is checked against.
    public struct Arrival: Sendable, Codable, Equatable {
        public var upload: String
        public var declaredDuration: Double?
    }

    public var template: String?
    public var replyTo: ReplyTarget?
    public var speaker: Speaker?
    public var captions: [CaptionFile]?
    public var trim: Trim?
    public var priority: Priority?
    /// The reply request this clip answers (set by uploads made against one).
    public var request: String?
    public var clip: Clip?
    public var arrival: Arrival?

    public init(template: String? = nil, trim: Trim? = nil) {
        self.template = template
        self.trim = trim
    }

    /// Reads a ticket; a malformed one fails with the file name and the field at fault.
    public static func load(path: String) throws -> Ticket {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OrchestratorError(subject: name, "ticket not found or unreadable")
        }
        return try decode(data, fileName: name)
    }

    /// Reads a ticket's bytes (an HTTP upload); errors name `fileName` and the field at fault.
    public static func decode(_ data: Data, fileName name: String) throws -> Ticket {
        do {
            let ticket = try JSONCoding.decoder().decode(Ticket.self, from: data)
            try ticket.checkFields(fileName: name)
            return ticket
        } catch let error as DecodingError {
            throw OrchestratorError(subject: name, DecodingErrorText.describe(error))
        }
    }

    /// Limits on what a ticket may hold (Docs/api-and-webhooks.md, "What a client may send"): a ticket comes from any field phone,
    /// and every string in it is echoed by the API, so none may grow without bound.
    public enum Limits {
        /// A ticket file's bytes (an HTTP upload of a larger one is refused with 413).
        public static let fileBytes = 64 << 10
        /// Caption files one ticket may name.
        public static let captions = 8
        public static let speakerName = 100
        public static let captionFileName = 200
        /// A clip id: 16 to 64 letters, digits, '-' or '_'.
        public static let clipId = 16...64
        /// A declared clip length, seconds.
        public static let declaredDuration = 0.1...600.0
    }

    /// Whether `id` is a clip id a phone may make.
    static func isClipId(_ id: String) -> Bool {
        Limits.clipId.contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    private func checkFields(fileName: String) throws {
        // One line, whatever the ticket quoted back holds (a refusal is logged and shown as one line).
        func refuse(_ field: String, _ why: String) -> OrchestratorError {
            let shown = String(why.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
            return OrchestratorError(subject: fileName, "'\(field)' \(shown)")
        }
        if let clip {
            guard Self.isClipId(clip.id) else { throw refuse("clip.id", "is not 16 to 64 letters, digits, '-' or '_'") }
            if let job = clip.replyJob, job.count > 64 || !job.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                throw refuse("clip.reply_job", "is not a job id")
            }
        }
        if let arrival {
            guard ResumableUpload.isValidId(arrival.upload) else { throw refuse("arrival.upload", "is not an upload id") }
            if let seconds = arrival.declaredDuration, !Limits.declaredDuration.contains(seconds) {
                throw refuse("arrival.declared_duration", "is not between 0.1 and 600 seconds")
            }
        }
        let captions = captions ?? []
        guard captions.count <= Limits.captions else {
            throw refuse("captions", "names \(captions.count) caption files; a ticket names at most \(Limits.captions)")
        }
        for (i, caption) in captions.enumerated() {
            // Caption files sit beside the ticket: a name, never a path that could leave the folder,
            // and always a caption file: a clip named here would be archived as a caption.
            let lower = caption.file.lowercased()
            if caption.file.isEmpty || caption.file.contains("/") || caption.file.contains("\\") || caption.file.hasPrefix(".")
                || caption.file.utf8.count > Limits.captionFileName || caption.file.contains(where: { $0.isNewline }) {
                throw refuse("captions[\(i)].file", "'\(caption.file.prefix(60))' must be a plain file name beside the ticket")
            }
            guard lower.hasSuffix(".srt") || lower.hasSuffix(".vtt") else {
                throw refuse("captions[\(i)].file", "'\(caption.file.prefix(60))' is not a caption file (.srt or .vtt)")
            }
            guard CaptionLanguage.isTag(caption.language) else {
                throw refuse("captions[\(i)].language", "'\(caption.language.prefix(40))' is not a language tag such as en, ar or fa-AF")
            }
        }
        if let request, request.isEmpty || request.count > 64 || !request.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
            throw refuse("request", "'\(request.prefix(40))' is not a request id")
        }
        if let template, !TemplateLibrary.isValidName(template) {
            throw refuse("template", "'\(template.prefix(40))' is not a template name (letters, digits and '-')")
        }
        if let handle = replyTo?.handle, !Self.isHandle(handle) {
            throw refuse("reply_to.handle", "'\(handle.prefix(40))' is not an X handle (@ and 1 to 15 letters, digits or _)")
        }
        if let id = replyTo?.tweetId, !(1...20).contains(id.count) || !id.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw refuse("reply_to.tweet_id", "'\(id.prefix(40))' is not a tweet id (1 to 20 digits)")
        }
        if let name = speaker?.name, name.count > Limits.speakerName || name.contains(where: { $0.isNewline }) {
            throw refuse("speaker.name", "is one line of at most \(Limits.speakerName) characters")
        }
        if let camp = speaker?.camp {
            do { _ = try NewReplyRequest.campName(camp) } catch { throw refuse("speaker.camp", "'\(camp.prefix(40))' is not a camp name (one line, at most 64 characters, no '/')") }
        }
        if let trim {
            let longest = JobControl.longestClip
            guard trim.start.isFinite, trim.start >= 0, trim.start < longest else {
                throw refuse("trim.start", "must be a number of seconds from 0 to 24 h, not \(trim.start)")
            }
            if let end = trim.end, !(end.isFinite && end > trim.start && end <= longest) {
                throw refuse("trim.end", "must come after trim.start (\(trim.start) s) and within 24 h, not \(end)")
            }
        }
    }

    /// "@name" or "name": 1 to 15 letters, digits or underscores, as X allows.
    static func isHandle(_ text: String) -> Bool {
        let name = text.hasPrefix("@") ? text.dropFirst() : Substring(text)
        return (1...15).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}

/// JSON decoding errors in words: which field, what was wrong, with fields named as the file
/// spells them (`reply.x264_subme`, not the decoder's `reply.x264Subme`).
enum DecodingErrorText {
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }.joined(separator: ".")
            return p.isEmpty ? "the document" : "'\(p.replacingOccurrences(of: ".[", with: "["))'"
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context)) should be \(readable(type))"
        case .valueNotFound(let type, let context): return "\(path(context)) is missing (expected \(readable(type)))"
        case .keyNotFound(let key, let context): return "\(path(context)) lacks the required field '\(snakeCase(key.stringValue))'"
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as NSError? {
                return "is not valid JSON (\(underlying.userInfo["NSDebugDescription"] as? String ?? underlying.localizedDescription))"
            }
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "cannot be read"
        }
    }

    /// The inverse of the decoder's `convertFromSnakeCase`, which every file here is read with, for
    /// field names; a key the file chose itself (a language code such as "pt-BR") stays as written.
    static func snakeCase(_ key: String) -> String {
        guard let first = key.first, first.isLowercase, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return key }
        return key.reduce(into: "") { name, c in
            if c.isUppercase { name += "_" + c.lowercased() } else { name.append(c) }
        }
    }

    private static func readable(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Int.Type: "a number"
        case is String.Type: "text"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}
