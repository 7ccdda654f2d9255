import Foundation
import Hummingbird

/// The routes around the API: the dashboard's files, /openapi.json, /health, /metrics, and
/// /api/session (who a token is, so the dashboard shows only the buttons that role may use).
struct ServiceRoutes {
    let context: APIContext

    /// No token: the dashboard page itself holds no data; it asks for a token and uses the API.
    func addOpen(to router: Router<APIRequestContext>) {
        router.get("/") { _, _ in Self.asset(DashboardAssets.page, type: "text/html; charset=utf-8") }
        router.get("/dashboard.css") { _, _ in Self.asset(DashboardAssets.style, type: "text/css; charset=utf-8") }
        router.get("/dashboard.js") { _, _ in Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
        // The field page: a camp's phone films and sends replies (an uploader token).
        router.get("/field") { _, _ in Self.asset(DashboardAssets.fieldPage, type: "text/html; charset=utf-8") }
        router.get("/field.css") { _, _ in Self.asset(DashboardAssets.fieldStyle, type: "text/css; charset=utf-8") }
        router.get("/field.js") { _, _ in Self.asset(DashboardAssets.fieldScript, type: "text/javascript; charset=utf-8") }
        // Mediabunny, loaded by the field page only when it makes a proxy: sent gzipped (82 KB, not
        // 320), and not again while the phone holds this version (ETag).
        router.get("/field/vendor/mediabunny.mjs") { request, _ in
            if request.headers[.ifNoneMatch] == DashboardAssets.mediabunnyTag {
                return Response(status: .notModified, headers: [.eTag: DashboardAssets.mediabunnyTag])
            }
            guard request.headers[.acceptEncoding]?.lowercased().contains("gzip") == true else {
                throw HTTPError(.notAcceptable, message: "this file is sent gzipped only: send Accept-Encoding: gzip (every browser does)")
            }
            var response = Self.asset(DashboardAssets.mediabunnyGzip, type: "text/javascript; charset=utf-8")
            response.headers[.contentEncoding] = "gzip"
            response.headers[.vary] = "Accept-Encoding"
            response.headers[.eTag] = DashboardAssets.mediabunnyTag
            return response
        }
        router.get("/field/lang/{file}") { _, requestContext in
            let file = try requestContext.parameters.require("file")
            let bytes = file == "index.json" ? FieldLanguages.index
                : file.hasSuffix(".json") ? FieldLanguages.catalogue(String(file.dropLast(5))) : nil
            guard let bytes else { throw HTTPError(.notFound, message: "\(file.prefix(40)): no such language") }
            return Self.asset(bytes, type: "application/json; charset=utf-8")
        }
        router.get("/openapi.json") { _, _ in Self.asset(DashboardAssets.openAPI, type: "application/json; charset=utf-8") }
        // For load balancers: 200 while the store answers, 503 when it does not. A low disk is
        // reported (uploads are refused, jobs wait) but the service is up.
        router.get("/health") { _, _ in
            do {
                let counts = try await context.inStore { try $0.countsByState() }
                var health = ["status": "ok", "queued": "\(counts[.queued] ?? 0)", "running": "\(counts[.running] ?? 0)",
                              "store": context.store.dialect == .postgres ? "postgresql" : "sqlite"]
                if let disk = context.disk {
                    health["disk_free_bytes"] = "\(disk.freeBytes)"
                    health["disk_floor_bytes"] = "\(disk.floorBytes)"
                    health["disk_low"] = "\(disk.isLowOrUnreachable)"
                    if disk.isUnreachable {
                        health["status"] = "workspace_unavailable"; health["reason"] = disk.summary
                    } else if disk.isLowOrUnreachable {
                        health["status"] = "disk_low"; health["reason"] = disk.summary
                    }
                }
                return try APIJSON.response(health)
            } catch {
                return try APIJSON.response(["status": "unavailable", "reason": "job store: \(error)"], status: .serviceUnavailable)
            }
        }
    }

    func addMetrics(to router: RouterGroup<APIRequestContext>) {
        router.get("/metrics") { _, _ in
            OrchestratorMetrics.recordQueue(try await context.inStore { try $0.countsByState() })
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: OrchestratorMetrics.exposition())))
        }
    }

    /// The nodes on this store (`mediaorch nodes`), for the dashboard's strip.
    func addNodes(to group: RouterGroup<APIRequestContext>) {
        group.get("nodes") { _, _ in
            try APIJSON.response(try await context.inStore { try $0.nodes() })
        }
    }

    struct Session: Encodable { let name: String; let role: String; let camp: String?; let permissions: [String] }

    func addSession(to group: RouterGroup<APIRequestContext>) {
        group.get("session") { _, requestContext in
            let caller = requestContext.caller!
            return try APIJSON.response(Session(name: caller.name, role: caller.role.rawValue, camp: caller.camp,
                                                permissions: Permission.allCases.filter(caller.role.may).map(\.rawValue)))
        }
    }

    static func asset(_ bytes: [UInt8], type: String) -> Response {
        // The page loads nothing from elsewhere: no CDN, no inline script.
        Response(status: .ok, headers: [
            .contentType: type, .cacheControl: "no-cache",
            .contentSecurityPolicy: "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'",
        ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
