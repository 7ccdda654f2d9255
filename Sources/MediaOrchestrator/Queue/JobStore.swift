import Foundation
import GRDB

/// The durable job queue: SQLite in WAL mode through GRDB. Workers claim jobs with a lease they
/// renew while they work; a job whose lease lapsed (its worker was killed) is rescued and retried;
/// every state change of a claimed job is fenced by job id, attempt number and worker.
public final class JobStore: Sendable {
    private let db: DatabasePool
    public let retryPolicy: RetryPolicy

    public init(path: String, retryPolicy: RetryPolicy = RetryPolicy()) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        db = try DatabasePool(path: path, configuration: config) // DatabasePool runs SQLite in WAL mode
        self.retryPolicy = retryPolicy
        try Self.migrate(db)
    }

    /// Two processes opening a new store at once (`watch` and `jobs list`) can both see a
    /// migration as not yet applied; the slower one's CREATE TABLE then fails. Its transaction
    /// rolled back, so trying again finds the migration done.
    private static func migrate(_ db: DatabasePool) throws {
        // Already migrated (every `mediaorch jobs` call): a read, no wait for the writer's lock.
        if (try? db.read({ try migrator.hasCompletedMigrations($0) })) == true { return }
        for attempt in 1... {
            do { return try migrator.migrate(db) } catch where attempt < 20 {
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY, state TEXT NOT NULL, template TEXT NOT NULL, priority INTEGER NOT NULL,
                    source_name TEXT NOT NULL, source_sha256 TEXT NOT NULL, archive_path TEXT NOT NULL,
                    ticket_json TEXT, trim_start REAL, trim_end REAL,
                    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                    next_attempt_at REAL NOT NULL, lease_owner TEXT, lease_expires_at REAL, last_error TEXT,
                    parent_id TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                    UNIQUE (source_sha256, template, parent_id)
                );
                CREATE INDEX jobs_claim ON jobs (state, priority, next_attempt_at, created_at);
                CREATE TABLE attempts (
                    job_id TEXT NOT NULL REFERENCES jobs(id), number INTEGER NOT NULL, worker TEXT NOT NULL,
                    started_at REAL NOT NULL, ended_at REAL, outcome TEXT, error TEXT,
                    PRIMARY KEY (job_id, number)
                );
                """)
        }
        // Editors may ask for several cuts of one original: a job is unique by its id alone (the
        // id says which cut), and access tokens for the HTTP API live beside the jobs.
        m.registerMigration("v2", foreignKeyChecks: .deferred) { db in
            try db.execute(sql: """
                CREATE TABLE jobs_v2 (
                    id TEXT PRIMARY KEY, state TEXT NOT NULL, template TEXT NOT NULL, priority INTEGER NOT NULL,
                    source_name TEXT NOT NULL, source_sha256 TEXT NOT NULL, archive_path TEXT NOT NULL,
                    ticket_json TEXT, trim_start REAL, trim_end REAL,
                    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                    next_attempt_at REAL NOT NULL, lease_owner TEXT, lease_expires_at REAL, last_error TEXT,
                    parent_id TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL
                );
                INSERT INTO jobs_v2 SELECT * FROM jobs;
                DROP TABLE jobs;
                ALTER TABLE jobs_v2 RENAME TO jobs;
                CREATE INDEX jobs_claim ON jobs (state, priority, next_attempt_at, created_at);
                CREATE INDEX jobs_updated ON jobs (updated_at);
                CREATE TABLE access_tokens (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
                    sha256 TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, last_used_at REAL
                );
                """)
        }
        // Each attempt renders into a staging folder of its own and is published by one fenced
        // commit naming the attempt and the manifest's hash; an ingest records what it is about
        // to do before it moves a clip, so a crash in between is finished at start-up.
        m.registerMigration("v3") { db in
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN published_attempt INTEGER;
                ALTER TABLE jobs ADD COLUMN manifest_sha256 TEXT;
                CREATE TABLE ingest_intents (
                    inbox_name TEXT PRIMARY KEY, intent_json TEXT NOT NULL, created_at REAL NOT NULL
                );
                """)
        }
        // The field path: the command centre's reply requests, each followed by the reply job made
        // from its clip (a trigger keeps a request's state in step with its job's, whichever code
        // path changes the job), tokens scoped to one camp, and who posted a reply where.
        m.registerMigration("v4") { db in
            try db.execute(sql: """
                CREATE TABLE reply_requests (
                    id TEXT PRIMARY KEY, state TEXT NOT NULL, tweet_url TEXT NOT NULL, tweet_id TEXT NOT NULL,
                    handle TEXT NOT NULL, tweet_text TEXT NOT NULL, camp TEXT NOT NULL COLLATE NOCASE,
                    languages_json TEXT NOT NULL, priority TEXT NOT NULL, note TEXT, deadline REAL,
                    job_id TEXT, created_by TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                    posted_url TEXT, posted_by TEXT, posted_at REAL
                );
                CREATE INDEX reply_requests_camp ON reply_requests (camp, state);
                CREATE INDEX reply_requests_job ON reply_requests (job_id);
                CREATE INDEX reply_requests_updated ON reply_requests (updated_at);
                ALTER TABLE access_tokens ADD COLUMN camp TEXT;
                ALTER TABLE jobs ADD COLUMN posted_url TEXT;
                ALTER TABLE jobs ADD COLUMN posted_by TEXT;
                ALTER TABLE jobs ADD COLUMN posted_at REAL;
                CREATE TRIGGER reply_requests_follow_their_job AFTER UPDATE OF state ON jobs
                WHEN NEW.state IS NOT OLD.state
                BEGIN
                    UPDATE reply_requests SET
                        state = CASE NEW.state WHEN 'succeeded' THEN 'ready' WHEN 'dead' THEN 'failed'
                                               WHEN 'cancelled' THEN 'cancelled' ELSE 'rendering' END,
                        updated_at = NEW.updated_at
                    WHERE job_id = NEW.id AND state NOT IN ('posted', 'cancelled', 'expired');
                END;
                """)
        }
        // Webhooks: every event is queued for every endpoint that wants it in the same transaction
        // as the change itself (a transactional outbox), so a delivery can be late but never lost.
        m.registerMigration("v5") { db in
            try db.execute(sql: WebhookSchema.v5)
        }
        return m
    }

    /// For the store's extensions (access tokens): the same database, one writer at a time.
    var database: DatabasePool { db }

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
    public func enqueue(_ new: NewJob, now: Date = Date()) throws -> (job: JobRecord, created: Bool) {
        try db.write { db in try self.insert(new, in: db, now: now) }
    }

    /// Inserts a job unless one with its id exists, inside the caller's transaction.
    func insert(_ new: NewJob, in db: Database, now: Date) throws -> (job: JobRecord, created: Bool) {
            if let existing = try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [new.id]) {
                return (existing, false)
            }
            let t = now.timeIntervalSince1970
            try db.execute(sql: """
                INSERT INTO jobs (id, state, template, priority, source_name, source_sha256, archive_path, ticket_json,
                                  trim_start, trim_end, max_attempts, next_attempt_at, parent_id, created_at, updated_at)
                VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [new.id, new.template, new.priority.rawValue, new.sourceName, new.sourceSha256, new.archivePath,
                                 new.ticketJson, new.trim?.start, new.trim?.end, retryPolicy.maxAttempts, t, new.parentId, t, t])
            return (try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [new.id])!, true)
    }

    /// Takes the most urgent job that is due, with a lease until `now + lease`.
    public func claim(worker: String, lease: TimeInterval, now: Date = Date()) throws -> JobClaim? {
        try db.write { db in
            let t = now.timeIntervalSince1970
            guard let job = try JobRecord.fetchOne(db, sql: """
                SELECT * FROM jobs WHERE state IN ('queued', 'failed') AND next_attempt_at <= ?
                ORDER BY priority, next_attempt_at, created_at LIMIT 1
                """, arguments: [t]) else { return nil }
            let attempt = job.attempts + 1
            try db.execute(sql: """
                UPDATE jobs SET state = 'running', attempts = ?, lease_owner = ?, lease_expires_at = ?, updated_at = ? WHERE id = ?
                """, arguments: [attempt, worker, t + lease, t, job.id])
            try db.execute(sql: "INSERT INTO attempts (job_id, number, worker, started_at) VALUES (?, ?, ?, ?)",
                           arguments: [job.id, attempt, worker, t])
            let claimed = try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [job.id])!
            return JobClaim(job: claimed, attempt: attempt, worker: worker)
        }
    }

    /// Heartbeat: extends the lease. False when the claim is no longer this worker's (rescued, cancelled).
    public func renew(_ claim: JobClaim, lease: TimeInterval, now: Date = Date()) throws -> Bool {
        try db.write { db in
            let fence = AttemptFence(claim)
            try db.execute(sql: "UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE \(fence.condition)",
                           arguments: [now.timeIntervalSince1970 + lease, now.timeIntervalSince1970] + fence.arguments)
            return db.changesCount == 1
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
        try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM attempts WHERE job_id = ? AND outcome = ?",
                                       arguments: [id, Self.diskRelease]) ?? 0 }
    }

    /// How an attempt released for lack of disk space is recorded.
    static let diskRelease = "released: disk low"

    /// Records how an attempt ended. Fenced: a worker whose lease lapsed and whose job was rescued
    /// and claimed again cannot overwrite the newer attempt's state. Returns false when fenced off.
    @discardableResult
    public func finish(_ claim: JobClaim, _ outcome: Outcome, now: Date = Date()) throws -> Bool {
        try db.write { db in
            let t = now.timeIntervalSince1970
            let fence = AttemptFence(claim)
            guard let job = try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE \(fence.condition)",
                                                   arguments: fence.arguments) else { return false }
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
            try db.execute(sql: """
                UPDATE jobs SET state = ?, max_attempts = ?, next_attempt_at = ?, last_error = COALESCE(?, last_error),
                       lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?
                """, arguments: [state.rawValue, maxAttempts, next, error, t, job.id])
            try db.execute(sql: "UPDATE attempts SET ended_at = ?, outcome = ?, error = ? WHERE job_id = ? AND number = ?",
                           arguments: [t, label, error, job.id, claim.attempt])
            return true
        }
    }

    /// Jobs whose worker stopped renewing (killed, machine lost) go back to the queue as a
    /// transient failure; returns how many.
    @discardableResult
    public func rescueExpiredLeases(now: Date = Date()) throws -> Int {
        try db.write { db in
            let t = now.timeIntervalSince1970
            let lapsed = try JobRecord.fetchAll(db, sql: "SELECT * FROM jobs WHERE state = 'running' AND lease_expires_at < ?", arguments: [t])
            for job in lapsed {
                let reason = "worker \(job.leaseOwner ?? "?") stopped renewing its lease (killed or lost)"
                let dead = job.attempts >= job.maxAttempts
                try db.execute(sql: """
                    UPDATE jobs SET state = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL,
                           updated_at = ? WHERE id = ?
                    """, arguments: [dead ? "dead" : "failed", t, reason, t, job.id])
                try db.execute(sql: "UPDATE attempts SET ended_at = ?, outcome = 'lease lapsed', error = ? WHERE job_id = ? AND number = ?",
                               arguments: [t, reason, job.id, job.attempts])
            }
            return lapsed.count
        }
    }

    /// The job a producer named, or an error saying there is none.
    static func existingJob(_ id: String, in db: Database) throws -> JobRecord {
        guard let job = try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]) else {
            throw OrchestratorError(file: id, "no such job", kind: .notFound)
        }
        return job
    }

    public func job(_ id: String) throws -> JobRecord? {
        try db.read { try JobRecord.fetchOne($0, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]) }
    }

    /// The job a producer named, or "ID: no such job" (404 over HTTP).
    public func requireJob(_ id: String) throws -> JobRecord {
        try db.read { try Self.existingJob(id, in: $0) }
    }

    public func attempts(of id: String) throws -> [AttemptRecord] {
        try db.read { try AttemptRecord.fetchAll($0, sql: "SELECT * FROM attempts WHERE job_id = ? ORDER BY number", arguments: [id]) }
    }

    public func list(state: JobState? = nil) throws -> [JobRecord] {
        try list(JobFilter(state: state))
    }

    /// Jobs a producer filters for, newest first.
    public func list(_ filter: JobFilter) throws -> [JobRecord] {
        var clauses: [String] = [], arguments: StatementArguments = []
        if let state = filter.state { clauses.append("state = ?"); arguments += [state.rawValue] }
        if let template = filter.template { clauses.append("template = ?"); arguments += [template] }
        if let camp = filter.camp { clauses.append("json_extract(ticket_json, '$.speaker.camp') = ? COLLATE NOCASE"); arguments += [camp] }
        if let since = filter.since { clauses.append("updated_at >= ?"); arguments += [since.timeIntervalSince1970] }
        var sql = "SELECT * FROM jobs" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")) + " ORDER BY created_at DESC"
        if let limit = filter.limit { sql += " LIMIT ?"; arguments += [limit] }
        return try db.read { try JobRecord.fetchAll($0, sql: sql, arguments: arguments) }
    }

    /// Jobs changed after `time` (a seconds-since-1970 watermark), oldest change first: the
    /// change feed behind the live dashboard sees every state change, whichever process made it.
    public func changes(after time: Double) throws -> [JobRecord] {
        try db.read { try JobRecord.fetchAll($0, sql: "SELECT * FROM jobs WHERE updated_at > ? ORDER BY updated_at", arguments: [time]) }
    }

    /// When the oldest reply still waiting (queued, or failed and due for a retry) was queued, as
    /// seconds since 1970; nil when none waits. Editors' cuts do not count: they may wait.
    public func oldestWaitingReply() throws -> Double? {
        try db.read { try Double.fetchOne($0, sql: """
            SELECT MIN(created_at) FROM jobs WHERE state IN ('queued', 'failed') AND parent_id IS NULL AND template NOT LIKE 'bts-cut%'
            """) }
    }

    /// How many jobs are in each state (every state present, zero when none).
    public func countsByState() throws -> [JobState: Int] {
        let rows = try db.read { try Row.fetchAll($0, sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") }
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in rows { if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] } }
        return counts
    }

    /// A producer's retry: back to the queue now with fresh attempts, optionally with a new trim.
    /// Works on failed, dead and cancelled jobs; a running or queued job is left alone.
    public func retry(_ id: String, trim: (start: Double?, end: Double?)? = nil, now: Date = Date()) throws {
        try db.write { db in
            let job = try Self.existingJob(id, in: db)
            guard [.failed, .dead, .cancelled, .succeeded].contains(job.state) else {
                throw OrchestratorError(file: id, "is \(job.state.rawValue); only a finished job can be retried", kind: .conflict)
            }
            if let posted = job.postedUrl {
                throw OrchestratorError(file: id, "was posted at \(posted); a posted reply is not made again", kind: .conflict)
            }
            let t = now.timeIntervalSince1970
            try db.execute(sql: """
                UPDATE jobs SET state = 'queued', max_attempts = attempts + ?, next_attempt_at = ?,
                       trim_start = COALESCE(?, trim_start), trim_end = COALESCE(?, trim_end), updated_at = ? WHERE id = ?
                """, arguments: [retryPolicy.maxAttempts, t, trim?.start, trim?.end, t, id])
        }
    }

    /// Cancels a queued, failed or running job (a running one stops at its next heartbeat).
    public func cancel(_ id: String, now: Date = Date()) throws {
        try db.write { db in
            let job = try Self.existingJob(id, in: db)
            guard [.queued, .failed, .running].contains(job.state) else {
                throw OrchestratorError(file: id, "is already \(job.state.rawValue)", kind: .conflict)
            }
            let t = now.timeIntervalSince1970
            try db.execute(sql: "UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?",
                           arguments: [t, id])
            try db.execute(sql: "UPDATE attempts SET ended_at = ?, outcome = 'cancelled' WHERE job_id = ? AND ended_at IS NULL",
                           arguments: [t, id])
        }
    }
}
