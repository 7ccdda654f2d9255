import Foundation

/// Posting a ready reply and recording consent. The SQL is Store/SQL/publishing.sql.
extension JobStore {
    /// Records that a ready reply was posted at `url`, by whom, now; its request (if any) becomes
    /// posted too, in the same transaction. Saying it again with the same address changes
    /// nothing; a different address is refused (a reply is posted once). A reply whose speaker's
    /// consent is not recorded is refused (code "no-consent") unless `consentOverride` gives an
    /// admin's reason, which the job and its request keep. Whether the caller may override is
    /// the caller's check (the HTTP API's overrideConsent permission; the command line's user).
    public func markPosted(_ id: String, url: String, by poster: String, consentOverride: String? = nil, now: Date? = nil) throws -> JobRecord {
        let posted = try TweetURL(parsing: url, field: "url")
        let override = try consentOverride.map(Self.overrideReason)
        return try database.write { tx in
            let job = try Self.existingJob(id, in: tx, lock: true)
            guard job.parentId == nil, !job.template.hasPrefix("bts-cut") else {
                throw OrchestratorError(subject: id, "is an editors' cut, not a reply: only replies are posted", kind: .conflict)
            }
            if let already = job.postedUrl {
                guard already == posted.canonical else {
                    throw OrchestratorError(subject: id, "was already posted at \(already) by \(job.postedBy ?? "?")", kind: .conflict)
                }
                return job
            }
            guard job.state == .succeeded else {
                throw OrchestratorError(subject: id, "is \(job.state.rawValue); only a ready reply can be posted", kind: .conflict)
            }
            let consented = (try? job.decodedTicket())?.speaker?.consent == true
            guard consented || override != nil else {
                throw OrchestratorError(subject: id, "the person filmed has not agreed to be posted (no consent recorded): do not post it; "
                                        + "the camp can add consent from its receipt, or an admin can record an override with a reason",
                                        kind: .conflict).coded("no-consent")
            }
            let t = try tx.clock(now)
            let overrideBy = consented ? nil : poster, overrideReason = consented ? nil : override
            try tx.execute(SQLCatalogue.publishing.sql("post-job", tx.dialect), [posted.canonical, poster, t, overrideBy, overrideReason, t, id])
            try tx.execute(SQLCatalogue.publishing.sql("post-request", tx.dialect), [posted.canonical, poster, t, overrideBy, overrideReason, t, id])
            return try Self.existingJob(id, in: tx)
        }
    }

    /// The camp records, after filming, that the person filmed agreed to be posted: the job's
    /// ticket says so from now on, and who added it and when is kept beside it. Refused once
    /// the reply is posted (code "already-posted"); saying it twice changes nothing.
    public func addConsent(toJob id: String, by who: String, now: Date? = nil) throws -> JobRecord {
        try database.write { tx in
            let job = try Self.existingJob(id, in: tx, lock: true)
            guard job.postedUrl == nil else {
                throw OrchestratorError(subject: id, "is already posted", kind: .conflict).coded("already-posted")
            }
            guard var ticket = try job.decodedTicket() else {
                throw OrchestratorError(subject: id, "has no ticket to record consent on", kind: .conflict)
            }
            guard ticket.speaker?.consent != true else { return job }
            var speaker = ticket.speaker ?? Ticket.Speaker(name: nil, camp: nil, consent: nil)
            speaker.consent = true
            ticket.speaker = speaker
            let json = String(decoding: try JSONCoding.encoder().encode(ticket), as: UTF8.self)
            let t = try tx.clock(now)
            try tx.execute(SQLCatalogue.publishing.sql("add-consent", tx.dialect), [json, who, t, t, id])
            return try Self.existingJob(id, in: tx)
        }
    }

    /// An admin's reason for posting without consent: words someone can audit later.
    static func overrideReason(_ raw: String) throws -> String {
        let reason = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= 10 else {
            throw OrchestratorError(subject: "consent_override", "give the reason in a sentence (at least 10 characters): it is kept with the reply and its request")
        }
        guard reason.count <= 1000 else { throw OrchestratorError(subject: "consent_override", "is longer than 1000 characters") }
        return reason
    }

    /// After the outbox's manifest was rewritten to say where the reply was posted: the new
    /// manifest's hash replaces the one it was written over, and only that one (a fenced write:
    /// a manifest another process published meanwhile is not claimed by this one).
    func noteManifestRewritten(_ id: String, from old: String, to new: String) throws {
        try database.write { tx in
            try tx.execute(SQLCatalogue.publishing.sql("manifest-rewritten", tx.dialect), [new, id, old])
        }
    }
}
