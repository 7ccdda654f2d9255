/// The webhook tables and the triggers that fill the outbox. An event's body is made by the
/// trigger from the row as it changed, so it says what happened then, not what is true when a
/// late delivery goes out.
enum WebhookSchema {
    /// What each event carries about a job.
    private static let jobData = """
        json_object('id', NEW.id, 'state', NEW.state, 'template', NEW.template, 'source_name', NEW.source_name,
                    'camp', json_extract(NEW.ticket_json, '$.speaker.camp'), 'handle', json_extract(NEW.ticket_json, '$.reply_to.handle'),
                    'request_id', (SELECT id FROM reply_requests WHERE job_id = NEW.id LIMIT 1), 'parent_id', NEW.parent_id,
                    'attempts', NEW.attempts, 'last_error', NEW.last_error,
                    'posted_url', NEW.posted_url, 'posted_by', NEW.posted_by)
        """

    /// One delivery per endpoint subscribed to `event` ('*' is every event).
    private static func enqueue(_ event: String, data: String) -> String {
        """
        INSERT INTO webhook_deliveries (id, endpoint_id, event, body, state, attempts, next_attempt_at, created_at)
        SELECT 'msg_' || lower(hex(randomblob(12))), w.id, '\(event)',
               json_object('type', '\(event)', 'timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'data', json(\(data))),
               'pending', 0, (julianday('now') - 2440587.5) * 86400.0, (julianday('now') - 2440587.5) * 86400.0
        FROM webhooks w
        WHERE w.events = '*' OR instr(',' || w.events || ',', ',\(event),') > 0;
        """
    }

    /// `event` each time a job enters `state`.
    private static func jobStateTrigger(_ event: String, state: String) -> String {
        """
        CREATE TRIGGER webhook_\(event.replacingOccurrences(of: ".", with: "_")) AFTER UPDATE OF state ON jobs
        WHEN NEW.state = '\(state)' AND OLD.state IS NOT '\(state)'
        BEGIN
            \(enqueue(event, data: jobData))
        END;
        """
    }

    static let v5 = """
        CREATE TABLE webhooks (
            id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
            event TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
            next_attempt_at REAL NOT NULL, lease_until REAL, last_status INTEGER, last_error TEXT,
            created_at REAL NOT NULL, delivered_at REAL
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
        CREATE TRIGGER webhook_request_created AFTER INSERT ON reply_requests
        BEGIN
            \(enqueue("request.created", data: """
                json_object('id', NEW.id, 'state', NEW.state, 'tweet_url', NEW.tweet_url, 'handle', NEW.handle,
                            'tweet_text', NEW.tweet_text, 'camp', NEW.camp, 'languages', json(NEW.languages_json),
                            'priority', NEW.priority, 'note', NEW.note,
                            'deadline', CASE WHEN NEW.deadline IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%SZ', NEW.deadline, 'unixepoch') END,
                            'created_by', NEW.created_by)
                """))
        END;
        \(jobStateTrigger("job.ready", state: "succeeded"))
        \(jobStateTrigger("job.failed", state: "failed"))
        \(jobStateTrigger("job.dead", state: "dead"))
        CREATE TRIGGER webhook_reply_posted AFTER UPDATE OF posted_url ON jobs
        WHEN OLD.posted_url IS NULL AND NEW.posted_url IS NOT NULL
        BEGIN
            \(enqueue("reply.posted", data: jobData))
        END;
        """
}
