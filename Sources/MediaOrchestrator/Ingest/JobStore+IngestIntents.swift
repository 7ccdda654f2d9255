import Foundation

/// What an ingest is about to do, stored before it moves anything: if the process dies half way,
/// start-up reconciliation finishes the moves and queues the job, or drops the intent when the
/// upload is gone.
public struct IngestIntent: Sendable, Codable {
    public struct Move: Sendable, Codable {
        /// A plain name in inbox/.
        public var inboxName: String
        /// Where it goes in archive/.
        public var archivePath: String
    }

    /// The clip's name in inbox/ (the intent's key).
    public var inboxName: String
    public var sha256: String
    public var archivePath: String
    /// The ticket and caption files that go with the clip.
    public var sidecars: [Move]
    /// The job to queue once the files are archived.
    public var job: JobStore.NewJob
}

extension JobStore {
    func recordIntent(_ intent: IngestIntent, now: Date? = nil) throws {
        let json = String(decoding: try JSONOutput.encoder().encode(intent), as: UTF8.self)
        try database.write { tx in
            try tx.execute("""
                INSERT INTO ingest_intents (inbox_name, intent_json, created_at) VALUES (?, ?, ?)
                ON CONFLICT (inbox_name) DO UPDATE SET intent_json = excluded.intent_json, created_at = excluded.created_at
                """, [intent.inboxName, json, try tx.clock(now)])
        }
    }

    /// Queues the intent's job and forgets the intent, in one transaction.
    func completeIntent(_ intent: IngestIntent, now: Date? = nil) throws -> (job: JobRecord, created: Bool) {
        try database.write { tx in
            let t = try tx.clock(now)
            let result = try self.insert(intent.job, in: tx, now: t)
            if let request = intent.job.requestId { try Self.link(request: request, to: result.job, in: tx, now: t) }
            try tx.execute("DELETE FROM ingest_intents WHERE inbox_name = ?", [intent.inboxName])
            return result
        }
    }

    func dropIntent(_ inboxName: String) throws {
        try database.write { tx in
            try tx.execute("DELETE FROM ingest_intents WHERE inbox_name = ?", [inboxName])
        }
    }

    func pendingIntents() throws -> [IngestIntent] {
        let rows = try database.read { try $0.rows("SELECT intent_json FROM ingest_intents ORDER BY created_at", []) }
        return rows.compactMap { $0.string("intent_json") }.compactMap { try? JSONOutput.decoder().decode(IngestIntent.self, from: Data($0.utf8)) }
    }

    /// Every job's source hash: an archived file whose hash is among them belongs to a job.
    func knownSourceHashes() throws -> Set<String> {
        Set(try database.read { try $0.rows("SELECT DISTINCT source_sha256 FROM jobs", []) }.compactMap { $0.string("source_sha256") })
    }
}
