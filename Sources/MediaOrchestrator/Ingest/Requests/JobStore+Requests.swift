import Foundation


/// Which requests a caller asks for: by camp, by state.
public struct RequestFilter: Sendable {
    public var camp: String?
    public var states: [ReplyRequestState]?
    public var limit: Int?

    public init(camp: String? = nil, states: [ReplyRequestState]? = nil, limit: Int? = nil) {
        (self.camp, self.states, self.limit) = (camp, states, limit)
    }
}

/// Reply requests: a producer's ask, a camp's upload against it, the job it follows. Their SQL is
/// Store/SQL/requests.sql.
extension JobStore {
    /// Stores a producer's request, open for its camp to film.
    public func createRequest(_ new: NewReplyRequest, by creator: String, now: Date? = nil) throws -> ReplyRequest {
        let checked = try new.validated(now: now ?? Date())
        var generator = SystemRandomNumberGenerator()
        let id = "rq-" + (0..<5).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let languages = String(decoding: try JSONEncoder().encode(checked.languages), as: UTF8.self)
        return try database.write { tx in
            let t = try tx.clock(now)
            try tx.execute(SQLCatalogue.requests.sql("insert-request", tx.dialect),
                           [id, checked.tweet.canonical, checked.tweet.tweetId, "@" + checked.tweet.handle, checked.text, checked.camp,
                            languages, (new.priority ?? .realtime).rawValue, new.note, checked.deadline, creator, t, t])
            return try Self.existingRequest(id, in: tx)
        }
    }

    public func request(_ id: String) throws -> ReplyRequest? {
        try database.read { try $0.record(ReplyRequest.self, SQLCatalogue.requests.sql("request", $0.dialect), [id]) }
    }

    /// Requests, most urgent first: by deadline (none last), then oldest first.
    public func requests(_ filter: RequestFilter = RequestFilter()) throws -> [ReplyRequest] {
        var clauses: [String] = [], arguments: [any StoreArgument] = []
        if let camp = filter.camp { clauses.append("lower(camp) = lower(?)"); arguments.append(camp) }
        if let states = filter.states, !states.isEmpty {
            clauses.append("state IN (" + states.map { _ in "?" }.joined(separator: ", ") + ")")
            for state in states { arguments.append(state.rawValue) }
        }
        var limit = ""
        if let count = filter.limit { limit = " LIMIT ?"; arguments.append(count) }
        let sql = SQLCatalogue.requests.sql("list-requests", dialect, filling: ["where": SQLCatalogue.whereClause(clauses), "limit": limit])
        return try database.read { try $0.records(ReplyRequest.self, sql, arguments) }
    }

    /// A producer calls a request off; a clip already uploaded against it stays archived.
    @discardableResult
    public func cancelRequest(_ id: String, now: Date? = nil) throws -> ReplyRequest {
        try database.write { tx in
            let request = try Self.existingRequest(id, in: tx, lock: true)
            guard ReplyRequestState.cancellable.contains(request.state) else {
                throw OrchestratorError(subject: id, "is \(request.state.rawValue); only an open, uploading, rendering or failed request can be cancelled", kind: .conflict)
            }
            try tx.execute(SQLCatalogue.requests.sql("cancel-request", tx.dialect), [try tx.clock(now), id])
            return try Self.existingRequest(id, in: tx)
        }
    }

    /// A camp starts sending a clip for it through tus upload `upload`: the request is held by
    /// that upload alone until its clip is handed over or the upload ends. A second upload while
    /// one holds it is refused (code "request-busy"); a request past filming takes none
    /// ("request-closed").
    func holdRequest(_ id: String, forUpload upload: String, now: Date? = nil) throws {
        try database.write { tx in
            let request = try Self.existingRequest(id, in: tx, lock: true)
            if let holder = request.uploadId, holder != upload {
                throw OrchestratorError(subject: id, "a clip for this request is already being sent (upload \(holder.prefix(8))…): "
                                        + "carry on with that one, or cancel it first", kind: .conflict).coded("request-busy")
            }
            // A producer's retake of a rendering or ready reply is the producer's call; a camp's
            // token reached this point only for a request still to film (Ticket.linkedToRequest).
            guard ![.posted, .cancelled].contains(request.state) else {
                throw OrchestratorError(subject: id, "is \(request.state.rawValue); it takes no more clips", kind: .conflict).coded("request-closed")
            }
            let state = ReplyRequestState.takesAnUpload.contains(request.state) || request.state == .uploading ? ReplyRequestState.uploading : request.state
            try tx.execute(SQLCatalogue.requests.sql("hold-request", tx.dialect), [state.rawValue, upload, try tx.clock(now), id])
        }
    }

    /// Upload `upload` was given up (cancelled, expired, or its first bytes failed) before it
    /// finished: the request it held takes another clip, open again if nothing else moved it.
    func releaseRequest(_ id: String, fromUpload upload: String, now: Date? = nil) throws {
        try database.write { tx in
            let t = try tx.clock(now)
            try tx.execute(SQLCatalogue.requests.sql("release-request", tx.dialect), [t, id, upload])
        }
    }

    /// Requests whose deadline passed before any clip was uploaded end expired; returns how many.
    @discardableResult
    public func expireOverdueRequests(now: Date? = nil) throws -> Int {
        try database.write { tx in
            let t = try tx.clock(now)
            return try tx.execute(SQLCatalogue.requests.sql("expire-overdue-requests", tx.dialect), [t, t])
        }
    }

    /// A new job in one transaction with its request, which follows it from now on.
    func enqueueFollowed(_ new: NewJob, now: Date? = nil) throws -> (job: JobRecord, created: Bool) {
        try database.write { tx in
            let t = try tx.clock(now)
            let made = try insert(new, in: tx, now: t)
            if made.created, let id = new.requestId { try Self.link(request: id, to: made.job, in: tx, now: t) }
            return made
        }
    }

    /// Inside ingest's transaction: the job made from a clip uploaded against a request is the
    /// one the request follows from now on.
    static func link(request id: String, to job: JobRecord, in tx: any StoreTransaction, now t: Double) throws {
        let state: ReplyRequestState = switch job.state {
        case .succeeded: .ready
        case .dead: .failed
        case .cancelled: .cancelled
        default: .rendering
        }
        try tx.execute(SQLCatalogue.requests.sql("link-request", tx.dialect), [job.id, state.rawValue, t, id])
    }

    static func existingRequest(_ id: String, in tx: any StoreTransaction, lock: Bool = false) throws -> ReplyRequest {
        guard let request = try tx.record(ReplyRequest.self, SQLCatalogue.requests.sql(lock ? "request-for-update" : "request", tx.dialect), [id]) else {
            throw OrchestratorError(subject: id, "no such request", kind: .notFound)
        }
        return request
    }
}
