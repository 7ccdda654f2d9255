import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

/// The store's queries live in Store/SQL/*.sql under names (SQLCatalogue), as River keeps its
/// queries. These tests read the sources from disk and keep the two in step: every statement is
/// used, every use names a statement that is there, every placeholder is described at the top of
/// its file, and no SQL statement creeps back into a Swift string outside the store's plumbing.
@Suite struct SQLCatalogueTests {
    static let sources = TestPaths.packageRoot.appendingPathComponent("Sources/MediaOrchestrator")
    static let sqlFolder = sources.appendingPathComponent("Store/SQL")

    /// Swift files that may hold SQL statements: the store's plumbing and migrations (Store/), and
    /// the webhook schema (its triggers are DDL, applied with the migrations).
    static func mayHoldSQL(_ path: String) -> Bool {
        path.hasPrefix("Store/") || path == "Publish/Webhooks/WebhookSchema.swift"
    }

    /// Every .swift file under Sources/MediaOrchestrator: its path from there, and its text.
    static func swiftFiles() throws -> [(path: String, text: String)] {
        let root = sources.path
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw OracleError("cannot list \(root)")
        }
        var files: [(path: String, text: String)] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            files.append((relative, try String(contentsOfFile: root + "/" + relative, encoding: .utf8)))
        }
        return files.sorted { $0.path < $1.path }
    }

    struct Use: Hashable, CustomStringConvertible {
        /// The catalogue as the code names it (`SQLCatalogue.jobs`, `Self.queue`): its file's name.
        let catalogue: String
        let statement: String
        var description: String { "\(catalogue).sql: \(statement)" }
    }

    /// Each `X.sql("NAME", …)` in the sources, as (X, NAME); a statement picked by a condition
    /// (`sql(lock ? "job-for-update" : "job", …)`) counts each name it may pick.
    static func uses() throws -> (uses: Set<Use>, unnamed: [String]) {
        let call = try Regex(#"(\w+)\.sql\(([^,)]*),"#)
        let quoted = try Regex(#""([^"]+)""#)
        var uses = Set<Use>(), unnamed: [String] = []
        for file in try swiftFiles() {
            for match in file.text.matches(of: call) {
                guard let catalogue = match.output[1].substring, let argument = match.output[2].substring else { continue }
                let names = argument.matches(of: quoted).compactMap { $0.output[1].substring.map(String.init) }
                if names.isEmpty { unnamed.append("\(file.path): \(match.output[0].substring ?? "")") }
                for name in names { uses.insert(Use(catalogue: String(catalogue), statement: name)) }
            }
        }
        return (uses, unnamed)
    }

    static func baseName(_ catalogue: SQLCatalogue) -> String {
        String(catalogue.file.dropLast(".sql".count))
    }

    @Test func everyStatementIsUsedAndEveryUseIsInItsCatalogue() throws {
        let (uses, unnamed) = try Self.uses()
        #expect(!uses.isEmpty, "no SQLCatalogue calls found under \(Self.sources.path)")
        #expect(unnamed.isEmpty, "statements named by a variable, which this test cannot check: \(unnamed)")
        let catalogues = Dictionary(uniqueKeysWithValues: SQLCatalogue.all.map { (Self.baseName($0), $0) })
        for (name, catalogue) in catalogues {
            for statement in catalogue.names {
                #expect(uses.contains(Use(catalogue: name, statement: statement)),
                        "\(catalogue.file): \(statement) is used nowhere in Sources/MediaOrchestrator")
            }
        }
        for use in uses.sorted(by: { $0.description < $1.description }) {
            guard let catalogue = catalogues[use.catalogue] else {
                Issue.record("\(use): no catalogue named \(use.catalogue) (SQLCatalogue.all)")
                continue
            }
            #expect(catalogue.names.contains(use.statement), "\(catalogue.file) has no statement named \(use.statement)")
        }
    }

    @Test func everySQLFileIsACatalogueAndDescribesItsPlaceholders() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.sqlFolder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(Set(files) == Set(SQLCatalogue.all.map(\.file)), "Store/SQL's files and SQLCatalogue.all differ")
        let placeholder = try Regex(#"\{[a-z_]+\}"#)
        for file in files {
            let text = try String(contentsOfFile: Self.sqlFolder.appendingPathComponent(file).path, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let header = lines.prefix(while: { !$0.hasPrefix("-- name:") }).joined(separator: "\n")
            let statements = lines.filter { !$0.hasPrefix("--") }.joined(separator: "\n")
            let used = Set(statements.matches(of: placeholder).map { String(statements[$0.range]) })
            for name in used.sorted() {
                #expect(header.contains(name), "\(file) uses \(name) but does not say at its top what fills it")
            }
        }
    }

    @Test func noSQLStatementInSwiftOutsideTheStore() throws {
        let statement = try Regex(#""(SELECT |UPDATE |INSERT INTO|DELETE FROM|WITH )|"""[ \t]*\n\s*(SELECT|UPDATE|INSERT INTO|DELETE FROM|WITH)\b"#)
        var found: [String] = []
        for file in try Self.swiftFiles() where !Self.mayHoldSQL(file.path) {
            for match in file.text.matches(of: statement) {
                let line = file.text[..<match.range.lowerBound].filter { $0 == "\n" }.count + 1
                found.append("\(file.path):\(line)")
            }
        }
        #expect(found.isEmpty, "SQL statements belong in Store/SQL/*.sql (SQLCatalogue), not in Swift strings: \(found)")
    }

    @Test func placeholdersAreFilledWhereTheStatementSaysSo() {
        #expect(SQLCatalogue.whereClause([]) == "")
        #expect(SQLCatalogue.whereClause(["state = ?", "event = ?"]) == " WHERE state = ? AND event = ?")
        #expect(SQLCatalogue.jobs.sql("list-jobs", .sqlite, filling: ["where": "", "limit": ""])
                == "SELECT * FROM jobs ORDER BY created_at DESC")
        #expect(SQLCatalogue.jobs.sql("list-jobs", .postgres, filling: ["where": SQLCatalogue.whereClause(["state = ?"]), "limit": " LIMIT ?"])
                == "SELECT * FROM jobs WHERE state = ? ORDER BY created_at DESC LIMIT ?")
        #expect(SQLCatalogue.webhooks.sql("deliveries", .sqlite, filling: ["where": ""])
                == "SELECT * FROM webhook_deliveries ORDER BY created_at DESC, rowid DESC LIMIT ?")
        #expect(SQLCatalogue.webhooks.sql("deliveries", .postgres, filling: ["where": ""])
                == "SELECT * FROM webhook_deliveries ORDER BY created_at DESC, seq DESC LIMIT ?")
        #expect(SQLCatalogue.nodes.sql("changed-jobs", .postgres, filling: ["ids": "?, ?"]) == "SELECT * FROM jobs WHERE id IN (?, ?)")
        #expect(SQLCatalogue.jobs.sql("job-for-update", .postgres) == "SELECT * FROM jobs WHERE id = ? FOR UPDATE")
        #expect(SQLCatalogue.jobs.sql("job-for-update", .sqlite) == SQLCatalogue.jobs.sql("job", .sqlite))
    }
}
