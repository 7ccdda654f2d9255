import Foundation


/// A job as the store keeps it.
public struct JobRecord: Sendable, Codable, Equatable {
    public var id: String
    public var state: JobState
    public var template: String
    public var priority: Int
    public var sourceName: String
    public var sourceSha256: String
    /// The original inside archive/ (never modified, never deleted).
    public var archivePath: String
    public var ticketJson: String?
    public var trimStart: Double?
    public var trimEnd: Double?
    public var attempts: Int
    public var maxAttempts: Int
    public var nextAttemptAt: Double
    public var leaseOwner: String?
    public var leaseExpiresAt: Double?
    public var lastError: String?
    public var parentId: String?
    public var createdAt: Double
    public var updatedAt: Double
    /// The attempt whose staging folder became outbox/<id>/, and its manifest's SHA-256.
    public var publishedAttempt: Int?
    public var manifestSha256: String?
    /// Where the command centre posted the reply, who said so and when (nil until posted).
    public var postedUrl: String?
    public var postedBy: String?
    public var postedAt: Double?
    /// Consent recorded after filming, from the field's receipt: who and when.
    public var consentAddedBy: String?
    public var consentAddedAt: Double?
    /// Posted without the speaker's consent: the admin who decided so and why.
    public var consentOverrideBy: String?
    public var consentOverrideReason: String?

    enum CodingKeys: String, CodingKey {
        case id, state, template, priority
        case sourceName = "source_name", sourceSha256 = "source_sha256", archivePath = "archive_path"
        case ticketJson = "ticket_json", trimStart = "trim_start", trimEnd = "trim_end"
        case attempts, maxAttempts = "max_attempts", nextAttemptAt = "next_attempt_at"
        case leaseOwner = "lease_owner", leaseExpiresAt = "lease_expires_at", lastError = "last_error"
        case parentId = "parent_id", createdAt = "created_at", updatedAt = "updated_at"
        case publishedAttempt = "published_attempt", manifestSha256 = "manifest_sha256"
        case postedUrl = "posted_url", postedBy = "posted_by", postedAt = "posted_at"
        case consentAddedBy = "consent_added_by", consentAddedAt = "consent_added_at"
        case consentOverrideBy = "consent_override_by", consentOverrideReason = "consent_override_reason"
    }
}

extension JobRecord {
    /// The ticket the job was queued with (nil without one).
    public func decodedTicket() throws -> Ticket? {
        try ticketJson.map { try JSONCoding.decoder().decode(Ticket.self, from: Data($0.utf8)) }
    }
}

/// One try at a job: who ran it, when, and how it ended.
public struct AttemptRecord: Sendable, Codable, Equatable {
    public var jobId: String
    public var number: Int
    public var worker: String
    public var startedAt: Double
    public var endedAt: Double?
    /// "succeeded", "failed", "lease lapsed", "cancelled", or nil while running.
    public var outcome: String?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case jobId = "job_id", number, worker, startedAt = "started_at", endedAt = "ended_at", outcome, error
    }
}

/// A job a worker holds: the attempt number fences its writes against a rescued, re-claimed job.
public struct JobClaim: Sendable, Equatable {
    public var job: JobRecord
    public var attempt: Int
    public var worker: String
}
