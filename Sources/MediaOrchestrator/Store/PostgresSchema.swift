/// The PostgreSQL store's tables, as the SQLite store's migrations leave them, and its triggers
/// in PL/pgSQL. Migrations are applied by whichever node starts first: each node takes a
/// transaction-scoped advisory lock (released when that transaction ends, so a node that dies
/// holds nothing) and applies what `schema_migrations` does not list yet.
enum PostgresSchema {
    static let migrations: [(name: String, sql: String)] = [("v1", v1), ("v2", ClusterSchema.postgres), ("v3", ConsentSchema.postgres), ("v4", IndexParity.postgres)]

    /// Any fixed number: the lock's name.
    private static let migrationLock = 0x6d65_6469_616f

    static func migrate(_ store: PostgresStore) throws {
        try store.write { tx in
            try tx.execute("SELECT pg_advisory_xact_lock(?)", [migrationLock])
            try tx.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let applied = Set(try tx.rows("SELECT name FROM schema_migrations", []).compactMap { $0.string("name") })
            for migration in migrations where !applied.contains(migration.name) {
                try tx.script(migration.sql)
                try tx.execute("INSERT INTO schema_migrations (name) VALUES (?)", [migration.name])
            }
        }
    }

    private static let v1 = """
        CREATE TABLE jobs (
            id text PRIMARY KEY, state text NOT NULL, template text NOT NULL, priority bigint NOT NULL,
            source_name text NOT NULL, source_sha256 text NOT NULL, archive_path text NOT NULL,
            ticket_json text, trim_start float8, trim_end float8,
            attempts bigint NOT NULL DEFAULT 0, max_attempts bigint NOT NULL,
            next_attempt_at float8 NOT NULL, lease_owner text, lease_expires_at float8, last_error text,
            parent_id text, created_at float8 NOT NULL, updated_at float8 NOT NULL,
            published_attempt bigint, manifest_sha256 text,
            posted_url text, posted_by text, posted_at float8
        );
        -- The claim reads only this: the jobs a worker may take, in the order it takes them.
        CREATE INDEX jobs_claimable ON jobs (priority, next_attempt_at, created_at) WHERE state IN ('queued', 'failed');
        CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
        CREATE INDEX jobs_updated ON jobs (updated_at);
        CREATE INDEX jobs_source ON jobs (source_sha256);
        CREATE TABLE attempts (
            job_id text NOT NULL REFERENCES jobs(id), number bigint NOT NULL, worker text NOT NULL,
            started_at float8 NOT NULL, ended_at float8, outcome text, error text,
            PRIMARY KEY (job_id, number)
        );
        CREATE TABLE access_tokens (
            id text PRIMARY KEY, name text NOT NULL UNIQUE, role text NOT NULL,
            sha256 text NOT NULL UNIQUE, created_at float8 NOT NULL, last_used_at float8, camp text
        );
        CREATE TABLE ingest_intents (
            inbox_name text PRIMARY KEY, intent_json text NOT NULL, created_at float8 NOT NULL
        );
        CREATE TABLE reply_requests (
            id text PRIMARY KEY, state text NOT NULL, tweet_url text NOT NULL, tweet_id text NOT NULL,
            handle text NOT NULL, tweet_text text NOT NULL, camp text NOT NULL,
            languages_json text NOT NULL, priority text NOT NULL, note text, deadline float8,
            job_id text, created_by text NOT NULL, created_at float8 NOT NULL, updated_at float8 NOT NULL,
            posted_url text, posted_by text, posted_at float8
        );
        CREATE INDEX reply_requests_camp ON reply_requests (lower(camp), state);
        CREATE INDEX reply_requests_job ON reply_requests (job_id);
        CREATE INDEX reply_requests_updated ON reply_requests (updated_at);

        CREATE FUNCTION reply_requests_follow_their_job() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE reply_requests SET
                state = CASE NEW.state WHEN 'succeeded' THEN 'ready' WHEN 'dead' THEN 'failed'
                                       WHEN 'cancelled' THEN 'cancelled' ELSE 'rendering' END,
                updated_at = NEW.updated_at
            WHERE job_id = NEW.id AND state NOT IN ('posted', 'cancelled', 'expired');
            RETURN NULL;
        END $$;
        CREATE TRIGGER reply_requests_follow_their_job AFTER UPDATE OF state ON jobs
            FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state) EXECUTE FUNCTION reply_requests_follow_their_job();

        CREATE TABLE webhooks (
            id text PRIMARY KEY, url text NOT NULL, secret text NOT NULL, events text NOT NULL, created_at float8 NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            id text PRIMARY KEY, endpoint_id text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
            event text NOT NULL, body text NOT NULL, state text NOT NULL, attempts bigint NOT NULL,
            next_attempt_at float8 NOT NULL, lease_until float8, last_status bigint, last_error text,
            created_at float8 NOT NULL, delivered_at float8, seq bigserial
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);

        -- The outbox, as in SQLite: one delivery per endpoint that wants the event, queued in the
        -- transaction that made the change.
        CREATE FUNCTION webhook_enqueue(p_event text, p_data json) RETURNS void LANGUAGE sql AS $$
            INSERT INTO webhook_deliveries (id, endpoint_id, event, body, state, attempts, next_attempt_at, created_at)
            SELECT 'msg_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 24), w.id, p_event,
                   json_build_object('type', p_event,
                                     'timestamp', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                     'data', p_data)::text,
                   'pending', 0, extract(epoch FROM clock_timestamp())::float8, extract(epoch FROM clock_timestamp())::float8
            FROM webhooks w
            WHERE w.events = '*' OR position(',' || p_event || ',' IN ',' || w.events || ',') > 0
        $$;
        CREATE FUNCTION webhook_job_data(j jobs) RETURNS json LANGUAGE sql STABLE AS $$
            SELECT json_build_object('id', j.id, 'state', j.state, 'template', j.template, 'source_name', j.source_name,
                                     'camp', j.ticket_json::jsonb #>> '{speaker,camp}', 'handle', j.ticket_json::jsonb #>> '{reply_to,handle}',
                                     'request_id', (SELECT id FROM reply_requests WHERE job_id = j.id LIMIT 1), 'parent_id', j.parent_id,
                                     'attempts', j.attempts, 'last_error', j.last_error,
                                     'posted_url', j.posted_url, 'posted_by', j.posted_by)
        $$;
        CREATE FUNCTION webhook_job_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.state IS DISTINCT FROM OLD.state THEN
                IF NEW.state = 'succeeded' THEN PERFORM webhook_enqueue('job.ready', webhook_job_data(NEW));
                ELSIF NEW.state = 'failed' THEN PERFORM webhook_enqueue('job.failed', webhook_job_data(NEW));
                ELSIF NEW.state = 'dead' THEN PERFORM webhook_enqueue('job.dead', webhook_job_data(NEW));
                END IF;
            END IF;
            IF OLD.posted_url IS NULL AND NEW.posted_url IS NOT NULL THEN
                PERFORM webhook_enqueue('reply.posted', webhook_job_data(NEW));
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER webhook_job_events AFTER UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION webhook_job_events();
        CREATE FUNCTION webhook_request_created() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM webhook_enqueue('request.created', json_build_object(
                'id', NEW.id, 'state', NEW.state, 'tweet_url', NEW.tweet_url, 'handle', NEW.handle,
                'tweet_text', NEW.tweet_text, 'camp', NEW.camp, 'languages', NEW.languages_json::json,
                'priority', NEW.priority, 'note', NEW.note,
                'deadline', CASE WHEN NEW.deadline IS NULL THEN NULL
                                 ELSE to_char(to_timestamp(NEW.deadline) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
                'created_by', NEW.created_by));
            RETURN NULL;
        END $$;
        CREATE TRIGGER webhook_request_created AFTER INSERT ON reply_requests FOR EACH ROW EXECUTE FUNCTION webhook_request_created();
        """
}
