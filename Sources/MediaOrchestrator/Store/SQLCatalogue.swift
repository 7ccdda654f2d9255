import Foundation

/// The store's SQL kept in .sql files (Store/SQL/, compiled in), as River keeps its queries:
/// each statement under a `-- name: claim` line, comments above it saying why. What differs
/// between the databases is a placeholder filled here: `{for_update}`, `{skip_locked}`,
/// `{clock}`, and `{fence}` (AttemptFence's condition; bind its arguments after the statement's).
struct SQLCatalogue: Sendable {
    let file: String
    private let statements: [String: String]

    static let queue = SQLCatalogue(file: "queue.sql", PackageResources.queue_sql)

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
            .replacingOccurrences(of: "{fence}", with: fence?.condition ?? "{fence}")
    }
}
