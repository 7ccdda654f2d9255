import Foundation

/// The store's SQL kept in .sql files (Store/SQL/, compiled in), as River keeps its queries:
/// each statement under a `-- name: claim` line, comments above it saying why. What differs
/// between the databases is a placeholder filled here: `{for_update}`, `{skip_locked}`,
/// `{clock}`, `{insertion_order}` (SQLDialect.insertionOrder), and `{fence}` (AttemptFence's
/// condition; bind its arguments after the statement's). What differs from call to call (a WHERE
/// made of the filters given, an IN list's `?`s) is a placeholder of the statement's own, which its
/// .sql file describes at the top and its caller fills (`sql(_:_:fence:filling:)`).
struct SQLCatalogue: Sendable {
    let file: String
    private let statements: [String: String]

    static let queue = SQLCatalogue(file: "queue.sql", PackageResources.queue_sql)
    static let jobs = SQLCatalogue(file: "jobs.sql", PackageResources.jobs_sql)
    static let requests = SQLCatalogue(file: "requests.sql", PackageResources.requests_sql)
    static let publishing = SQLCatalogue(file: "publishing.sql", PackageResources.publishing_sql)
    static let intents = SQLCatalogue(file: "intents.sql", PackageResources.intents_sql)
    static let tokens = SQLCatalogue(file: "tokens.sql", PackageResources.tokens_sql)
    static let webhooks = SQLCatalogue(file: "webhooks.sql", PackageResources.webhooks_sql)
    static let nodes = SQLCatalogue(file: "nodes.sql", PackageResources.nodes_sql)

    /// Every catalogue, each named in code as its file is (`SQLCatalogue.jobs` is jobs.sql).
    static let all: [SQLCatalogue] = [queue, jobs, requests, publishing, intents, tokens, webhooks, nodes]

    init(file: String, _ bytes: [UInt8]) {
        self.file = file
        var statements: [String: String] = [:]
        var name: String? = nil
        var lines: [Substring] = []
        func close() {
            if let name { statements[name] = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) }
            lines = []
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- name:") {
                close()
                name = line.dropFirst("-- name:".count).trimmingCharacters(in: .whitespaces)
            } else if !line.hasPrefix("--") {
                lines.append(line)
            }
        }
        close()
        self.statements = statements
    }

    var names: [String] { statements.keys.sorted() }

    /// Statement `name` for `dialect`, with `fence`'s condition where it says `{fence}`.
    func sql(_ name: String, _ dialect: SQLDialect, fence: AttemptFence? = nil) -> String {
        guard let statement = statements[name] else { preconditionFailure("\(file) has no statement named \(name)") }
        return statement
            .replacingOccurrences(of: "{for_update}", with: dialect.forUpdate)
            .replacingOccurrences(of: "{skip_locked}", with: dialect.forUpdateSkipLocked)
            .replacingOccurrences(of: "{clock}", with: dialect.clock)
            .replacingOccurrences(of: "{insertion_order}", with: dialect.insertionOrder)
            .replacingOccurrences(of: "{fence}", with: fence?.condition ?? "{fence}")
    }

    /// Statement `name` as above, then its own placeholders filled: `filling["where"]` replaces
    /// `{where}`, and so on (its .sql file says what each one holds). Each must be in the statement.
    /// They are filled in the order of their names, so no filling's text may itself hold another's
    /// placeholder (none does: the texts are conditions, `LIMIT ?` and lists of `?`).
    func sql(_ name: String, _ dialect: SQLDialect, fence: AttemptFence? = nil, filling: [String: String]) -> String {
        var statement = sql(name, dialect, fence: fence)
        for (placeholder, text) in filling.sorted(by: { $0.key < $1.key }) {
            precondition(statement.contains("{\(placeholder)}"), "\(file): \(name) has no {\(placeholder)}")
            statement = statement.replacingOccurrences(of: "{\(placeholder)}", with: text)
        }
        return statement
    }

    /// What a `{where}` holds: " WHERE " and the conditions joined by AND, or nothing when there are none.
    static func whereClause(_ conditions: [String]) -> String {
        conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }
}
