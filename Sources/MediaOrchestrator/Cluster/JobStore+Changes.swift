import Foundation

/// One entry of the change table: a job or a request was inserted or updated.
public struct StoreChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case job, request }
    public var seq: Int
    public var kind: Kind
    public var id: String
}

/// The change feed: what the dashboards follow. The SQL is Store/SQL/nodes.sql.
extension JobStore {
    /// Changes numbered above `seq`, in order, at most `limit`.
    public func changes(afterSeq seq: Int, limit: Int = 1000) throws -> [StoreChange] {
        try database.read { tx in
            try tx.rows(SQLCatalogue.nodes.sql("changes", tx.dialect), [seq, limit]).compactMap { row in
                guard let seq = row.int("seq"), let kind = row.string("kind").flatMap(StoreChange.Kind.init), let id = row.string("id") else { return nil }
                return StoreChange(seq: seq, kind: kind, id: id)
            }
        }
    }

    /// The newest change's number (0 for none): a feed starting now starts here.
    public func latestChangeSeq() throws -> Int {
        try database.read { try $0.row(SQLCatalogue.nodes.sql("latest-change-seq", $0.dialect))?.int("seq") ?? 0 }
    }

    /// The jobs and requests these changes name, as they are now.
    func changedRecords(_ changes: [StoreChange]) throws -> (jobs: [JobRecord], requests: [ReplyRequest]) {
        let jobIds = Array(Set(changes.filter { $0.kind == .job }.map(\.id)))
        let requestIds = Array(Set(changes.filter { $0.kind == .request }.map(\.id)))
        return try database.read { tx in
            func placeholders(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ", ") }
            let jobs = jobIds.isEmpty ? [] : try tx.records(JobRecord.self,
                SQLCatalogue.nodes.sql("changed-jobs", tx.dialect, filling: ["ids": placeholders(jobIds.count)]), jobIds)
            let requests = requestIds.isEmpty ? [] : try tx.records(ReplyRequest.self,
                SQLCatalogue.nodes.sql("changed-requests", tx.dialect, filling: ["ids": placeholders(requestIds.count)]), requestIds)
            return (jobs, requests)
        }
    }

    /// The leader keeps the newest `keep` changes: a dashboard that was away longer reloads.
    @discardableResult
    public func pruneChanges(keep: Int = 100_000) throws -> Int {
        try database.write { tx in
            try tx.execute(SQLCatalogue.nodes.sql("prune-changes", tx.dialect), [keep])
        }
    }
}
