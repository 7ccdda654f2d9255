import Foundation
import Hummingbird
import Logging

/// Logs every request (method, path, status, time), with the secrets taken out: a signed
/// download link's signature, and any token or secret a client put in a query string, is
/// written as REDACTED. Headers are never logged (they carry bearer tokens).
struct RedactingRequestLog: RouterMiddleware {
    typealias Context = APIRequestContext
    static let secretParameters: Set<String> = ["signature", "token", "access_token", "secret", "key"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: Int(response.status.code), since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, context, status: Int(status), since: start)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(Self.redacted(path: request.uri.path, query: request.uri.query))", "status": "\(status)",
            "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
    }

    /// The path, and the query with every secret's value replaced.
    static func redacted(path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let key = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return secretParameters.contains(key.lowercased()) ? "\(key)=REDACTED" : String(pair)
        }
        return "\(path)?\(parts.joined(separator: "&"))"
    }
}
