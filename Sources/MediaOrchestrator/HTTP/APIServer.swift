import Foundation
import Hummingbird
import Logging

/// The command centre's HTTP API and dashboard (Hummingbird 2). `mediaorch watch` runs the
/// application as one Service of its ServiceGroup, beside the watcher and the workers.
public struct APIServer: Sendable {
    let context: APIContext

    /// How long an unfinished resumable upload is kept after its last byte arrived. It holds its
    /// request alone meanwhile, so this is also how long an abandoned upload keeps the request
    /// from another phone: hours, not days (a reply is worth little a day late).
    let uploadExpiry: TimeInterval
    /// How long a second PATCH of one upload waits for the first before 423 (tests shorten it).
    var uploadLockWait: TimeInterval = 10

    public init(workspace: Workspace, store: JobStore, activity: JobActivity, links: DownloadLinks = DownloadLinks(),
                disk: DiskSpaceGuard? = nil, uploadExpiry: TimeInterval = 6 * 3600, allowance: UploadAllowance = UploadAllowance()) {
        context = APIContext(workspace: workspace, store: store, activity: activity, links: links, disk: disk, allowance: allowance)
        self.uploadExpiry = uploadExpiry
        _ = OrchestratorMetrics.bootstrap
    }

    /// Every route, each behind the permission it needs (see AccessRole).
    public func router() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        // Every request logged (method, path, status; headers and secrets never) and measured.
        router.middlewares.add(RedactingRequestLog())
        router.middlewares.add(NoSniffMiddleware())
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(ErrorAnswerMiddleware())
        let store = context.store
        ServiceRoutes(context: context).addOpen(to: router)
        ServiceRoutes(context: context).addMetrics(to: router.group().add(middleware: RequirePermission(permission: .readJobs, store: store)))

        let api = router.group("api")
        ServiceRoutes(context: context).addSession(to: api.group().add(middleware: RequirePermission(permission: nil, store: store)))
        let read = api.group().add(middleware: RequirePermission(permission: .readJobs, store: store))
        JobRoutes(context: context).addRead(to: read)
        EventRoutes(context: context).add(to: read)
        ServiceRoutes(context: context).addNodes(to: read)
        JobRoutes(context: context).addControl(to: api.group().add(middleware: RequirePermission(permission: .controlJobs, store: store)))
        JobRoutes(context: context).addCuts(to: api.group().add(middleware: RequirePermission(permission: .requestCuts, store: store)))
        JobRoutes(context: context).addRemake(to: api.group().add(middleware: RequirePermission(permission: .controlJobs, store: store)))
        OutputRoutes(context: context).add(to: api.group().add(middleware:
            RequirePermission(permission: .downloadOutputs, store: store, signedLinks: context.links)))
        JobRoutes(context: context).addPosting(to: api.group().add(middleware: RequirePermission(permission: .markPosted, store: store)))
        UploadRoutes(context: context).add(to: api.group().add(middleware: RequirePermission(permission: .upload, store: store)))
        ReceiptRoutes(context: context, lockWait: uploadLockWait).add(to: api.group().add(middleware: RequirePermission(permission: .upload, store: store)))
        RequestRoutes(context: context).add(to: api.group().add(middleware: RequirePermission(permission: nil, store: store)))
        WebhookRoutes(context: context).add(to: api.group().add(middleware: RequirePermission(permission: .seeWebhooks, store: store)))
        let tus = TusRoutes(context: context, expiry: uploadExpiry, lockWait: uploadLockWait)
        tus.addDiscovery(to: router)
        tus.add(to: api.group().add(middleware: RequirePermission(permission: .upload, store: store)))
        return router
    }

    /// The server on `host:port`; loopback unless the operator says otherwise.
    public func application(host: String = "127.0.0.1", port: Int = 8080, logger: Logger) -> some ApplicationProtocol {
        // A connection that sends nothing for a minute mid-request (a phone that lost signal
        // mid-PATCH) is closed, so its upload's lock is free for the client's next try.
        Application(router: router(), server: .http1(configuration: .init(idleTimeout: .seconds(60))),
                    configuration: .init(address: .hostname(host, port: port), serverName: "mediaorch"), logger: logger)
    }
}

extension APIServer {
    /// Fails with a message a producer can act on when the address is taken (another
    /// `mediaorch watch`?), instead of the socket layer's "bind(descriptor:ptr:bytes:)".
    public static func checkAddressIsFree(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var found: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let address = found else {
            throw OrchestratorError(subject: "--bind \(host)", "is not an address this machine can listen on")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var reuse: Int32 = 1 // as the server itself binds: a port in TIME_WAIT is free
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        if bind(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) != 0 {
            let reason = errno == EADDRINUSE ? "is already in use (another `mediaorch watch`?)" : String(cString: strerror(errno))
            throw OrchestratorError(subject: "\(host):\(port)", "\(reason); choose another --port, or run with --no-http", permanent: false)
        }
    }
}
