import Foundation

/// The durable job queue, on SQLite (one machine) or PostgreSQL (several). Workers claim jobs
/// with a lease they renew while they work; a job whose lease lapsed (its worker was killed) is
/// rescued and retried; every state change of a claimed job is fenced by job id, attempt number
/// and worker. Times default to the database's clock (`now: nil`), so nodes whose clocks
/// disagree still agree on whose lease has lapsed; tests pass a `now` of their own. The jobs' own
/// queries are Store/SQL/jobs.sql.
public final class JobStore: Sendable {
    /// Where everything is kept: the one interface both databases implement.
    let database: any StoreDatabase
    public let retryPolicy: RetryPolicy

    public init(database: any StoreDatabase, retryPolicy: RetryPolicy = RetryPolicy()) {
        self.database = database
        self.retryPolicy = retryPolicy
    }

    /// The embedded store for one machine.
    public convenience init(path: String, retryPolicy: RetryPolicy = RetryPolicy()) throws {
        self.init(database: try SQLiteStore(path: path), retryPolicy: retryPolicy)
    }

    /// A store at `location`: a PostgreSQL address or an SQLite file.
    public convenience init(location: StoreLocation, retryPolicy: RetryPolicy = RetryPolicy()) throws {
        switch location {
        case .sqlite(let path): try self.init(path: path, retryPolicy: retryPolicy)
        case .postgres(let address): self.init(database: try PostgresStore(address), retryPolicy: retryPolicy)
        }
    }

    public var dialect: SQLDialect { database.dialect }
    /// Where it is, without any password: for logs, `/health` and `mediaorch nodes`.
    public var displayName: String { database.displayName }

    /// What a new job needs: the archived original and how to make it.
    public struct NewJob: Sendable, Codable {
        public var sourceName: String
        public var sourceSha256: String
        public var archivePath: String
        public var template: String
        public var priority: JobPriority
        public var ticketJson: String?
        public var parentId: String?
        /// An editor's cut: its in and out points, also part of its id.
        public var trim: Trim?
        /// The reply request the clip was uploaded against: it follows this job from now on.
        public var requestId: String?

        public init(sourceName: String, sourceSha256: String, archivePath: String, template: String,
                    priority: JobPriority, ticketJson: String? = nil, parentId: String? = nil, trim: Trim? = nil,
                    requestId: String? = nil) {
            self.sourceName = sourceName
            self.sourceSha256 = sourceSha256
            self.archivePath = archivePath
            self.template = template
            self.priority = priority
            self.ticketJson = ticketJson
            self.parentId = parentId
            self.trim = trim
            self.requestId = requestId
        }

        /// Readable and stable: the same clip, template and cut always make the same id.
        var id: String {
            let base = "\(sourceSha256.prefix(12))-\(template)"
            guard parentId != nil else { return base }
            guard let trim else { return base + "-of-reply" }
            // Callers bound the times (JobControl); the clamp keeps a bad one from trapping here.
            let milliseconds = { (t: Double) in String(Int((min(max(t, 0), 1e12) * 1000).rounded())) }
            return base + "-\(milliseconds(trim.start))-\(trim.end.map(milliseconds) ?? "end")"
        }
    }

    /// The job a producer named, or an error saying there is none. `lock`: the transaction goes
    /// on to change it (PostgreSQL holds the row until the transaction ends).
    static func existingJob(_ id: String, in tx: any StoreTransaction, lock: Bool = false) throws -> JobRecord {
        guard let job = try tx.record(JobRecord.self, SQLCatalogue.jobs.sql(lock ? "job-for-update" : "job", tx.dialect), [id]) else {
            throw OrchestratorError(subject: id, "no such job", kind: .notFound)
        }
        return job
    }

    public func job(_ id: String) throws -> JobRecord? {
        try database.read { try $0.record(JobRecord.self, SQLCatalogue.jobs.sql("job", $0.dialect), [id]) }
    }

