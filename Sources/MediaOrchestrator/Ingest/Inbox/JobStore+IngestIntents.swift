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
    /// Takes the inbox name `name` for `node` for `lease` seconds before hashing it: when several
    /// nodes see the same upload on a shared workspace at once, one ingests it and the others
    /// pass it over. The same node may take it again at once (its own retry); another only once
    /// the lease lapsed (the node died half way). The row becomes the intent once recorded.
    func claimIngest(_ name: String, node: String, lease: TimeInterval = 300, now: Date? = nil) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(now)
            return try tx.execute("""
                INSERT INTO ingest_intents (inbox_name, intent_json, created_at, node, lease_until) VALUES (?, '', ?, ?, ?)
                ON CONFLICT (inbox_name) DO UPDATE SET node = excluded.node, lease_until = excluded.lease_until
                WHERE ingest_intents.node IS NULL OR ingest_intents.node = excluded.node
                   OR ingest_intents.lease_until IS NULL OR ingest_intents.lease_until < excluded.created_at
                """, [name, t, node, t + lease]) == 1
        }
    }

    /// Claims nobody turned into an intent (the upload vanished, or its ingest kept failing), once
    /// they lapsed an hour ago.
    @discardableResult
    func pruneIngestClaims(now: Date? = nil) throws -> Int {
        try database.write { tx in
            try tx.execute("DELETE FROM ingest_intents WHERE intent_json = '' AND lease_until < ?", [try tx.clock(now) - 3600])
        }
    }

    /// Lets go of a claim that never became an intent (another node's recorded intent stays).
    func dropClaim(_ name: String) throws {
        try database.write { tx in
            try tx.execute("DELETE FROM ingest_intents WHERE inbox_name = ? AND intent_json = ''", [name])
        }
    }

    func recordIntent(_ intent: IngestIntent, now: Date? = nil) throws {
        let json = String(decoding: try JSONCoding.encoder().encode(intent), as: UTF8.self)
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

    /// Recorded intents not finished: every one when `node` is nil, else this node's own and those
    /// whose node's lease lapsed (it died half way; another node finishes its ingest).
    func pendingIntents(node: String? = nil) throws -> [IngestIntent] {
        let rows = try database.read { tx in
            try tx.rows("""
                SELECT intent_json FROM ingest_intents WHERE intent_json <> ''
                  AND (CAST(? AS TEXT) IS NULL OR node IS NULL OR node = ? OR lease_until IS NULL OR lease_until < ?)
                ORDER BY created_at
                """, [node, node, try tx.clock(nil)])
        }
        return rows.compactMap { $0.string("intent_json") }.compactMap { try? JSONCoding.decoder().decode(IngestIntent.self, from: Data($0.utf8)) }
    }

    /// Every job's source hash, and every recorded intent's: an archived file whose hash is among
    /// them belongs to a job, or is on its way to one (another node's ingest in progress).
    func knownSourceHashes() throws -> Set<String> {
        let jobs = try database.read { try $0.rows("SELECT DISTINCT source_sha256 FROM jobs", []) }.compactMap { $0.string("source_sha256") }
        let ingesting = try pendingIntents().map(\.sha256)
        return Set(jobs + ingesting)
    }
}
