import Foundation
import Hummingbird
import ServiceLifecycle

/// GET /api/events: server-sent events, one `job` event per stored state change of a job, one
/// `request` event per reply request made or changed, and `progress` events while a job renders, plus a comment every 15 s so proxies keep the line open. The
/// stream ends when the server shuts down, or within seconds of its token being revoked.
struct EventRoutes {
    let context: APIContext
    /// How often an open stream asks the store whether its token was revoked.
    var revocationCheck: Duration = .seconds(2)

    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("events") { _, requestContext in
            let caller = requestContext.caller!
            let mayDownload = caller.role.may(.downloadOutputs)
            let events = context.activity.subscribe()
            let encoder = APIJSON.encoder()
            let (store, recheck) = (context.store, revocationCheck)
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": mediaorch job events\nretry: 2000\n\n"))
                // The stream lasts while its token does: a revoked token's stream ends within seconds,
                // not at its next event. Events and the check feed one stream; the writer reads it.
                let (merged, feed) = AsyncStream<JobEvent>.makeStream()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events.cancelOnGracefulShutdown() { feed.yield(event) }
                        feed.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: recheck)
                            if (try? await BlockingWork.run { try store.tokenExists(id: caller.id) }) == false { break }
                        }
                        feed.finish()
                    }
                    for await event in merged {
                        try await writer.write(ByteBuffer(string: try await Self.message(event, context: context, encoder: encoder, mayDownload: mayDownload)))
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
    }

    static func message(_ event: JobEvent, context: APIContext, encoder: JSONEncoder, mayDownload: Bool) async throws -> String {
        switch event {
        case .job(let job):
            "event: job\ndata: \(String(decoding: try encoder.encode(await context.view(of: job, withThumbnail: mayDownload)), as: UTF8.self))\n\n"
        case .progress(let progress):
            "event: progress\ndata: \(String(decoding: try encoder.encode(progress), as: UTF8.self))\n\n"
        case .request(let request):
            "event: request\ndata: \(String(decoding: try encoder.encode(RequestView(request, full: true)), as: UTF8.self))\n\n"
        case .heartbeat:
            ": still here\n\n"
        }
    }
}
