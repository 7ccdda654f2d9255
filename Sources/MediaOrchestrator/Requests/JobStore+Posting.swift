import Foundation

extension JobStore {
    /// Records that a ready reply was posted at `url`, by whom, now; its request (if any) becomes
    /// posted too, in the same transaction. Saying it again with the same address changes
    /// nothing; a different address is refused (a reply is posted once).
    public func markPosted(_ id: String, url: String, by poster: String, now: Date? = nil) throws -> JobRecord {
        let posted = try TweetURL(parsing: url, field: "url")
        return try database.write { tx in
            let job = try Self.existingJob(id, in: tx, lock: true)
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
            let t = try tx.clock(now)
            try tx.execute("UPDATE jobs SET posted_url = ?, posted_by = ?, posted_at = ?, updated_at = ? WHERE id = ?",
                           [posted.canonical, poster, t, t, id])
            try tx.execute("""
                UPDATE reply_requests SET state = 'posted', posted_url = ?, posted_by = ?, posted_at = ?, updated_at = ? WHERE job_id = ?
                """, [posted.canonical, poster, t, t, id])
            return try Self.existingJob(id, in: tx)
        }
    }

    /// After the outbox's manifest was rewritten to say where the reply was posted.
    func noteManifestRewritten(_ id: String, sha256: String) throws {
        try database.write { tx in
            try tx.execute("UPDATE jobs SET manifest_sha256 = ? WHERE id = ?", [sha256, id])
        }
    }
}
