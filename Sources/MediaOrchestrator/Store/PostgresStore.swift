import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// The shared store for several machines: PostgreSQL through postgres-nio. The store's callers
/// are synchronous and run on `BlockingWork`'s threads (or a command's main thread), so each
/// statement waits for its future there; no event loop and no cooperative thread is blocked.
/// Connections are pooled; a broken one is dropped and the next call connects afresh, so a
/// restarted server costs the calls made while it was down, not the process.
public final class PostgresStore: StoreDatabase, @unchecked Sendable { // mutable state is behind `lock`
    public let address: PostgresAddress
    public var dialect: SQLDialect { .postgres }
    public var displayName: String { address.description }

    private let lock = NIOLock()
    private var idle: [PostgresConnection] = []
    private var nextConnectionID = 0
    private let logger = Logger(label: "mediaorch.postgres")
    /// At most this many connections per process, kept open between calls; a ninth caller waits
    /// for one. Eight is plenty for a node's workers and API, and a dozen nodes stay well under
    /// PostgreSQL's default of 100 connections.
    private let keptOpen = 8
    private let slots = DispatchSemaphore(value: 8)

    public init(_ address: PostgresAddress) throws {
        self.address = address
        try PostgresSchema.migrate(self)
    }

    deinit { close() }

    public func close() {
        let connections = lock.withLock { defer { idle = [] }; return idle }
        for connection in connections { Self.closeSoon(connection) }
    }

    @discardableResult
    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try retryingConflicts {
            try withConnection { connection in
                let tx = Transaction(connection: connection, logger: logger)
                try tx.script("BEGIN")
                do {
                    let result = try body(tx)
                    try tx.script("COMMIT")
                    return result
                } catch {
                    if !connection.isClosed { try? tx.script("ROLLBACK") }
                    throw error
                }
            }
        }
    }

    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try withConnection { try body(Transaction(connection: $0, logger: logger)) }
    }

    public func statement<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try retryingConflicts { try read(body) }
    }

    /// A deadlock or serialization failure is the database asking for the transaction again:
    /// up to five tries, a little apart.
    private func retryingConflicts<T>(_ run: () throws -> T) throws -> T {
        for attempt in 1... {
            do { return try run() } catch let error as PostgresStoreError where error.isRetryable && attempt < 5 {
                Thread.sleep(forTimeInterval: 0.01 * Double(attempt))
            }
        }
        fatalError("unreachable")
    }

    /// Runs `body` on a pooled connection (or a new one) and puts it back unless it broke.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        slots.wait()
        defer { slots.signal() }
        let connection = try checkOut()
        do {
            let result = try body(connection)
            checkIn(connection)
            return result
        } catch let error as PostgresStoreError {
            // Its state after a failed statement (a timeout, a lost link) is not known: not reused.
            Self.closeSoon(connection)
            throw error
        } catch {
            checkIn(connection)
            throw error
        }
    }

    private func checkOut() throws -> PostgresConnection {
        while let connection = lock.withLock({ idle.popLast() }) {
            if !connection.isClosed { return connection }
        }
        let id = lock.withLock { nextConnectionID += 1; return nextConnectionID }
        let configuration = Self.configuration(address)
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                                                        id: id, logger: logger).wait()
        } catch {
            throw PostgresStoreError(address: address, error)
        }
        do {
            // A statement that waits longer than this is a sick server: fail it, do not hang a worker.
            try Transaction(connection: connection, logger: logger).script("SET statement_timeout = '30s'; SET lock_timeout = '10s'")
            return connection
        } catch {
            Self.closeSoon(connection)
            throw PostgresStoreError(address: address, error)
        }
    }

    /// Closes without waiting (the last reference to a store may go on an event loop, where
    /// waiting is not allowed); the closure keeps the connection alive until it is closed.
    private static func closeSoon(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in _ = connection }
    }

    /// How to reach the server: TCP without TLS (a private network or loopback), or a Unix socket.
    static func configuration(_ address: PostgresAddress) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration = if let socket = address.socketPath {
            .init(unixSocketPath: socket, username: address.user, password: address.password, database: address.database)
        } else {
            .init(host: address.host, port: address.port, username: address.user, password: address.password,
                  database: address.database, tls: .disable)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private func checkIn(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        let kept = lock.withLock { () -> Bool in
            guard idle.count < keptOpen else { return false }
            idle.append(connection)
            return true
        }
        if !kept { Self.closeSoon(connection) }
    }

    private struct Transaction: StoreTransaction {
        let connection: PostgresConnection
        let logger: Logger
        var dialect: SQLDialect { .postgres }

        func execute(_ sql: String, _ arguments: [any StoreArgument]) throws -> Int {
            try run(sql, arguments).metadata.rows ?? 0
        }

        func rows(_ sql: String, _ arguments: [any StoreArgument]) throws -> [StoreRow] {
            try run(sql, arguments).rows.map(Self.storeRow)
        }

        /// Statements without arguments, one after another (schema changes, BEGIN and COMMIT):
        /// postgres-nio speaks the extended protocol, which takes one statement at a time.
        func script(_ sql: String) throws {
            for statement in SQLScript.statements(sql) {
                do { _ = try connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).wait() } catch {
                    throw PostgresStoreError(address: nil, error)
                }
            }
        }

        private func run(_ sql: String, _ arguments: [any StoreArgument]) throws -> PostgresQueryResult {
            var binds = PostgresBindings(capacity: arguments.count)
            for argument in arguments {
                switch argument.storeValue {
                case .null: binds.appendNull()
                case .integer(let i): binds.append(i)
                case .real(let d): binds.append(d)
                case .text(let s): binds.append(s)
                }
            }
            do {
                return try connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), logger: logger).wait()
            } catch {
                throw PostgresStoreError(address: nil, error)
            }
        }

        /// `?` → `$1`, `$2`…, outside quoted text: the statements are written once for both databases.
        static func numbered(_ sql: String) -> String {
            var out = "", n = 0, quoted = false
            out.reserveCapacity(sql.count + 16)
            for c in sql {
                if c == "'" { quoted.toggle() }
                if c == "?" && !quoted { n += 1; out += "$\(n)" } else { out.append(c) }
            }
            return out
        }

        static func storeRow(_ row: PostgresRow) -> StoreRow {
            var columns: [String: StoreValue] = [:]
            for cell in row {
                columns[cell.columnName] = value(of: cell)
            }
            return StoreRow(columns: columns)
        }

        private static func value(of cell: PostgresCell) -> StoreValue {
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int2, .int4, .int8: return (try? cell.decode(Int.self)).map(StoreValue.integer) ?? .null
            case .float4, .float8: return (try? cell.decode(Double.self)).map(StoreValue.real) ?? .null
            case .bool: return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
            case .numeric:
                return (try? cell.decode(String.self)).flatMap(Double.init).map(StoreValue.real) ?? .null
            default: return (try? cell.decode(String.self)).map(StoreValue.text) ?? .null
            }
        }
    }
}

/// What went wrong talking to PostgreSQL, in the server's words (postgres-nio keeps them out of
/// its error's description, so they are taken out here), with the SQLSTATE code.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public let description: String
    public let sqlState: String?

    init(address: PostgresAddress?, _ error: any Error) {
        if let error = error as? PSQLError {
            sqlState = error.serverInfo?[.sqlState]
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
            description = (address.map { "\($0): " } ?? "PostgreSQL: ") + message + detail
        } else {
            sqlState = nil
            description = (address.map { "\($0): " } ?? "PostgreSQL: ") + "\(error)"
        }
    }

    /// Deadlock or serialization failure: the same transaction may simply be run again.
    var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
}
