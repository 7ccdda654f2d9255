import Foundation
import Hummingbird
import Logging

/// The command centre's HTTP API and dashboard (Hummingbird 2). `mediaorch watch` runs the
/// application as one Service of its ServiceGroup, beside the watcher and the workers.
public struct APIServer: Sendable {
    let context: APIContext

    public init(workspace: Workspace, store: JobStore, activity: JobActivity, links: DownloadLinks = DownloadLinks()) {
        context = APIContext(workspace: workspace, store: store, activity: activity, links: links)
        _ = OrchestratorMetrics.bootstrap
    }

    /// Every route, each behind the permission it needs (see AccessRole).
    public func router() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        let store = context.store
        ServiceRoutes(context: context).addOpen(to: router)
        ServiceRoutes(context: context).addMetrics(to: router.group().add(middleware: RequirePermission(permission: .readJobs, store: store)))

        let api = router.group("api")
        ServiceRoutes(context: context).addSession(to: api.group().add(middleware: RequirePermission(permission: nil, store: store)))
        let read = api.group().add(middleware: RequirePermission(permission: .readJobs, store: store))
        JobRoutes(context: context).addRead(to: read)
        EventRoutes(context: context).add(to: read)
        JobRoutes(context: context).addControl(to: api.group().add(middleware: RequirePermission(permission: .controlJobs, store: store)))
        JobRoutes(context: context).addCuts(to: api.group().add(middleware: RequirePermission(permission: .requestCuts, store: store)))
        OutputRoutes(context: context).add(to: api.group().add(middleware:
            RequirePermission(permission: .downloadOutputs, store: store, signedLinks: context.links)))
        UploadRoutes(context: context).add(to: api.group().add(middleware: RequirePermission(permission: .upload, store: store)))
        return router
    }

    /// The server on `host:port`; loopback unless the operator says otherwise.
    public func application(host: String = "127.0.0.1", port: Int = 8080, logger: Logger) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "mediaorch"), logger: logger)
    }
}
