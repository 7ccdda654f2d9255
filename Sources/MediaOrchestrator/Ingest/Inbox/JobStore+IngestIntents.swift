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

/// Ingest's claims and intents. The SQL is Store/SQL/intents.sql.
extension JobStore {
    /// Takes the inbox name `name` for `node` for `lease` seconds before hashing it: when several
    /// nodes see the same upload on a shared workspace at once, one ingests it and the others
    /// pass it over. The same node may take it again at once (its own retry); another only once
    /// the lease lapsed (the node died half way). The row becomes the intent once recorded.
    func claimIngest(_ name: String, node: String, lease: TimeInterval = 300, now: Date? = nil) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(now)
            return try tx.execute(SQLCatalogue.intents.sql("claim-ingest", tx.dialect), [name, t, node, t + lease]) == 1
        }
    }

    /// Claims nobody turned into an intent (the upload vanished, or its ingest kept failing), once
    /// they lapsed an hour ago.
    @discardableResult
    func pruneIngestClaims(now: Date? = nil) throws -> Int {
        try database.write { tx in
            try tx.execute(SQLCatalogue.intents.sql("prune-ingest-claims", tx.dialect), [try tx.clock(now) - 3600])
        }
    }

    /// Lets go of a claim that never became an intent (another node's recorded intent stays).
    func dropClaim(_ name: String) throws {
        try database.write { tx in
            try tx.execute(SQLCatalogue.intents.sql("drop-claim", tx.dialect), [name])
        }
    }

    func recordIntent(_ intent: IngestIntent, now: Date? = nil) throws {
        let json = String(decoding: try JSONCoding.encoder().encode(intent), as: UTF8.self)
        try database.write { tx in
            try tx.execute(SQLCatalogue.intents.sql("record-intent", tx.dialect), [intent.inboxName, json, try tx.clock(now)])
        }
    }

    /// Queues the intent's job and forgets the intent, in one transaction.
    func completeIntent(_ intent: IngestIntent, now: Date? = nil) throws -> (job: JobRecord, created: Bool) {
        try database.write { tx in
            let t = try tx.clock(now)
            let result = try self.insert(intent.job, in: tx, now: t)
            if let request = intent.job.requestId { try Self.link(request: request, to: result.job, in: tx, now: t) }
            try tx.execute(SQLCatalogue.intents.sql("delete-intent", tx.dialect), [intent.inboxName])
            return result
        }
    }

    func dropIntent(_ inboxName: String) throws {
        try database.write { tx in
            try tx.execute(SQLCatalogue.intents.sql("delete-intent", tx.dialect), [inboxName])
        }
    }

    /// Recorded intents not finished: every one when `node` is nil, else this node's own and those
    /// whose node's lease lapsed (it died half way; another node finishes its ingest).
    func pendingIntents(node: String? = nil) throws -> [IngestIntent] {
        let rows = try database.read { tx in
            try tx.rows(SQLCatalogue.intents.sql("pending-intents", tx.dialect), [node, node, try tx.clock(nil)])
        }
        return rows.compactMap { $0.string("intent_json") }.compactMap { try? JSONCoding.decoder().decode(IngestIntent.self, from: Data($0.utf8)) }
    }

    /// Every job's source hash, and every recorded intent's: an archived file whose hash is among
    /// them belongs to a job, or is on its way to one (another node's ingest in progress).
    func knownSourceHashes() throws -> Set<String> {
        let jobs = try database.read { try $0.rows(SQLCatalogue.intents.sql("job-source-hashes", $0.dialect), []) }.compactMap { $0.string("source_sha256") }
        let ingesting = try pendingIntents().map(\.sha256)
        return Set(jobs + ingesting)
    }
}
