import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

/// The two databases the store runs on; contract tests take each in turn.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A new, empty store of this kind.
    func freshLocation(_ name: String) throws -> StoreLocation {
        switch self {
        case .sqlite: .sqlite(try TestPaths.scratch("store/\(name)").appendingPathComponent("jobs.sqlite").path)
        case .postgres: try StoreLocation.parse(try TestPostgres.freshDatabase(name))
        }
    }

    func open(_ name: String, policy: RetryPolicy = RetryPolicy()) throws -> JobStore {
        try JobStore(location: try freshLocation(name), retryPolicy: policy)
    }
}
