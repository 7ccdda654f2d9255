import Hummingbird

/// Every error a route throws answers for itself: the library's errors become 400, 404, 409, 429
/// or 503 with their message and `Mediaorch-Reason` (HTTPError.from); anything unexpected is a
/// 500 naming it. Routes therefore just throw; none wraps its body to translate errors.
struct ErrorAnswerMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw HTTPError.from(error) as? HTTPError ?? HTTPError(.internalServerError, message: "\(error)")
        }
    }
}
