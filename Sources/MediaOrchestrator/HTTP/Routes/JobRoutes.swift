import Foundation
import Hummingbird
import NIOCore

/// /api/jobs: list and filter, show, retry, cancel, and editors' cut requests.
struct JobRoutes {
    let context: APIContext

    func addRead(to group: RouterGroup<APIRequestContext>) {
        group.get("jobs") { request, requestContext in
            let filter = try Self.filter(request.uri.queryParameters)
            let jobs = try await context.inStore { try $0.list(filter) }
            let mayDownload = requestContext.caller?.role.may(.downloadOutputs) ?? false
            return try APIJSON.response(await context.views(of: jobs, withThumbnail: mayDownload))
        }
        group.get("jobs/{id}") { _, requestContext in
            let id = try requestContext.parameters.require("id")
            let (job, attempts) = try await context.inStore { (try $0.requireJob(id), try $0.attempts(of: id)) }
            let mayDownload = requestContext.caller?.role.may(.downloadOutputs) ?? false
            let path = try context.workspace.outbox(for: id).appendingPathComponent("manifest.json").path
            let manifest = try await BlockingWork.run { FileManager.default.contents(atPath: path) }
                .flatMap { try? JSONCoding.decoder().decode(Manifest.self, from: $0) }
            return try APIJSON.response(JobDetailView(
                job: await context.view(of: job, withThumbnail: mayDownload), attempts: attempts,
                outputs: mayDownload ? try await context.outputs(of: id) : nil, manifest: manifest))
        }
    }

    struct RetryBody: Decodable, Sendable {
        struct Caption: Decodable, Sendable { var file: String; var text: String }
        var trimStart: Double?
        var trimEnd: Double?
        var captions: [Caption]?
    }

    func addControl(to group: RouterGroup<APIRequestContext>) {
        group.post("jobs/{id}/retry") { request, requestContext in
            let id = try requestContext.parameters.require("id")
            let body = try await Self.decodeOptional(RetryBody.self, request, requestContext) ?? RetryBody()
            let captions = (body.captions ?? []).map { JobControl.CaptionReplacement(name: $0.file, data: Data($0.text.utf8)) }
            let control = context.control
            let job = try await context.inStore { store in
                try control.retry(id, captions: captions, trimStart: body.trimStart, trimEnd: body.trimEnd)
                return try store.requireJob(id)
            }
            return try APIJSON.response(await context.view(of: job, withThumbnail: false))
        }
        group.post("jobs/{id}/cancel") { _, requestContext in
            let id = try requestContext.parameters.require("id")
            let control = context.control
            let job = try await context.inStore { store in
                try control.cancel(id)
                return try store.requireJob(id)
            }
            return try APIJSON.response(await context.view(of: job, withThumbnail: false))
        }
    }

    struct CutBody: Decodable, Sendable {
        var start: Double?
        var end: Double?
        var captions: Bool?
    }

    func addCuts(to group: RouterGroup<APIRequestContext>) {
        group.post("jobs/{id}/cuts") { request, requestContext in
            let id = try requestContext.parameters.require("id")
            let body = try await Self.decodeOptional(CutBody.self, request, requestContext) ?? CutBody()
            let control = context.control
            let (job, created) = try await context.inStore { _ in
                try control.requestCut(of: id, start: body.start ?? 0, end: body.end, captions: body.captions ?? false)
            }
            return try APIJSON.response(await context.view(of: job, withThumbnail: false), status: created ? .created : .ok)
        }
    }

    /// POST /api/jobs/{id}/from-original: a reply made from a phone's proxy made again from the
    /// camera's original (201 with the new job; 409 with Mediaorch-Reason when it cannot be).
    func addRemake(to group: RouterGroup<APIRequestContext>) {
        group.post("jobs/{id}/from-original") { _, requestContext in
            let id = try requestContext.parameters.require("id")
            let control = context.control
            let (job, created) = try await context.inStore { _ in try control.remakeFromOriginal(id) }
            return try APIJSON.response(await context.view(of: job, withThumbnail: false), status: created ? .created : .ok)
        }
    }

    struct PostedBody: Decodable, Sendable {
        var url: String
        /// An admin's reason to post a reply whose speaker's consent is not recorded.
        var consentOverride: String?
    }

    /// POST /api/jobs/{id}/posted {"url": "https://x.com/.../status/..."}: the command centre posted the reply.
    func addPosting(to group: RouterGroup<APIRequestContext>) {
        group.post("jobs/{id}/posted") { request, requestContext in
            let id = try requestContext.parameters.require("id")
            guard let body = try await Self.decodeOptional(PostedBody.self, request, requestContext) else {
                throw HTTPError(.badRequest, message: "request body: send {\"url\": \"https://x.com/HANDLE/status/ID\"}, the posted reply's address (and \"consent_override\": a reason, an admin only)")
            }
            let control = context.control
            let caller = requestContext.caller!
            if body.consentOverride != nil && !caller.role.may(.overrideConsent) {
                throw HTTPError(.forbidden, message: "a \(caller.role.rawValue) token may not \(Permission.overrideConsent.summary)")
            }
            let job = try await context.inStore { _ in try control.markPosted(id, url: body.url, by: caller.name, consentOverride: body.consentOverride) }
            return try APIJSON.response(await context.view(of: job, withThumbnail: false))
        }
    }

    /// ?state=failed&template=twitter-reply&camp=Kakuma&since=2026-11-21T09:00:00Z (or seconds since 1970)&limit=100.
    static func filter(_ parameters: Parameters) throws -> JobFilter {
        // An empty field (a form left blank) filters nothing.
        var query: [String: Substring] = [:]
        for (key, value) in parameters where !value.isEmpty { query[String(key)] = value }
        var filter = JobFilter()
        if let state = query["state"] {
            guard let parsed = JobState(rawValue: String(state)) else {
                throw HTTPError(.badRequest, message: "state '\(state)' is not one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.state = parsed
        }
        if let limit = try ClientNumber.query(parameters, "limit", in: 1...1000) { filter.limit = limit }
        filter.template = query["template"].map(String.init)
        filter.camp = query["camp"].map(String.init)
        if let since = query["since"].map(String.init) {
            guard let date = Double(since).flatMap({ $0.isFinite && abs($0) < 1e11 ? Date(timeIntervalSince1970: $0) : nil })
                    ?? (try? Date(since, strategy: .iso8601)) else {
                throw HTTPError(.badRequest, message: "since '\(since)' is neither an ISO 8601 time (2026-11-21T09:00:00Z) nor seconds since 1970")
            }
            filter.since = date
        }
        return filter
    }

    /// A JSON body that may be left out altogether.
    static func decodeOptional<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIRequestContext) async throws -> T? {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: context.maxUploadSize) } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "request body: larger than \(context.maxUploadSize >> 20) MiB")
        } catch {
            throw HTTPError.fromBody(error) // cut off, or a broken chunk: the client's side, 400
        }
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONCoding.decoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: "request body: \(DecodingErrorText.describe(error))")
        }
    }
}
