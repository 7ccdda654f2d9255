import Foundation

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
            guard try tx.row("SELECT id FROM jobs WHERE \(fence.condition)\(tx.dialect.forUpdate)", fence.arguments) != nil else {
                // This very publish already committed, and its answer was lost with the connection
                // (the retry that follows asks again): it is published, so say so.
                return try tx.row("""
                    SELECT id FROM jobs WHERE id = ? AND state = 'succeeded' AND published_attempt = ? AND manifest_sha256 = ?
                    """, [claim.job.id, claim.attempt, manifestSha256]) != nil
            }
            try tx.execute("""
                UPDATE jobs SET state = 'succeeded', published_attempt = ?, manifest_sha256 = ?, next_attempt_at = ?,
                       lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?
                """, [claim.attempt, manifestSha256, t, t, claim.job.id])
            try tx.execute("UPDATE attempts SET ended_at = ?, outcome = 'succeeded', error = NULL WHERE job_id = ? AND number = ?",
                           [t, claim.job.id, claim.attempt])
            if let editorsCut { _ = try self.insert(editorsCut, in: tx, now: t) }
            return true
        }
    }

    /// The attempt each job published, if any (its staging folder may still await its rename).
    func publishedAttempt(of jobId: String) throws -> Int? {
        try database.read { try $0.row("SELECT published_attempt FROM jobs WHERE id = ?", [jobId])?.int("published_attempt") }
    }

    /// Succeeded jobs, the attempt each published, and seconds since (on the database's clock),
    /// for reconciling staging/ with outbox/.
    func publishedAttempts() throws -> [(jobId: String, attempt: Int, manifestSha256: String, age: Double)] {
        try database.read { tx in
            let t = try tx.clock(nil)
            return try tx.rows("""
                SELECT id, published_attempt, manifest_sha256, updated_at FROM jobs
                WHERE published_attempt IS NOT NULL AND manifest_sha256 IS NOT NULL
                """, []).compactMap { row in
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
            return try tx.row("SELECT id FROM jobs WHERE \(fence.condition)", fence.arguments) != nil
        }
    }
}
