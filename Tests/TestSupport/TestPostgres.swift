import Foundation

/// The throw-away PostgreSQL cluster `make test` starts (scripts/with-postgres.sh).
public enum TestPostgres {
    /// Its address, e.g. postgres://postgres@127.0.0.1:PORT/postgres.
    public static func serverAddress() throws -> String {
        guard let address = ProcessInfo.processInfo.environment["MEDIAORCH_TEST_POSTGRES"], !address.isEmpty else {
            throw OracleError("MEDIAORCH_TEST_POSTGRES is not set: run the tests through `make test`, whose scripts/with-postgres.sh starts PostgreSQL")
        }
        return address
    }

    /// A new, empty database on the cluster, named after the test: the address of it.
    public static func freshDatabase(_ name: String) throws -> String {
        let server = try serverAddress()
        let safe = name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined().prefix(40)
        let database = "t_\(safe)_\(UInt32.random(in: 0...UInt32.max))"
        let created = try ExternalTool.run("/usr/bin/psql", [server, "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(database)"])
        guard created.status == 0 else { throw OracleError("psql could not create \(database): \(created.stderr)") }
        return server.replacingOccurrences(of: #"/[^/]*$"#, with: "/\(database)", options: .regularExpression)
    }

    /// Runs SQL with psql (an independent client) and returns what it printed, unaligned.
    @discardableResult
    public static func psql(_ address: String, _ sql: String) throws -> String {
        let result = try ExternalTool.run("/usr/bin/psql", [address, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        guard result.status == 0 else { throw OracleError("psql: \(result.stderr)") }
        return result.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
