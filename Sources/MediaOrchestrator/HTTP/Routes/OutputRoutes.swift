import Foundation
import Hummingbird

/// A job's outputs: the list, and each file with Range support and its content type.
struct OutputRoutes {
    let context: APIContext

    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("jobs/{id}/outputs") { _, requestContext in
            let id = try requestContext.parameters.require("id")
            _ = try await context.inStore { try $0.requireJob(id) }
            return try APIJSON.response(try await context.outputs(of: id))
        }
        group.get("jobs/{id}/outputs/{name}") { request, requestContext in
            let id = try requestContext.parameters.require("id")
            // The id names a folder directly under outbox/: letters, digits and '-' only.
            guard let folder = try? context.workspace.outbox(for: id) else { throw HTTPError(.notFound, message: "\(id): no such job") }
            let files = FileMiddleware<APIRequestContext, OutputFolderFiles>(
                fileProvider: OutputFolderFiles(folder: folder), urlBasePath: "/api/jobs/\(id)/outputs"
            ).withAdditionalMediaTypes(forFileExtensions: OutputFolderFiles.extraMediaTypes)
            var request = request
            if request.headers[.range] != nil,
               let name = request.uri.path.split(separator: "/").last.flatMap({ String($0).removingPercentEncoding }),
               let size = try await BlockingWork.run({ () -> Int? in
                   guard let file = OutputFolderFiles.servable(name, in: folder) else { return nil }
                   return (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int ?? 0
               }) {
                var head = request.head
                switch ByteRange(header: request.headers[.range], size: size) {
                case .whole: head.headerFields[.range] = nil
                case .range(let first, let last): head.headerFields[.range] = "bytes=\(first)-\(last)"
                case .unsatisfiable:
                    return Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)", .acceptRanges: "bytes"])
                }
                request = Request(head: head, body: request.body)
            }
            return try await files.handle(request, context: requestContext) { _, _ in
                throw HTTPError(.notFound, message: "\(id): no such output (see /api/jobs/\(id)/outputs)")
            }
        }
    }
}
