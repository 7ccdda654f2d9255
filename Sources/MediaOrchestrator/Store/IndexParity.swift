/// The two databases' indexes made the same (SchemaEquivalenceTests found them apart): the
/// claim's older full index, which SQLite had and PostgreSQL lacked, and the look-up by content,
/// which PostgreSQL had and SQLite lacked. SQLite's migration v9 and PostgreSQL's v4.
enum IndexParity {
    static let sqlite = "CREATE INDEX IF NOT EXISTS jobs_source ON jobs (source_sha256);"
    static let postgres = "CREATE INDEX IF NOT EXISTS jobs_claim ON jobs (state, priority, next_attempt_at, created_at);"
}
