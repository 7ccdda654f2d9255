import Foundation

/// The durable job queue, on SQLite (one machine) or PostgreSQL (several). Workers claim jobs
/// with a lease they renew while they work; a job whose lease lapsed (its worker was killed) is
/// rescued and retried; every state change of a claimed job is fenced by job id, attempt number
/// and worker. Times default to the database's clock (`now: nil`), so nodes whose clocks
/// disagree still agree on whose lease has lapsed; tests pass a `now` of their own.
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

    /// Queues a job; the same clip with the same template again returns the existing job.
    @discardableResult
    public func enqueue(_ new: NewJob, now: Date? = nil) throws -> (job: JobRecord, created: Bool) {
        try database.write { tx in try self.insert(new, in: tx, now: try tx.clock(now)) }
    }

    /// Inserts a job unless one with its id exists, inside the caller's transaction. Two nodes
    /// ingesting the same clip at once both land here: the key decides, the loser gets the job.
    func insert(_ new: NewJob, in tx: any StoreTransaction, now t: Double) throws -> (job: JobRecord, created: Bool) {
        let inserted = try tx.execute("""
            INSERT INTO jobs (id, state, template, priority, source_name, source_sha256, archive_path, ticket_json,
                              trim_start, trim_end, max_attempts, next_attempt_at, parent_id, created_at, updated_at)
            VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
            """, [new.id, new.template, new.priority.rawValue, new.sourceName, new.sourceSha256, new.archivePath,
                  new.ticketJson, new.trim?.start, new.trim?.end, retryPolicy.maxAttempts, t, new.parentId, t, t])
        return (try Self.existingJob(new.id, in: tx), inserted == 1)
    }

    /// Takes the most urgent job that is due, with a lease until the database's `now + lease`.
    /// On PostgreSQL one short statement picks and takes it, passing over rows another node is
    /// taking at that moment (SKIP LOCKED); on SQLite the single writer makes the same pick.
    /// The claim holds no transaction while the job runs: the lease is the lock.
    public func claim(worker: String, lease: TimeInterval, now: Date? = nil) throws -> JobClaim? {
        if dialect == .postgres { return try claimInOneStatement(worker: worker, lease: lease, now: now) }
        return try database.write { tx in
            let t = try tx.clock(now)
            guard let job = try tx.record(JobRecord.self, """
                WITH next AS (
                    SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND next_attempt_at <= ?
                    ORDER BY priority, next_attempt_at, created_at LIMIT 1\(tx.dialect.forUpdateSkipLocked)
                )
                UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?, updated_at = ?
                WHERE id IN (SELECT id FROM next) RETURNING *
                """, [t, worker, t + lease, t]) else { return nil }
            try tx.execute("INSERT INTO attempts (job_id, number, worker, started_at) VALUES (?, ?, ?, ?)",
                           [job.id, job.attempts, worker, t])
            return JobClaim(job: job, attempt: job.attempts, worker: worker)
        }
    }

    /// PostgreSQL's claim, as River and Oban make it: one statement (its own transaction, one
    /// round trip) picks the most urgent due job that no other node is taking at that moment,
    /// takes it with a lease on the database's clock, and records the attempt.
    private func claimInOneStatement(worker: String, lease: TimeInterval, now: Date?) throws -> JobClaim? {
        try database.statement { tx in
            guard let job = try tx.record(JobRecord.self, """
                WITH clock AS (SELECT COALESCE(CAST(? AS float8), \(tx.dialect.clock)) AS t),
                next AS (
                    SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND next_attempt_at <= (SELECT t FROM clock)
                    ORDER BY priority, next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED
                ),
                claimed AS (
                    UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?,
                                    lease_expires_at = (SELECT t FROM clock) + ?, updated_at = (SELECT t FROM clock)
                    WHERE id IN (SELECT id FROM next) RETURNING *
                ),
                attempt AS (
                    INSERT INTO attempts (job_id, number, worker, started_at)
                    SELECT id, attempts, lease_owner, updated_at FROM claimed
                )
                SELECT * FROM claimed
                """, [now?.timeIntervalSince1970, worker, lease]) else { return nil }
            return JobClaim(job: job, attempt: job.attempts, worker: worker)
        }
    }

    /// Heartbeat: extends the lease. False when the claim is no longer this worker's (rescued, cancelled).
    public func renew(_ claim: JobClaim, lease: TimeInterval, now: Date? = nil) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(now)
            let fence = AttemptFence(claim)
            return try tx.execute("UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE \(fence.condition)",
                                  [t + lease, t] + fence.arguments) == 1
        }
    }

    public enum Outcome: Sendable {
        case succeeded
        /// `permanent`: bad input, no retry can help.
        case failed(reason: String, permanent: Bool)
        /// The worker was asked to stop (SIGTERM past its grace): the job goes back to the queue as it was.
        case released
        /// The disk fell below its free-space floor: back to the queue, no try used, the reason kept.
        case releasedForDiskSpace

        var isDiskRelease: Bool { if case .releasedForDiskSpace = self { true } else { false } }
    }

    /// How many of a job's attempts were released for lack of disk space: a render whose own
    /// outputs fill the disk would otherwise be released and claimed again for ever.
    public func diskReleases(of id: String) throws -> Int {
        try database.read { tx in
            try tx.row("SELECT COUNT(*) AS n FROM attempts WHERE job_id = ? AND outcome = ?", [id, Self.diskRelease])?.int("n") ?? 0
        }
    }

    /// How an attempt released for lack of disk space is recorded.
    static let diskRelease = "released: disk low"

    /// Records how an attempt ended. Fenced: a worker whose lease lapsed and whose job was rescued
    /// and claimed again cannot overwrite the newer attempt's state. Returns false when fenced off.
    @discardableResult
    public func finish(_ claim: JobClaim, _ outcome: Outcome, now: Date? = nil) throws -> Bool {
        try database.write { tx in
            let t = try tx.clock(now)
            let fence = AttemptFence(claim)
            guard let job = try tx.record(JobRecord.self, "SELECT * FROM jobs WHERE \(fence.condition)\(tx.dialect.forUpdate)",
                                          fence.arguments) else { return false }
            let state: JobState, next: Double, error: String?, label: String
            var maxAttempts = job.maxAttempts
            switch outcome {
            case .succeeded:
                (state, next, error, label) = (.succeeded, t, nil, "succeeded")
            case .failed(let reason, let permanent):
                let exhausted = permanent || job.attempts >= job.maxAttempts
                state = exhausted ? .dead : .failed
                next = exhausted ? t : t + retryPolicy.delay(afterAttempt: job.attempts)
                (error, label) = (reason, "failed")
            case .released, .releasedForDiskSpace:
                let disk = outcome.isDiskRelease
                (state, next, error, label) = (.queued, t, disk ? "the disk was below its free-space floor" : nil, disk ? Self.diskRelease : "released")
                maxAttempts += 1 // a release is not a failure: it does not use up a try
            }
            try tx.execute("""
                UPDATE jobs SET state = ?, max_attempts = ?, next_attempt_at = ?, last_error = COALESCE(?, last_error),
                       lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?
                """, [state.rawValue, maxAttempts, next, error, t, job.id])
            try tx.execute("UPDATE attempts SET ended_at = ?, outcome = ?, error = ? WHERE job_id = ? AND number = ?",
                           [t, label, error, job.id, claim.attempt])
            return true
        }
    }

    /// Jobs whose worker stopped renewing (killed, machine lost, paused) go back to the queue as
    /// a transient failure; returns how many. Safe when two nodes run it at once: each lapsed
    /// job is locked by the one that takes it and passed over by the other.
    @discardableResult
    public func rescueExpiredLeases(now: Date? = nil) throws -> Int {
        try database.write { tx in
            let t = try tx.clock(now)
            let lapsed = try tx.records(JobRecord.self, "SELECT * FROM jobs WHERE state = 'running' AND lease_expires_at < ?\(tx.dialect.forUpdateSkipLocked)", [t])
            for job in lapsed {
                let reason = "worker \(job.leaseOwner ?? "?") stopped renewing its lease (killed or lost)"
                let dead = job.attempts >= job.maxAttempts
                try tx.execute("""
                    UPDATE jobs SET state = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL,
                           updated_at = ? WHERE id = ?
                    """, [dead ? "dead" : "failed", t, reason, t, job.id])
                try tx.execute("UPDATE attempts SET ended_at = ?, outcome = 'lease lapsed', error = ? WHERE job_id = ? AND number = ?",
                               [t, reason, job.id, job.attempts])
            }
            return lapsed.count
        }
    }

    /// Editors' cuts wait behind replies, but not for ever: one that has waited `after` seconds
    /// is promoted to realtime, and then goes by its due time among the replies (an old due
    /// time puts it first). Returns how many were promoted.
    @discardableResult
    public func promoteStarvedWork(after: TimeInterval = 1800, now: Date? = nil) throws -> Int {
        try database.write { tx in
            let t = try tx.clock(now)
            return try tx.execute("""
                UPDATE jobs SET priority = 0, updated_at = ? WHERE state IN ('queued', 'failed') AND priority > 0 AND next_attempt_at < ?
                """, [t, t - after])
        }
    }

    /// The job a producer named, or an error saying there is none. `lock`: the transaction goes
    /// on to change it (PostgreSQL holds the row until the transaction ends).
    static func existingJob(_ id: String, in tx: any StoreTransaction, lock: Bool = false) throws -> JobRecord {
        guard let job = try tx.record(JobRecord.self, "SELECT * FROM jobs WHERE id = ?" + (lock ? tx.dialect.forUpdate : ""), [id]) else {
            throw OrchestratorError(file: id, "no such job", kind: .notFound)
        }
        return job
    }

    public func job(_ id: String) throws -> JobRecord? {
        try database.read { try $0.record(JobRecord.self, "SELECT * FROM jobs WHERE id = ?", [id]) }
    }

    /// The job a producer named, or "ID: no such job" (404 over HTTP).
    public func requireJob(_ id: String) throws -> JobRecord {
        try database.read { try Self.existingJob(id, in: $0) }
    }

    public func attempts(of id: String) throws -> [AttemptRecord] {
        try database.read { try $0.records(AttemptRecord.self, "SELECT * FROM attempts WHERE job_id = ? ORDER BY number", [id]) }
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
        var sql = "SELECT * FROM jobs" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")) + " ORDER BY created_at DESC"
        if let limit = filter.limit { sql += " LIMIT ?"; arguments.append(limit) }
        return try database.read { try $0.records(JobRecord.self, sql, arguments) }
    }

    /// When the oldest reply still waiting (queued, or failed and due for a retry) was queued, as
    /// seconds since 1970; nil when none waits. Editors' cuts do not count: they may wait.
    public func oldestWaitingReply() throws -> Double? {
        try database.read { tx in
            try tx.row("""
                SELECT MIN(created_at) AS oldest FROM jobs
                WHERE state IN ('queued', 'failed') AND parent_id IS NULL AND template NOT LIKE 'bts-cut%'
                """)?.double("oldest")
        }
    }

    /// How many jobs are in each state (every state present, zero when none).
    public func countsByState() throws -> [JobState: Int] {
        let rows = try database.read { try $0.rows("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state", []) }
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
                throw OrchestratorError(file: id, "is \(job.state.rawValue); only a finished job can be retried", kind: .conflict)
            }
            if let posted = job.postedUrl {
                throw OrchestratorError(file: id, "was posted at \(posted); a posted reply is not made again", kind: .conflict)
            }
            let t = try tx.clock(now)
            try tx.execute("""
                UPDATE jobs SET state = 'queued', max_attempts = attempts + ?, next_attempt_at = ?,
                       trim_start = COALESCE(?, trim_start), trim_end = COALESCE(?, trim_end), updated_at = ? WHERE id = ?
                """, [retryPolicy.maxAttempts, t, trim?.start, trim?.end, t, id])
        }
    }

    /// Cancels a queued, failed or running job (a running one stops at its next heartbeat).
    public func cancel(_ id: String, now: Date? = nil) throws {
        try database.write { tx in
            let job = try Self.existingJob(id, in: tx, lock: true)
            guard [.queued, .failed, .running].contains(job.state) else {
                throw OrchestratorError(file: id, "is already \(job.state.rawValue)", kind: .conflict)
            }
            let t = try tx.clock(now)
            try tx.execute("UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?",
                           [t, id])
            try tx.execute("UPDATE attempts SET ended_at = ?, outcome = 'cancelled' WHERE job_id = ? AND ended_at IS NULL",
                           [t, id])
        }
    }
}
