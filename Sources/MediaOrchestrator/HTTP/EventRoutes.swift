import Foundation
import Hummingbird
import ServiceLifecycle

/// GET /api/events: server-sent events, one `job` event per stored state change of a job, one
/// `request` event per reply request made or changed, and `progress` events while a job renders, plus a comment every 15 s so proxies keep the line open. The
/// stream ends when the server shuts down.
struct EventRoutes {
    let context: APIContext

    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("events") { _, requestContext in
            let mayDownload = requestContext.caller?.role.may(.downloadOutputs) ?? false
            let events = context.activity.subscribe()
            let encoder = APIJSON.encoder()
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": mediaorch job events\nretry: 2000\n\n"))
                for await event in events.cancelOnGracefulShutdown() {
                    let message: String
                    switch event {
                    case .job(let job):
                        message = "event: job\ndata: \(String(decoding: try encoder.encode(context.view(of: job, withThumbnail: mayDownload)), as: UTF8.self))\n\n"
                    case .progress(let progress):
                        message = "event: progress\ndata: \(String(decoding: try encoder.encode(progress), as: UTF8.self))\n\n"
                    case .request(let request):
                        message = "event: request\ndata: \(String(decoding: try encoder.encode(RequestView(request, full: true)), as: UTF8.self))\n\n"
                    case .heartbeat:
                        message = ": still here\n\n"
                    }
                    try await writer.write(ByteBuffer(string: message))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
    }
}
