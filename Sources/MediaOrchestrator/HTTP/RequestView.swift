import Foundation

/// A reply request as the API shows it. A field token gets what filming needs (the tweet, the
/// note, the languages, the deadline); the command centre also sees the job, who made it and
/// where the reply was posted.
struct RequestView: Encodable {
    let request: ReplyRequest
    let full: Bool
    /// Why its last clip could not be used, for a failed request (the camp films it again).
    var filmAgainReason: Receipt.FilmAgainReason? = nil

    init(_ request: ReplyRequest, full: Bool, filmAgainReason: Receipt.FilmAgainReason? = nil) {
        self.request = request
        self.full = full
        self.filmAgainReason = filmAgainReason
    }

    private enum Keys: String, CodingKey {
        case id, state, tweetUrl = "tweet_url", tweetId = "tweet_id", handle, tweetText = "tweet_text", camp, languages, priority
        case note, deadline, createdAt = "created_at", updatedAt = "updated_at"
        case jobId = "job_id", createdBy = "created_by", postedUrl = "posted_url", postedBy = "posted_by", postedAt = "posted_at"
        case filmAgainReason = "film_again_reason", consentOverrideBy = "consent_override_by", consentOverrideReason = "consent_override_reason"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(request.id, forKey: .id)
        try c.encode(request.state, forKey: .state)
        try c.encode(request.tweetUrl, forKey: .tweetUrl)
        try c.encode(request.tweetId, forKey: .tweetId)
        try c.encode(request.handle, forKey: .handle)
        try c.encode(request.tweetText, forKey: .tweetText)
        try c.encode(request.camp, forKey: .camp)
        try c.encode(request.languages, forKey: .languages)
        try c.encode(request.priority, forKey: .priority)
        try c.encodeIfPresent(request.note, forKey: .note)
        try c.encodeIfPresent(request.deadline.map { Date(timeIntervalSince1970: $0).formatted(.iso8601) }, forKey: .deadline)
        try c.encode(request.createdAt, forKey: .createdAt)
        try c.encode(request.updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(filmAgainReason, forKey: .filmAgainReason)
        guard full else { return }
        try c.encodeIfPresent(request.jobId, forKey: .jobId)
        try c.encode(request.createdBy, forKey: .createdBy)
        try c.encodeIfPresent(request.postedUrl, forKey: .postedUrl)
        try c.encodeIfPresent(request.postedBy, forKey: .postedBy)
        try c.encodeIfPresent(request.postedAt, forKey: .postedAt)
        try c.encodeIfPresent(request.consentOverrideBy, forKey: .consentOverrideBy)
        try c.encodeIfPresent(request.consentOverrideReason, forKey: .consentOverrideReason)
    }
}
