import Foundation
import GRDB

extension JobStore {
    /// Records that a ready reply was posted at `url`, by whom, now; its request (if any) becomes
    /// posted too, in the same transaction. Saying it again with the same address changes
    /// nothing; a different address is refused (a reply is posted once).
    public func markPosted(_ id: String, url: String, by poster: String, now: Date = Date()) throws -> JobRecord {
        let posted = try TweetURL(parsing: url, field: "url")
        return try database.write { db in
            let job = try Self.existingJob(id, in: db)
            guard job.parentId == nil, !job.template.hasPrefix("bts-cut") else {
                throw OrchestratorError(file: id, "is an editors' cut, not a reply: only replies are posted", kind: .conflict)
            }
            if let already = job.postedUrl {
                guard already == posted.canonical else {
                    throw OrchestratorError(file: id, "was already posted at \(already) by \(job.postedBy ?? "?")", kind: .conflict)
                }
                return job
            }
            guard job.state == .succeeded else {
                throw OrchestratorError(file: id, "is \(job.state.rawValue); only a ready reply can be posted", kind: .conflict)
            }
            let t = now.timeIntervalSince1970
            try db.execute(sql: "UPDATE jobs SET posted_url = ?, posted_by = ?, posted_at = ?, updated_at = ? WHERE id = ?",
                           arguments: [posted.canonical, poster, t, t, id])
            try db.execute(sql: """
                UPDATE reply_requests SET state = 'posted', posted_url = ?, posted_by = ?, posted_at = ?, updated_at = ? WHERE job_id = ?
                """, arguments: [posted.canonical, poster, t, t, id])
            return try Self.existingJob(id, in: db)
        }
    }

    /// After the outbox's manifest was rewritten to say where the reply was posted.
    func noteManifestRewritten(_ id: String, sha256: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE jobs SET manifest_sha256 = ? WHERE id = ?", arguments: [sha256, id])
        }
    }
}
