import Foundation
import GRDB

/// The embedded store for one machine: SQLite in WAL mode through GRDB, one writer at a time.
public final class SQLiteStore: StoreDatabase {
    private let pool: DatabasePool
    public let path: String
    public var dialect: SQLDialect { .sqlite }
    public var displayName: String { path }

    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        // DatabasePool runs SQLite in WAL mode. Switching a new file to WAL answers "locked" at
        // once, without waiting, to all but one of several processes opening it together: try again.
        var attempt = 0
        while true {
            do { pool = try DatabasePool(path: path, configuration: config); break } catch let error as DatabaseError
                where error.resultCode == .SQLITE_BUSY && attempt < 20 {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.02 * Double(attempt))
            }
        }
        self.path = path
        try Self.migrate(pool)
    }

    @discardableResult
    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try pool.write { try body(Transaction(db: $0)) }
    }

    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try pool.read { try body(Transaction(db: $0)) }
    }

    public func statement<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { try write(body) }

    public func close() { try? pool.close() }

    private struct Transaction: StoreTransaction {
        let db: Database
        var dialect: SQLDialect { .sqlite }

        func execute(_ sql: String, _ arguments: [any StoreArgument]) throws -> Int {
            try db.execute(sql: sql, arguments: Self.bind(arguments))
            return db.changesCount
        }

        func script(_ sql: String) throws { try db.execute(sql: sql) }

        func rows(_ sql: String, _ arguments: [any StoreArgument]) throws -> [StoreRow] {
            try Row.fetchAll(db, sql: sql, arguments: Self.bind(arguments)).map { row in
                var columns: [String: StoreValue] = [:]
                for (name, value) in row {
                    columns[name] = switch value.storage {
                    case .null: .null
                    case .int64(let i): .integer(Int(i))
                    case .double(let d): .real(d)
                    case .string(let s): .text(s)
                    case .blob(let b): .text(String(decoding: b, as: UTF8.self))
                    }
                }
                return StoreRow(columns: columns)
            }
        }

        private static func bind(_ arguments: [any StoreArgument]) -> StatementArguments {
            StatementArguments(arguments.map { argument -> DatabaseValue in
                switch argument.storeValue {
                case .null: .null
                case .integer(let i): i.databaseValue
                case .real(let d): d.databaseValue
                case .text(let s): s.databaseValue
                }
            })
        }
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
        // The claim reads only this: the jobs a worker may take, in the order it takes them.
        m.registerMigration("v6") { db in
            try db.execute(sql: """
                CREATE INDEX jobs_claimable ON jobs (priority, next_attempt_at, created_at) WHERE state IN ('queued', 'failed');
                CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
                """)
        }
        // Several processes on one store: who is up (nodes), who runs maintenance (the leader
        // row), what changed in which order (the change table the dashboards follow), and which
        // process ingests an upload (a lease on its inbox name).
        m.registerMigration("v7") { db in
            try db.execute(sql: ClusterSchema.sqlite)
        }
        m.registerMigration("v8") { db in
            try db.execute(sql: ConsentSchema.sqlite)
        }
        m.registerMigration("v9") { db in
            try db.execute(sql: IndexParity.sqlite)
        }
        return m
    }

}
