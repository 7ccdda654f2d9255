import HTTPTypes
import Hummingbird

/// The library's error answers for itself over HTTP: what kind of wrong it is decides the status
/// (a missing job 404, a job in the wrong state 409, a used-up allowance 429, a transient failure
/// 503, anything else the caller sent 400), its message is the body, its code the
/// `Mediaorch-Reason` header.
extension OrchestratorError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch kind {
        case .notFound: .notFound
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .tooMany: .tooManyRequests
        case .invalid: isPermanent ? .badRequest : .serviceUnavailable
        }
    }

    public var headers: HTTPFields {
        var headers = HTTPFields()
        if let code { headers[.mediaorchReason] = code }
        return headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try HTTPError(status, headers: headers, message: description).response(from: request, context: context)
    }
}
