/// Consent kept beside a reply (added from the field after filming, or overridden by an admin
/// with a reason), and which tus upload holds a request while its clip crosses the link (one at
/// a time). SQLite's migration v8 and PostgreSQL's v3 say the same thing.
enum ConsentSchema {
    static let sqlite = """
        ALTER TABLE jobs ADD COLUMN consent_added_by TEXT;
        ALTER TABLE jobs ADD COLUMN consent_added_at REAL;
        ALTER TABLE jobs ADD COLUMN consent_override_by TEXT;
        ALTER TABLE jobs ADD COLUMN consent_override_reason TEXT;
        ALTER TABLE reply_requests ADD COLUMN consent_override_by TEXT;
        ALTER TABLE reply_requests ADD COLUMN consent_override_reason TEXT;
        ALTER TABLE reply_requests ADD COLUMN upload_id TEXT;
        """

    static let postgres = """
        ALTER TABLE jobs ADD COLUMN consent_added_by text, ADD COLUMN consent_added_at float8,
                         ADD COLUMN consent_override_by text, ADD COLUMN consent_override_reason text;
        ALTER TABLE reply_requests ADD COLUMN consent_override_by text, ADD COLUMN consent_override_reason text,
                                   ADD COLUMN upload_id text;
        """
}
