import HTTPTypes
import Hummingbird

/// Every answer, errors too, says `X-Content-Type-Options: nosniff`: a browser opening an output
/// or an uploaded name must take its declared type, never guess script or HTML from its bytes.
struct NoSniffMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    static let header = HTTPField.Name("X-Content-Type-Options")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[Self.header] = "nosniff"
            return response
        } catch {
            // Inside, ErrorAnswerMiddleware made every error an HTTPError.
            var failure = HTTPError.from(error) as? HTTPError ?? HTTPError(.internalServerError, message: "\(error)")
            failure.headers[Self.header] = "nosniff"
            throw failure
        }
    }
}
