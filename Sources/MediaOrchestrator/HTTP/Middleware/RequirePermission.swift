import Foundation
import HTTPTypes
import Hummingbird

/// Guards a group of routes: 401 when the request has no bearer token or one the store does not
/// know (revoked), 403 when the token's role lacks the group's permission. A download group also
/// accepts a signed link for exactly the requested file (401 when the link is stale or forged).
struct RequirePermission: RouterMiddleware {
    typealias Context = APIRequestContext
    /// nil: any valid token (who am I).
    let permission: Permission?
    let store: JobStore
    var signedLinks: DownloadLinks? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var signedLinkFailed = false
        if let signedLinks, let query = SignedQuery(request.uri.queryParameters) {
            if signedLinks.isValid(path: request.uri.path, expires: query.expires, signature: query.signature) {
                return try await next(request, context)
            }
            signedLinkFailed = true // a bearer token may still open it
        }
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized(signedLinkFailed
                ? "this download link has expired or was not made for this file; reload the job"
                : "this needs a bearer token: ask a producer for one (`mediaorch tokens add`)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        let token = parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]).trimmingCharacters(in: .whitespaces) : nil
        // The lookup (and the once-a-minute last-use write) may wait on SQLite: off the cooperative pool.
        let store = self.store
        guard let token, let caller = try await BlockingWork.run({ try store.authenticate(token) }) else {
            throw Self.unauthorized("the bearer token is not recognised (mistyped or revoked)")
        }
        if let permission, !caller.role.may(permission) {
            throw HTTPError(.forbidden, message: "a \(caller.role.rawValue) token may not \(permission.summary)")
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }

    static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"mediaorch\""], message: message)
    }
}

/// `?expires=…&signature=…` on a download link.
struct SignedQuery {
    let expires: Int
    let signature: String

    init?(_ query: Parameters) {
        guard let expires = query["expires"].flatMap({ Int(String($0)) }), let signature = query["signature"] else { return nil }
        self.expires = expires
        self.signature = String(signature)
    }
}

extension Permission {
    /// For a 403's message: "a viewer token may not retry or cancel jobs".
    var summary: String {
        switch self {
        case .readJobs: "read jobs"
        case .controlJobs: "retry or cancel jobs"
        case .downloadOutputs: "download outputs"
        case .requestCuts: "ask for bts cuts"
        case .upload: "upload into the inbox"
        case .manageRequests: "make or cancel reply requests"
        case .markPosted: "mark replies as posted"
        case .seeOpenRequests: "see reply requests"
        case .seeWebhooks: "see webhooks"
        case .overrideConsent: "post a reply without its speaker's recorded consent (an admin's decision)"
        }
    }
}
