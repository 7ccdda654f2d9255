import Foundation

/// Where the job store is: an SQLite file (the default, one machine) or a PostgreSQL database
/// that several machines share.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(String)
    case postgres(PostgresAddress)

    /// `--store`, else MEDIAORCH_STORE, else the `store` of the config file (MEDIAORCH_CONFIG,
    /// else ./mediaorch.json), else jobs.sqlite in the workspace.
    public static func locate(_ explicit: String?, workspace: Workspace) throws -> StoreLocation {
        let env = ProcessInfo.processInfo.environment
        let configPath = env["MEDIAORCH_CONFIG"] ?? "mediaorch.json"
        if let text = explicit ?? env["MEDIAORCH_STORE"].flatMap({ $0.isEmpty ? nil : $0 }) ?? configured(configPath: configPath) {
            return try parse(text, field: explicit != nil ? "--store" : env["MEDIAORCH_STORE"] != nil ? "MEDIAORCH_STORE" : "\(configPath): store")
        }
        return .sqlite(workspace.storePath)
    }

    /// `postgres://user[:password]@host[:port]/database` (also `postgresql://`; `?host=/run/postgresql`
    /// for a Unix socket folder), or a path to an SQLite file.
    public static func parse(_ text: String, field: String = "--store") throws -> StoreLocation {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            guard !text.isEmpty, !text.contains("://") else {
                throw OrchestratorError(subject: field, "\(text) is neither a postgres:// address nor an SQLite file path")
            }
            return .sqlite(text)
        }
        return .postgres(try PostgresAddress(parsing: text, field: field))
    }

    static func configured(configPath: String) -> String? {
        struct Config: Decodable { var store: String? }
        guard let data = FileManager.default.contents(atPath: configPath) else { return nil }
        return (try? JSONDecoder().decode(Config.self, from: data))?.store
    }

    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let address): address.description
        }
    }
}

/// A PostgreSQL server and database, parsed from a libpq-style address.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The Unix socket file when `?host=` names a folder (libpq's convention).
    public var socketPath: String?

    public init(parsing text: String, field: String = "--store") throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw OrchestratorError(subject: field, "\(Self.redacted(text)) is not a postgres://user@host:port/database address")
        }
        let socketFolder = url.queryItems?.first(where: { $0.name == "host" })?.value
        guard let user = url.user, !user.isEmpty else {
            throw OrchestratorError(subject: field, "\(Self.redacted(text)) names no user (postgres://USER@host/database)")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw OrchestratorError(subject: field, "\(Self.redacted(text)) names no database (postgres://user@host/DATABASE)")
        }
        host = url.host ?? "localhost"
        port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw OrchestratorError(subject: field, "port \(port) is out of range") }
        // URLComponents has decoded them already (a "%2541" in a password is "%41", as typed).
        self.user = user
        password = url.password
        self.database = database
        socketPath = socketFolder.map { "\($0)/.s.PGSQL.\(port)" }
    }

    /// Without the password: for logs, `/health` and `mediaorch nodes`.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (socketPath.map { " (socket \($0))" } ?? "")
    }

    private static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "postgres://…"
    }
}
