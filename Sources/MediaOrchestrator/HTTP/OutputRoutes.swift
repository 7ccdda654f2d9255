import Foundation
import Hummingbird

/// A job's outputs: the list, and each file with Range support and its content type.
struct OutputRoutes {
    let context: APIContext

    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("jobs/{id}/outputs") { _, requestContext in
            try await answering {
                let id = try requestContext.parameters.require("id")
                _ = try context.store.requireJob(id)
                return try APIJSON.response(context.outputs(of: id))
            }
        }
        group.get("jobs/{id}/outputs/{name}") { request, requestContext in
            let id = try requestContext.parameters.require("id")
            // The id names a folder directly under outbox/: letters, digits and '-' only.
            guard let folder = try? context.workspace.outbox(for: id) else { throw HTTPError(.notFound, message: "\(id): no such job") }
            let files = FileMiddleware<APIRequestContext, OutputFolderFiles>(
                fileProvider: OutputFolderFiles(folder: folder), urlBasePath: "/api/jobs/\(id)/outputs"
            ).withAdditionalMediaTypes(forFileExtensions: OutputFolderFiles.extraMediaTypes)
            var request = request
            // FileMiddleware reads "bytes=-N" as the first N+1 bytes; RFC 9110 means the last N
            // (players ask for the tail to find a moov atom). Spell it out with the file's size.
            if let range = request.headers[.range], range.hasPrefix("bytes=-"), let suffix = Int(range.dropFirst(7)),
               let name = request.uri.path.split(separator: "/").last.flatMap({ String($0).removingPercentEncoding }),
               let file = OutputFolderFiles.servable(name, in: folder),
               let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int, size > 0 {
                var head = request.head
                head.headerFields[.range] = "bytes=\(max(0, size - suffix))-"
                request = Request(head: head, body: request.body)
            }
            return try await files.handle(request, context: requestContext) { _, _ in
                throw HTTPError(.notFound, message: "\(id): no such output (see /api/jobs/\(id)/outputs)")
            }
        }
    }
}
