import Foundation
import GRDB

/// Which requests a caller asks for: by camp, by state.
public struct RequestFilter: Sendable {
    public var camp: String?
    public var states: [ReplyRequestState]?
    public var limit: Int?

    public init(camp: String? = nil, states: [ReplyRequestState]? = nil, limit: Int? = nil) {
        (self.camp, self.states, self.limit) = (camp, states, limit)
    }
}

extension JobStore {
    /// Stores a producer's request, open for its camp to film.
    public func createRequest(_ new: NewReplyRequest, by creator: String, now: Date = Date()) throws -> ReplyRequest {
        let checked = try new.validated(now: now)
        var generator = SystemRandomNumberGenerator()
        let id = "rq-" + (0..<5).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let t = now.timeIntervalSince1970
        let languages = String(decoding: try JSONEncoder().encode(checked.languages), as: UTF8.self)
        return try database.write { db in
            try db.execute(sql: """
                INSERT INTO reply_requests (id, state, tweet_url, tweet_id, handle, tweet_text, camp, languages_json, priority,
                                            note, deadline, created_by, created_at, updated_at)
                VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, checked.tweet.canonical, checked.tweet.tweetId, "@" + checked.tweet.handle, checked.text, checked.camp,
                                 languages, (new.priority ?? .realtime).rawValue, new.note, checked.deadline, creator, t, t])
            return try Self.existingRequest(id, in: db)
        }
    }

    public func request(_ id: String) throws -> ReplyRequest? {
        try database.read { try ReplyRequest.fetchOne($0, sql: "SELECT * FROM reply_requests WHERE id = ?", arguments: [id]) }
    }

    /// Requests, most urgent first: by deadline (none last), then oldest first.
    public func requests(_ filter: RequestFilter = RequestFilter()) throws -> [ReplyRequest] {
        var clauses: [String] = [], arguments: StatementArguments = []
        if let camp = filter.camp { clauses.append("camp = ?"); arguments += [camp] }
        if let states = filter.states, !states.isEmpty {
            clauses.append("state IN (" + states.map { _ in "?" }.joined(separator: ", ") + ")")
            for state in states { arguments += [state.rawValue] }
        }
        var sql = "SELECT * FROM reply_requests" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY deadline IS NULL, deadline, created_at"
        if let limit = filter.limit { sql += " LIMIT ?"; arguments += [limit] }
        return try database.read { try ReplyRequest.fetchAll($0, sql: sql, arguments: arguments) }
    }

    /// Requests changed after `time`, for the change feed.
    func requestChanges(after time: Double) throws -> [ReplyRequest] {
        try database.read { try ReplyRequest.fetchAll($0, sql: "SELECT * FROM reply_requests WHERE updated_at > ? ORDER BY updated_at", arguments: [time]) }
    }

    /// A producer calls a request off; a clip already uploaded against it stays archived.
    @discardableResult
    public func cancelRequest(_ id: String, now: Date = Date()) throws -> ReplyRequest {
        try database.write { db in
            let request = try Self.existingRequest(id, in: db)
            guard ReplyRequestState.cancellable.contains(request.state) else {
                throw OrchestratorError(file: id, "is \(request.state.rawValue); only an open, uploading, rendering or failed request can be cancelled", kind: .conflict)
            }
            try db.execute(sql: "UPDATE reply_requests SET state = 'cancelled', updated_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, id])
            return try Self.existingRequest(id, in: db)
        }
    }

    /// A camp started uploading a clip for it.
    func noteUploadStarted(forRequest id: String, now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE reply_requests SET state = 'uploading', updated_at = ? WHERE id = ? AND state = 'open'",
                           arguments: [now.timeIntervalSince1970, id])
        }
    }

    /// Its upload was given up (terminated or expired) before it finished: open again.
    func noteUploadAbandoned(forRequest id: String, now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE reply_requests SET state = 'open', updated_at = ? WHERE id = ? AND state = 'uploading'",
                           arguments: [now.timeIntervalSince1970, id])
        }
    }

    /// Requests whose deadline passed before any clip was uploaded end expired; returns how many.
    @discardableResult
    public func expireOverdueRequests(now: Date = Date()) throws -> Int {
        try database.write { db in
            let t = now.timeIntervalSince1970
            try db.execute(sql: """
                UPDATE reply_requests SET state = 'expired', updated_at = ? WHERE state IN ('open', 'uploading') AND deadline < ?
                """, arguments: [t, t])
            return db.changesCount
        }
    }

    /// Inside ingest's transaction: the job made from a clip uploaded against a request is the
    /// one the request follows from now on.
    static func link(request id: String, to job: JobRecord, in db: Database, now: Date) throws {
        let state: ReplyRequestState = switch job.state {
        case .succeeded: .ready
        case .dead: .failed
        case .cancelled: .cancelled
        default: .rendering
        }
        try db.execute(sql: """
            UPDATE reply_requests SET job_id = ?, state = ?, updated_at = ? WHERE id = ? AND state NOT IN ('posted', 'cancelled')
            """, arguments: [job.id, state.rawValue, now.timeIntervalSince1970, id])
    }

    static func existingRequest(_ id: String, in db: Database) throws -> ReplyRequest {
        guard let request = try ReplyRequest.fetchOne(db, sql: "SELECT * FROM reply_requests WHERE id = ?", arguments: [id]) else {
            throw OrchestratorError(file: id, "no such request", kind: .notFound)
        }
        return request
    }
}
