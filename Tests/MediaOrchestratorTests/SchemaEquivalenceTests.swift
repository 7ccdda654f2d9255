import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

/// The store's schema is written twice, once per database (SQLiteStore's migrations and
/// PostgresSchema). Both are applied here and compared: the same tables, the same columns with the
/// same kind of value and nullability, the same indexes and the same triggers, so the two cannot
/// drift apart. PostgreSQL is read with psql, an independent client.
@Suite struct SchemaEquivalenceTests {
    struct Column: Hashable, CustomStringConvertible {
        let table, name, kind: String
        let nullable: Bool
        var description: String { "\(table).\(name) \(kind)\(nullable ? "" : " not null")" }
    }

    /// A column's type as what it holds, whatever each database calls it.
    static func kind(_ declared: String) -> String {
        let type = declared.lowercased()
        if type.contains("int") { return "integer" }
        if type.contains("real") || type.contains("float") || type.contains("double") || type.contains("numeric") { return "number" }
        if type.contains("text") || type.contains("char") { return "text" }
        if type.contains("bool") { return "boolean" }
        if type.contains("blob") || type.contains("bytea") { return "bytes" }
        return type
    }

    /// Where the two differ on purpose: SQLite numbers webhook deliveries by its rowid, which
    /// PostgreSQL has no such thing as (SQLDialect.insertionOrder).
    static let dialectOnly: Set<String> = ["webhook_deliveries.seq"]

    /// Bookkeeping of each migration tool, not the store's schema.
    static let bookkeeping: Set<String> = ["grdb_migrations", "schema_migrations", "sqlite_sequence"]

    @Test func bothMigrationsLeaveTheSameTablesColumnsIndexesAndTriggers() throws {
        let sqlite = try StoreKind.sqlite.open("schema-equivalence")
        let (liteColumns, liteIndexes, liteTriggers) = try sqlite.database.read { tx -> (Set<Column>, Set<String>, Set<String>) in
            let objects = try tx.rows("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'", [])
            var columns = Set<Column>(), indexes = Set<String>(), triggers = Set<String>()
            for object in objects {
                let name = object.string("name") ?? ""
                switch object.string("type") {
                case "table" where !Self.bookkeeping.contains(name):
                    for column in try tx.rows("SELECT name, type, \"notnull\" AS required, pk FROM pragma_table_info(?)", [name]) {
                        // A primary key is never null, whether the table says so or not.
                        let required = (column.int("required") ?? 0) != 0 || (column.int("pk") ?? 0) != 0
                        columns.insert(Column(table: name, name: column.string("name") ?? "", kind: Self.kind(column.string("type") ?? ""), nullable: !required))
                    }
                case "index": indexes.insert(name)
                case "trigger":
                    // SQLite fires a trigger on one event; PostgreSQL's may cover several. What must
                    // agree is which changes of which table fire something.
                    let sql = (object.string("sql") ?? "").uppercased()
                    for event in ["INSERT", "UPDATE", "DELETE"] where sql.contains("AFTER \(event)") || sql.contains("BEFORE \(event)") {
                        triggers.insert("\(object.string("tbl_name") ?? "") \(event)")
                    }
                default: break
                }
            }
            return (columns, indexes, triggers)
        }

        let postgres = try TestPostgres.freshDatabase("schema_equivalence")
        _ = try JobStore(location: try StoreLocation.parse(postgres))
        let pgColumns = Set(try TestPostgres.psql(postgres, """
            SELECT table_name || '|' || column_name || '|' || data_type || '|' || is_nullable FROM information_schema.columns
            WHERE table_schema = 'public' ORDER BY 1
            """).split(separator: "\n").compactMap { line -> Column? in
                let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 4, !Self.bookkeeping.contains(parts[0]), !Self.dialectOnly.contains("\(parts[0]).\(parts[1])") else { return nil }
                return Column(table: parts[0], name: parts[1], kind: Self.kind(parts[2]), nullable: parts[3] == "YES")
            })
        let pgIndexes = Set(try TestPostgres.psql(postgres, """
            SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'
            """).split(separator: "\n").map(String.init)).subtracting(Self.bookkeeping.map { "\($0)_pkey" })
        let pgTriggers = Set(try TestPostgres.psql(postgres, """
            SELECT DISTINCT event_object_table || ' ' || event_manipulation FROM information_schema.triggers WHERE trigger_schema = 'public'
            """).split(separator: "\n").map(String.init))

        #expect(Set(liteColumns.map(\.table)) == Set(pgColumns.map(\.table)), "tables")
        let onlyLite = liteColumns.subtracting(pgColumns).sorted { $0.description < $1.description }
        let onlyPG = pgColumns.subtracting(liteColumns).sorted { $0.description < $1.description }
        #expect(onlyLite.isEmpty && onlyPG.isEmpty, "columns only in SQLite: \(onlyLite); only in PostgreSQL: \(onlyPG)")
        #expect(liteIndexes == pgIndexes, "indexes only in SQLite: \(liteIndexes.subtracting(pgIndexes).sorted()); only in PostgreSQL: \(pgIndexes.subtracting(liteIndexes).sorted())")
        #expect(liteTriggers == pgTriggers, "triggers only in SQLite: \(liteTriggers.subtracting(pgTriggers).sorted()); only in PostgreSQL: \(pgTriggers.subtracting(liteTriggers).sorted())")
        #expect(liteColumns.count > 50 && liteIndexes.count > 5 && liteTriggers.count >= 4, "the comparison saw the schema: \(liteColumns.count) columns")
    }
}
