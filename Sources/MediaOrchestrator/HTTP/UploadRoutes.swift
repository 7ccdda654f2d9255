import Foundation
import Hummingbird
import Transcode
import NIOPosix

/// PUT /api/uploads/{name}: a clip, its ticket or a caption file into the inbox, for teams that
/// cannot mount the folder. The body streams to a hidden temporary file, is fsynced, checked
/// (a ticket or caption file must parse), and only then appears under its name, so the watcher
/// never sees half an upload. Send the ticket and captions first, the clip last.
struct UploadRoutes {
    let context: APIContext
    /// Phone clips of a few minutes; a runaway upload must not fill the disk.
    var maxClipBytes = 4 << 30
    var maxSidecarBytes = 4 << 20

    enum Kind: String { case clip, ticket, captions }

    static let clipExtensions: Set<String> = ["mp4", "mov", "m4v", "3gp", "3g2", "mkv", "webm", "avi", "mts", "m2ts", "ts"]

    static func kind(of name: String) -> Kind? {
        let lower = name.lowercased()
        if lower.hasSuffix(".job.json") { return .ticket }
        let ext = URL(fileURLWithPath: lower).pathExtension
        if ext == "srt" || ext == "vtt" { return .captions }
        return clipExtensions.contains(ext) ? .clip : nil
    }

    struct Receipt: Encodable { let file: String; let kind: String; let bytes: Int }

    func add(to group: RouterGroup<APIRequestContext>) {
        group.put("uploads/{name}") { request, requestContext in
            try await answering {
                if let disk = context.disk, disk.isLow {
                    throw HTTPError(.init(code: 507, reasonPhrase: "Insufficient Storage"), message: "the server's disk is nearly full (\(disk.summary)): try again later")
                }
                // Decoded first, so "..%2F" is judged as the "../" it means.
                guard let name = try requestContext.parameters.require("name").removingPercentEncoding else {
                    throw HTTPError(.badRequest, message: "the file name's percent-encoding is broken")
                }
                guard !name.hasPrefix("."), let destination = try? Workspace.child(name, of: context.workspace.inbox) else {
                    throw HTTPError(.badRequest, message: "'\(name)' is not a plain file name")
                }
                guard let kind = Self.kind(of: name) else {
                    throw HTTPError(.unsupportedMediaType, message: "\(name): upload a clip (\(Self.clipExtensions.sorted().joined(separator: ", "))), a ticket (NAME.job.json) or captions (.srt, .vtt)")
                }
                if FileManager.default.fileExists(atPath: destination.path) {
                    throw HTTPError(.conflict, message: "\(name) is already in the inbox; it is taken in shortly")
                }
                let limit = kind == .clip ? maxClipBytes : maxSidecarBytes
                let temporary = DurableFile.temporaryPath(for: destination.path)
                defer { unlink(temporary) }
                let bytes = try await receive(request.body, into: temporary, name: name, limit: limit)
                guard bytes > 0 else { throw HTTPError(.badRequest, message: "\(name): the upload is empty") }
                let camp = requestContext.caller?.camp
                if kind != .clip {
                    let data = try Data(contentsOf: URL(fileURLWithPath: temporary))
                    if kind == .ticket {
                        let ticket = try Ticket.decode(data, fileName: name)
                        // A camp's token files tickets for its own camp only.
                        if let camp {
                            let scoped = try ticket.scoped(toCamp: camp, file: name)
                            if scoped != ticket { try JSONOutput.encoder().encode(scoped).write(to: URL(fileURLWithPath: temporary)) }
                        }
                    } else { _ = try CaptionFile.parse(data, name: name) }
                } else if let camp {
                    // A camp's clip without a ticket is still its camp's.
                    let ticket = context.workspace.inbox.appendingPathComponent(InboxScanner.ticketName(for: name))
                    if !FileManager.default.fileExists(atPath: ticket.path) {
                        var unrequested = Ticket()
                        unrequested.setCamp(camp)
                        try DurableFile.write(try JSONOutput.encoder().encode(unrequested), to: ticket.path)
                    }
                }
                // link(2) rather than rename(2): it refuses to replace a file that arrived meanwhile.
                guard link(temporary, destination.path) == 0 else {
                    if errno == EEXIST { throw HTTPError(.conflict, message: "\(name) arrived in the inbox meanwhile") }
                    throw OrchestratorError(file: name, "cannot place into the inbox: \(String(cString: strerror(errno)))", permanent: false)
                }
                try DurableFile.syncFolder(of: destination.path)
                return try APIJSON.response(Receipt(file: name, kind: kind.rawValue, bytes: bytes), status: .created)
            }
        }
    }

    /// Writes the body as it arrives; every write and the fsync run on the blocking-I/O pool, not on the async one.
    private func receive(_ body: RequestBody, into path: String, name: String, limit: Int) async throws -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw OrchestratorError(file: name, "cannot write into the inbox: \(String(cString: strerror(errno)))", permanent: false) }
        defer { close(fd) }
        var total = 0
        for try await buffer in body {
            total += buffer.readableBytes
            guard total <= limit else { throw HTTPError(.contentTooLarge, message: "\(name): larger than \(limit >> 20) MiB") }
            try await BlockingWork.run {
                try buffer.withUnsafeReadableBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        guard written > 0 else {
                            throw OrchestratorError(file: name, "write failed: \(String(cString: strerror(errno)))", permanent: false)
                        }
                        offset += written
                    }
                }
            }
        }
        let synced = try await BlockingWork.run { fsync(fd) }
        guard synced == 0 else { throw OrchestratorError(file: name, "fsync failed: \(String(cString: strerror(errno)))", permanent: false) }
        return total
    }
}
