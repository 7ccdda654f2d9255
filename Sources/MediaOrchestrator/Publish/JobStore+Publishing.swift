import Foundation

/// Making an attempt's outputs the job's, and what the outbox's reconciliation asks. The SQL is
/// Store/SQL/publishing.sql.
extension JobStore {
    /// The one commit that makes an attempt's outputs the job's: fenced by job id, attempt and
    /// worker, it marks the job succeeded, names the attempt and its manifest's hash, and queues
    /// the editors'-cut child job, all in one transaction. False when fenced off (the attempt
    /// was cancelled, rescued or superseded): then nothing may be published.
    public func publish(_ claim: JobClaim, manifestSha256: String, editorsCut: NewJob?, now: Date? = nil) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(now)
            // The lease must still be live: once it lapsed, start-up reconciliation and the staging
            // sweep treat the attempt as dead and may remove its folder (see isRunning).
            let fence = AttemptFence(claim, liveAt: t)
            guard try tx.row(SQLCatalogue.publishing.sql("fenced-job-id", tx.dialect, fence: fence), fence.arguments) != nil else {
                // This very publish already committed, and its answer was lost with the connection
                // (the retry that follows asks again): it is published, so say so.
                return try tx.row(SQLCatalogue.publishing.sql("already-published", tx.dialect), [claim.job.id, claim.attempt, manifestSha256]) != nil
            }
            try tx.execute(SQLCatalogue.publishing.sql("publish-job", tx.dialect), [claim.attempt, manifestSha256, t, t, claim.job.id])
            try tx.execute(SQLCatalogue.publishing.sql("publish-attempt", tx.dialect), [t, claim.job.id, claim.attempt])
            if let editorsCut { _ = try self.insert(editorsCut, in: tx, now: t) }
            return true
        }
    }

    /// The attempt each job published, if any (its staging folder may still await its rename).
    func publishedAttempt(of jobId: String) throws -> Int? {
        try database.read { try $0.row(SQLCatalogue.publishing.sql("published-attempt", $0.dialect), [jobId])?.int("published_attempt") }
    }

    /// Succeeded jobs, the attempt each published, and seconds since (on the database's clock),
    /// for reconciling staging/ with outbox/.
    func publishedAttempts() throws -> [(jobId: String, attempt: Int, manifestSha256: String, age: Double)] {
        try database.read { tx in
            let t = try tx.clock(nil)
            return try tx.rows(SQLCatalogue.publishing.sql("published-attempts", tx.dialect), []).compactMap { row in
                guard let id = row.string("id"), let attempt = row.int("published_attempt"), let sha = row.string("manifest_sha256"),
                      let updated = row.double("updated_at") else { return nil }
                return (id, attempt, sha, t - updated)
            }
        }
    }

    /// Whether this attempt of this job is the one running now under a live lease (its staging
    /// folder is in use). An attempt whose lease lapsed is dead, even before it is rescued.
    func isRunning(jobId: String, attempt: Int, now: Date? = nil) throws -> Bool {
        try database.read { tx in
            let fence = AttemptFence(jobId: jobId, attempt: attempt, liveAt: try tx.clock(now))
            return try tx.row(SQLCatalogue.publishing.sql("running-attempt", tx.dialect, fence: fence), fence.arguments) != nil
        }
    }
}
