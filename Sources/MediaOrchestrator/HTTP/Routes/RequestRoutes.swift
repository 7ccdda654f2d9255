import Foundation
import Hummingbird

/// /api/requests: the command centre's reply requests. Producers make and cancel them; every
/// token that reads jobs lists them; a field token lists its camp's requests still to film.
struct RequestRoutes {
    let context: APIContext

    /// Behind a group that admits any valid token; each route checks what the caller may do.
    func add(to group: RouterGroup<APIRequestContext>) {
        group.post("requests") { request, requestContext in
            let caller = try Self.require(.manageRequests, requestContext)
            guard let new = try await JobRoutes.decodeOptional(NewReplyRequest.self, request, requestContext) else {
                throw HTTPError(.badRequest, message: "request body: send the request as JSON (tweet_url, tweet_text, camp, languages, priority, note, deadline)")
            }
            let made = try await context.inStore { try $0.createRequest(new, by: caller.name) }
            var response = try APIJSON.response(RequestView(made, full: true), status: .created)
            response.headers[.location] = "/api/requests/\(made.id)"
            return response
        }
        group.get("requests") { request, requestContext in
            let visibility = try Self.visibility(requestContext)
            let asked = try Self.filter(request.uri.queryParameters)
            let filter = visibility.narrow(asked)
            // A field token asking for another camp, or for requests past filming, gets none.
            if let camp = asked.camp, let narrowedCamp = filter.camp, camp.caseInsensitiveCompare(narrowedCamp) != .orderedSame {
                return try APIJSON.response([RequestView]())
            }
            if filter.states?.isEmpty == true { return try APIJSON.response([RequestView]()) }
            let views = try await context.inStore { store in try store.requests(filter).map { try Self.view($0, visibility, store) } }
            return try APIJSON.response(views)
        }
        group.get("requests/{id}") { _, requestContext in
            let visibility = try Self.visibility(requestContext)
            let id = try requestContext.parameters.require("id")
            guard let view = try await context.inStore({ store in
                try store.request(id).flatMap { visibility.allows($0) ? try Self.view($0, visibility, store) : nil }
            }) else {
                throw HTTPError(.notFound, message: "\(id): no such request")
            }
            return try APIJSON.response(view)
        }
        group.post("requests/{id}/cancel") { _, requestContext in
            _ = try Self.require(.manageRequests, requestContext)
            let id = try requestContext.parameters.require("id")
            let cancelled = try await context.inStore { try $0.cancelRequest(id) }
            return try APIJSON.response(RequestView(cancelled, full: true))
        }
    }

    /// A request as `visibility` shows it; a failed one says why its clip could not be used.
    static func view(_ request: ReplyRequest, _ visibility: RequestVisibility, _ store: JobStore) throws -> RequestView {
        var reason: Receipt.FilmAgainReason? = nil
        if request.state == .failed, let job = try request.jobId.flatMap(store.job) { reason = Receipt.FilmAgainReason(lastError: job.lastError) }
        return RequestView(request, full: visibility.showsEverything, filmAgainReason: reason)
    }

    static func require(_ permission: Permission, _ requestContext: APIRequestContext) throws -> AccessToken {
        let caller = requestContext.caller!
        guard caller.role.may(permission) else {
            throw HTTPError(.forbidden, message: "a \(caller.role.rawValue) token may not \(permission.summary)")
        }
        return caller
    }

    static func visibility(_ requestContext: APIRequestContext) throws -> RequestVisibility {
        let caller = requestContext.caller!
        guard let visibility = RequestVisibility(caller) else {
            throw HTTPError(.forbidden, message: "a \(caller.role.rawValue) token may not \(Permission.seeOpenRequests.summary)")
        }
        return visibility
    }

    static func filter(_ parameters: Parameters) throws -> RequestFilter {
        var filter = RequestFilter()
        if let camp = parameters["camp"], !camp.isEmpty { filter.camp = String(camp) }
        if let states = parameters["state"], !states.isEmpty {
            filter.states = try states.split(separator: ",").map { name in
                guard let state = ReplyRequestState(rawValue: String(name)) else {
                    throw HTTPError(.badRequest, message: "state '\(name)' is not one of \(ReplyRequestState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return state
            }
        }
        if let limit = try ClientNumber.query(parameters, "limit", in: 1...1000) { filter.limit = limit }
        return filter
    }
}
