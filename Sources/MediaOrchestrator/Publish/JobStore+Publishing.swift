import Foundation
import GRDB

extension JobStore {
    /// The one commit that makes an attempt's outputs the job's: fenced by job id, attempt and
    /// worker, it marks the job succeeded, names the attempt and its manifest's hash, and queues
    /// the editors'-cut child job, all in one transaction. False when fenced off (the attempt
    /// was cancelled, rescued or superseded): then nothing may be published.
    public func publish(_ claim: JobClaim, manifestSha256: String, editorsCut: NewJob?, now: Date = Date()) throws -> Bool {
        try database.write { db in
            let t = now.timeIntervalSince1970
            // The lease must still be live: once it lapsed, start-up reconciliation and the staging
            // sweep treat the attempt as dead and may remove its folder (see isRunning).
            let fence = AttemptFence(claim, liveAt: now)
            guard try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE \(fence.condition)",
                                         arguments: fence.arguments) != nil else { return false }
            try db.execute(sql: """
                UPDATE jobs SET state = 'succeeded', published_attempt = ?, manifest_sha256 = ?, next_attempt_at = ?,
                       lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?
                """, arguments: [claim.attempt, manifestSha256, t, t, claim.job.id])
            try db.execute(sql: "UPDATE attempts SET ended_at = ?, outcome = 'succeeded', error = NULL WHERE job_id = ? AND number = ?",
                           arguments: [t, claim.job.id, claim.attempt])
            if let editorsCut { _ = try self.insert(editorsCut, in: db, now: now) }
            return true
        }
    }

    /// The attempt each job published, if any (its staging folder may still await its rename).
    func publishedAttempt(of jobId: String) throws -> Int? {
        try database.read { try Int.fetchOne($0, sql: "SELECT published_attempt FROM jobs WHERE id = ?", arguments: [jobId]) }
    }

    /// Succeeded jobs and the attempt each published, for start-up reconciliation of outbox/.
    func publishedAttempts() throws -> [(jobId: String, attempt: Int, manifestSha256: String)] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, published_attempt, manifest_sha256 FROM jobs
                WHERE published_attempt IS NOT NULL AND manifest_sha256 IS NOT NULL
                """).map { ($0["id"], $0["published_attempt"], $0["manifest_sha256"]) }
        }
    }

    /// Whether this attempt of this job is the one running now under a live lease (its staging
    /// folder is in use). An attempt whose lease lapsed is dead, even before it is rescued.
    func isRunning(jobId: String, attempt: Int, now: Date = Date()) throws -> Bool {
        try database.read { db in
            let fence = AttemptFence(jobId: jobId, attempt: attempt, liveAt: now)
            return try Bool.fetchOne(db, sql: "SELECT COUNT(*) > 0 FROM jobs WHERE \(fence.condition)",
                                     arguments: fence.arguments) ?? false
        }
    }
}
