import Foundation


/// A tweet the command centre wants answered, and by which camp: the field team sees its text,
/// films the reply and uploads against the request; the reply job made from that clip is
/// followed here until it is posted.
public struct ReplyRequest: Sendable, Codable, Equatable {
    public var id: String
    public var state: ReplyRequestState
    public var tweetUrl: String
    public var tweetId: String
    /// With the "@".
    public var handle: String
    public var tweetText: String
    public var camp: String
    public var languagesJson: String
    public var priority: String
    public var note: String?
    /// Seconds since 1970.
    public var deadline: Double?
    /// The reply job made from the clip uploaded against it (the latest, after a retake).
    public var jobId: String?
    /// The name of the token that made it.
    public var createdBy: String
    public var createdAt: Double
    public var updatedAt: Double
    public var postedUrl: String?
    public var postedBy: String?
    public var postedAt: Double?
    /// Posted without the speaker's consent: the admin who decided so and why.
    public var consentOverrideBy: String?
    public var consentOverrideReason: String?
    /// The tus upload carrying its clip right now: one at a time per request.
    public var uploadId: String?

    enum CodingKeys: String, CodingKey {
        case id, state, tweetUrl = "tweet_url", tweetId = "tweet_id", handle, tweetText = "tweet_text", camp
        case languagesJson = "languages_json", priority, note, deadline, jobId = "job_id", createdBy = "created_by"
        case createdAt = "created_at", updatedAt = "updated_at", postedUrl = "posted_url", postedBy = "posted_by", postedAt = "posted_at"
        case consentOverrideBy = "consent_override_by", consentOverrideReason = "consent_override_reason", uploadId = "upload_id"
    }

    public var languages: [String] { (try? JSONDecoder().decode([String].self, from: Data(languagesJson.utf8))) ?? [] }
}

/// What a producer sends to make a request (`POST /api/requests`); every field is checked and a
/// refusal names the field.
public struct NewReplyRequest: Sendable, Codable {
    public var tweetUrl: String
    public var tweetText: String
    public var camp: String
    public var languages: [String]?
    public var priority: Ticket.Priority?
    public var note: String?
    /// ISO 8601, with a time zone ("2026-12-01T18:00:00Z").
    public var deadline: String?

    public init(tweetUrl: String, tweetText: String, camp: String, languages: [String]? = nil,
                priority: Ticket.Priority? = nil, note: String? = nil, deadline: String? = nil) {
        (self.tweetUrl, self.tweetText, self.camp, self.languages) = (tweetUrl, tweetText, camp, languages)
        (self.priority, self.note, self.deadline) = (priority, note, deadline)
    }

    /// The checked fields, or an error naming the first field at fault.
    func validated(now: Date) throws -> (tweet: TweetURL, text: String, camp: String, languages: [String], deadline: Double?) {
        let tweet = try TweetURL(parsing: tweetUrl)
        let text = tweetText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw OrchestratorError(subject: "tweet_text", "is empty: paste the tweet's text so the camp knows what it answers") }
        guard text.count <= 4000 else { throw OrchestratorError(subject: "tweet_text", "is longer than 4000 characters") }
        let camp = try Self.campName(camp)
        let languages = languages ?? ["en"]
        guard languages.count <= 8 else { throw OrchestratorError(subject: "languages", "names more than 8 languages") }
        for language in languages where !CaptionLanguage.isTag(language) {
            throw OrchestratorError(subject: "languages", "'\(language.prefix(40))' is not a language tag such as en, ar or fa-AF")
        }
        if let note, note.count > 2000 { throw OrchestratorError(subject: "note", "is longer than 2000 characters") }
        var deadlineTime: Double? = nil
        if let deadline {
            let fractional = ISO8601DateFormatter()
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            guard let date = ISO8601DateFormatter().date(from: deadline) ?? fractional.date(from: deadline) else {
                throw OrchestratorError(subject: "deadline", "'\(deadline.prefix(40))' is not an ISO 8601 time with a zone, such as 2026-12-01T18:00:00Z")
            }
            guard date > now else { throw OrchestratorError(subject: "deadline", "\(deadline) has already passed") }
            deadlineTime = date.timeIntervalSince1970
        }
        // In the producer's order (the first is the one burned in), each once.
        var seen = Set<String>()
        return (tweet, text, camp, languages.filter { seen.insert($0.lowercased()).inserted }, deadlineTime)
    }

    /// A camp's name as tokens, tickets and requests carry it: one line of at most 64
    /// characters, no path separators (it is shown on pages and filtered on, never a path).
    static func campName(_ raw: String) throws -> String {
        let camp = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !camp.isEmpty, camp.count <= 64, !camp.contains(where: { $0.isNewline || $0 == "/" || $0 == "\\" || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            throw OrchestratorError(subject: "camp", "'\(raw.prefix(40))' is not a camp name (one line, at most 64 characters, no '/')")
        }
        return camp
    }
}

/// A caption language as tickets name it: a BCP 47 tag of letters, digits and '-'.
enum CaptionLanguage {
    static func isTag(_ text: String) -> Bool {
        (2...15).contains(text.count) && text.first?.isLetter == true
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}