    /// The job a producer named, or "ID: no such job" (404 over HTTP).
    public func requireJob(_ id: String) throws -> JobRecord {
        try database.read { try Self.existingJob(id, in: $0) }
    }

    public func attempts(of id: String) throws -> [AttemptRecord] {
        try database.read { try $0.records(AttemptRecord.self, SQLCatalogue.jobs.sql("attempts", $0.dialect), [id]) }
    }

    public func list(state: JobState? = nil) throws -> [JobRecord] {
        try list(JobFilter(state: state))
    }

    /// Jobs a producer filters for, newest first.
    public func list(_ filter: JobFilter) throws -> [JobRecord] {
        var clauses: [String] = [], arguments: [any StoreArgument] = []
        if let state = filter.state { clauses.append("state = ?"); arguments.append(state.rawValue) }
        if let template = filter.template { clauses.append("template = ?"); arguments.append(template) }
        if let camp = filter.camp {
            clauses.append("lower(\(dialect.jsonText("ticket_json", ["speaker", "camp"]))) = lower(?)"); arguments.append(camp)
        }
        if let since = filter.since { clauses.append("updated_at >= ?"); arguments.append(since.timeIntervalSince1970) }
        var limit = ""
        if let count = filter.limit { limit = " LIMIT ?"; arguments.append(count) }
        let sql = SQLCatalogue.jobs.sql("list-jobs", dialect, filling: ["where": SQLCatalogue.whereClause(clauses), "limit": limit])
        return try database.read { try $0.records(JobRecord.self, sql, arguments) }
    }

    /// When the oldest reply still waiting (queued, or failed and due for a retry) was queued, as
    /// seconds since 1970; nil when none waits. Editors' cuts do not count: they may wait.
    public func oldestWaitingReply() throws -> Double? {
        try database.read { tx in
            try tx.row(SQLCatalogue.jobs.sql("oldest-waiting-reply", tx.dialect))?.double("oldest")
        }
    }

    /// How many jobs are in each state (every state present, zero when none).
    public func countsByState() throws -> [JobState: Int] {
        let rows = try database.read { try $0.rows(SQLCatalogue.jobs.sql("counts-by-state", $0.dialect), []) }
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in rows { if let state = row.string("state").flatMap(JobState.init(rawValue:)) { counts[state] = row.int("n") ?? 0 } }
        return counts
    }

    /// A producer's retry: back to the queue now with fresh attempts, optionally with a new trim.
    /// Works on failed, dead and cancelled jobs; a running or queued job is left alone.
    public func retry(_ id: String, trim: (start: Double?, end: Double?)? = nil, now: Date? = nil) throws {
        try database.write { tx in
            let job = try Self.existingJob(id, in: tx, lock: true)
            guard [.failed, .dead, .cancelled, .succeeded].contains(job.state) else {
                throw OrchestratorError(subject: id, "is \(job.state.rawValue); only a finished job can be retried", kind: .conflict)
            }
            if let posted = job.postedUrl {
                throw OrchestratorError(subject: id, "was posted at \(posted); a posted reply is not made again", kind: .conflict)
            }
            let t = try tx.clock(now)
            try tx.execute(SQLCatalogue.jobs.sql("retry", tx.dialect), [retryPolicy.maxAttempts, t, trim?.start, trim?.end, t, id])
        }
    }

    /// Cancels a queued, failed or running job (a running one stops at its next heartbeat).
    public func cancel(_ id: String, now: Date? = nil) throws {
        try database.write { tx in
            let job = try Self.existingJob(id, in: tx, lock: true)
            guard [.queued, .failed, .running].contains(job.state) else {
                throw OrchestratorError(subject: id, "is already \(job.state.rawValue)", kind: .conflict)
            }
            let t = try tx.clock(now)
            try tx.execute(SQLCatalogue.jobs.sql("cancel-job", tx.dialect), [t, id])
            try tx.execute(SQLCatalogue.jobs.sql("cancel-attempt", tx.dialect), [t, id])
        }
    }
}
