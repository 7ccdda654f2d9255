import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// `mediaorch watch` started while its store cannot be reached (PostgreSQL restarting, a
/// network blip) waits for it with backoff instead of exiting: the log says so at every try, and
/// while it waits /health answers 503 `{"status": "waiting_for_store", "reason": …}`, so a load
/// balancer and an operator see why the node is not serving yet.
public struct StoreWait: Sendable {
    let logger: Logger
    /// Where /health answers while waiting; nil without HTTP.
    let health: (host: String, port: Int)?
    var firstDelay: Duration = .seconds(1)
    var longestDelay: Duration = .seconds(30)

    public init(logger: Logger, health: (host: String, port: Int)?) {
        self.logger = logger
        self.health = health
    }

    /// `body`'s result once it stops failing with a store error; any other error ends the wait.
    public func until<T: Sendable>(_ what: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let reason = Reason()
        do { return try body() } catch where Self.isStoreUnavailable(error) { reason.set("\(error)") }
        let server = health.map { Self.healthServer(host: $0.host, port: $0.port, reason: reason, logger: logger) }
        let serving = server.map { group in Task { try? await group.run() } }
        var delay = firstDelay
        var result: Result<T, any Error>
        while true {
            logger.warning("waiting for the job store", metadata: ["step": "\(what)", "reason": "\(reason.get())", "next_try_in": "\(delay)"])
            do { try await Task.sleep(for: delay) } catch { result = .failure(error); break }
            delay = min(delay * 2, longestDelay)
            do { result = .success(try body()); break } catch where Self.isStoreUnavailable(error) { reason.set("\(error)") } catch {
                result = .failure(error); break
            }
        }
        // The stand-in answers no more before the service's own server takes the port.
        if let server, let serving {
            await server.triggerGracefulShutdown()
            await serving.value
        }
        if case .success = result { logger.notice("the job store answers; starting", metadata: ["step": "\(what)"]) }
        return try result.get()
    }

    final class Reason: Sendable {
        private let text = Mutex("")
        func set(_ new: String) { text.withLock { $0 = new } }
        func get() -> String { text.withLock { $0 } }
    }

    /// Errors that waiting can cure: the database is down, restarting or unreachable.
    static func isStoreUnavailable(_ error: any Error) -> Bool { error is PostgresStoreError }

    private static func healthServer(host: String, port: Int, reason: Reason, logger: Logger) -> ServiceGroup {
        let router = Router()
        router.get("/health") { _, _ in
            let body = try APIJSON.encoder().encode(["status": "waiting_for_store", "reason": reason.get()])
            return Response(status: .serviceUnavailable, headers: [.contentType: "application/json; charset=utf-8", .retryAfter: "5"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "mediaorch"), logger: logger)
        return ServiceGroup(configuration: .init(services: [app], logger: logger))
    }
}
