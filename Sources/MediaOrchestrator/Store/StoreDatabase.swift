import Foundation

/// One value bound to or read from a statement, whichever database holds it.
public enum StoreValue: Sendable, Equatable {
    case null
    case integer(Int)
    case real(Double)
    case text(String)
}

/// Something a statement can take as an argument.
public protocol StoreArgument: Sendable {
    var storeValue: StoreValue { get }
}

extension Int: StoreArgument { public var storeValue: StoreValue { .integer(self) } }
extension Double: StoreArgument { public var storeValue: StoreValue { .real(self) } }
extension String: StoreArgument { public var storeValue: StoreValue { .text(self) } }
extension Bool: StoreArgument { public var storeValue: StoreValue { .integer(self ? 1 : 0) } }
extension Optional: StoreArgument where Wrapped: StoreArgument {
    public var storeValue: StoreValue { self?.storeValue ?? .null }
}

/// One row of a result, by column name.
public struct StoreRow: Sendable {
    public var columns: [String: StoreValue]

    public subscript(_ column: String) -> StoreValue { columns[column] ?? .null }

    func string(_ column: String) -> String? { if case .text(let s) = self[column] { s } else { nil } }

    func int(_ column: String) -> Int? {
        switch self[column] {
        case .integer(let i): i
        case .real(let d) where d.rounded() == d && abs(d) < 1e15: Int(d)
        default: nil
        }
    }

    func double(_ column: String) -> Double? {
        switch self[column] {
        case .integer(let i): Double(i)
        case .real(let d): d
        default: nil
        }
    }

    /// The row as a record whose coding keys are the column names.
    func decode<Record: Decodable>(_ type: Record.Type) throws -> Record {
        try Record(from: StoreRowDecoder(row: self))
    }
}

/// The few places where SQLite and PostgreSQL spell the same thing differently. Statements are
/// written with `?` placeholders; the PostgreSQL side numbers them.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// The database's clock as seconds since 1970 (leases and their expiry are measured by it,
    /// so nodes whose clocks disagree still agree on who holds a job).
    var clock: String {
        switch self {
        case .sqlite: "((julianday('now') - 2440587.5) * 86400.0)"
        case .postgres: "(extract(epoch FROM clock_timestamp())::float8)"
        }
    }

    /// Appended to a SELECT whose rows the transaction goes on to change: PostgreSQL's writers
    /// run side by side, SQLite's one at a time (there it is empty).
    var forUpdate: String { self == .postgres ? " FOR UPDATE" : "" }

    /// As `forUpdate`, passing over rows another node holds (claiming work).
    var forUpdateSkipLocked: String { self == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }

    /// A text field inside a JSON text column, e.g. `ticket_json` at ["speaker", "camp"].
    func jsonText(_ column: String, _ path: [String]) -> String {
        switch self {
        case .sqlite: "json_extract(\(column), '$.\(path.joined(separator: "."))')"
        case .postgres: "(\(column)::jsonb #>> '{\(path.joined(separator: ","))}')"
        }
    }

    /// A column that numbers rows in insertion order.
    var insertionOrder: String { self == .sqlite ? "rowid" : "seq" }
}

/// A transaction's statements. Errors carry the database's own message.
public protocol StoreTransaction {
    var dialect: SQLDialect { get }
    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [any StoreArgument]) throws -> Int
    func rows(_ sql: String, _ arguments: [any StoreArgument]) throws -> [StoreRow]
    /// Several statements without arguments at once (schema changes).
    func script(_ sql: String) throws
}

extension StoreTransaction {
    @discardableResult
    func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    func row(_ sql: String, _ arguments: [any StoreArgument] = []) throws -> StoreRow? {
        try rows(sql, arguments).first
    }

    func records<Record: Decodable>(_ type: Record.Type, _ sql: String, _ arguments: [any StoreArgument] = []) throws -> [Record] {
        try rows(sql, arguments).map { try $0.decode(type) }
    }

    func record<Record: Decodable>(_ type: Record.Type, _ sql: String, _ arguments: [any StoreArgument] = []) throws -> Record? {
        try rows(sql, arguments).first.map { try $0.decode(type) }
    }

    /// `now` when a caller (a test) gives one, else the database's clock, in seconds since 1970.
    func clock(_ now: Date?) throws -> Double {
        if let now { return now.timeIntervalSince1970 }
        guard let row = try row("SELECT \(dialect.clock) AS now"), let t = row.double("now") else {
            throw OrchestratorError(subject: "store", "the database did not say what time it is", permanent: false)
        }
        return t
    }
}

/// Where the store keeps everything: SQLite on one machine, PostgreSQL for several. Writers see
/// each transaction whole or not at all.
public protocol StoreDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// A human-readable name for messages and `/health` (never a password).
    var displayName: String { get }
    @discardableResult
    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// One statement that is a transaction by itself (PostgreSQL: no BEGIN or COMMIT round trips).
    func statement<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Closes connections (the CLI's commands end; tests drop their store).
    func close()
}
