/// The tables several processes (nodes) coordinate through, in both databases' spelling.
enum ClusterSchema {
    /// nodes: one row per `watch` process name, with its heartbeat. leader: at most one row, the
    /// node that runs maintenance until `expires_at` (River's and Oban's leader row: a node that
    /// is paused or gone stops renewing it, and another takes over once it lapsed). changes:
    /// every insert or update of a job or request, numbered, for the dashboards of every node.
    static let sqlite = """
        CREATE TABLE nodes (
            name TEXT PRIMARY KEY, version TEXT NOT NULL, workers INTEGER NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
            started_at REAL NOT NULL, heartbeat_at REAL NOT NULL, stopped_at REAL, lost_at REAL
        );
        CREATE TABLE leader (
            id INTEGER PRIMARY KEY CHECK (id = 1), node TEXT NOT NULL, term INTEGER NOT NULL,
            elected_at REAL NOT NULL, expires_at REAL NOT NULL
        );
        CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, id TEXT NOT NULL);
        CREATE TRIGGER changes_job_inserted AFTER INSERT ON jobs BEGIN INSERT INTO changes (kind, id) VALUES ('job', NEW.id); END;
        CREATE TRIGGER changes_job_updated AFTER UPDATE ON jobs BEGIN INSERT INTO changes (kind, id) VALUES ('job', NEW.id); END;
        CREATE TRIGGER changes_request_inserted AFTER INSERT ON reply_requests BEGIN INSERT INTO changes (kind, id) VALUES ('request', NEW.id); END;
        CREATE TRIGGER changes_request_updated AFTER UPDATE ON reply_requests BEGIN INSERT INTO changes (kind, id) VALUES ('request', NEW.id); END;
        ALTER TABLE ingest_intents ADD COLUMN node TEXT;
        ALTER TABLE ingest_intents ADD COLUMN lease_until REAL;
        """

    /// The same in PostgreSQL; the trigger also sends NOTIFY, delivered when (and only if) the
    /// transaction commits: a wake-up for idle workers and dashboards on every node.
    static let postgres = """
        CREATE TABLE nodes (
            name text PRIMARY KEY, version text NOT NULL, workers bigint NOT NULL, pid bigint NOT NULL, host text NOT NULL,
            started_at float8 NOT NULL, heartbeat_at float8 NOT NULL, stopped_at float8, lost_at float8
        );
        CREATE TABLE leader (
            id bigint PRIMARY KEY CHECK (id = 1), node text NOT NULL, term bigint NOT NULL,
            elected_at float8 NOT NULL, expires_at float8 NOT NULL
        );
        CREATE TABLE changes (seq bigserial PRIMARY KEY, kind text NOT NULL, id text NOT NULL);
        CREATE FUNCTION note_change() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            what text := CASE TG_TABLE_NAME WHEN 'jobs' THEN 'job' ELSE 'request' END;
        BEGIN
            INSERT INTO changes (kind, id) VALUES (what, NEW.id);
            PERFORM pg_notify('mediaorch', what || ' ' || NEW.state);
            RETURN NULL;
        END $$;
        CREATE TRIGGER changes_jobs AFTER INSERT OR UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION note_change();
        CREATE TRIGGER changes_requests AFTER INSERT OR UPDATE ON reply_requests FOR EACH ROW EXECUTE FUNCTION note_change();
        ALTER TABLE ingest_intents ADD COLUMN node text, ADD COLUMN lease_until float8;
        """
}
