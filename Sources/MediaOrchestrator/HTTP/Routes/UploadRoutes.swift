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
    /// Caption files (a ticket's own limit is Ticket.Limits.fileBytes).
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
            if let disk = context.disk, disk.isLowOrUnreachable {
                throw HTTPError(.init(code: 507, reasonPhrase: "Insufficient Storage"), message: "the server's disk is nearly full (\(disk.summary)): try again later")
            }
            // Decoded first, so "..%2F" is judged as the "../" it means.
            guard let sent = try requestContext.parameters.require("name").removingPercentEncoding else {
                throw HTTPError(.badRequest, message: "the file name's percent-encoding is broken")
            }
            guard !sent.hasPrefix("."), sent.utf8.count <= 200, !sent.contains("\\"),
                  !sent.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
                  (try? Workspace.child(sent, of: context.workspace.inbox)) != nil else {
                throw HTTPError(.badRequest, message: "'\(sent.prefix(60).unicodeScalars.map { $0.value < 0x20 ? "?" : String($0) }.joined())' is not a plain file name of at most 200 bytes (no control characters, no / or \\)")
            }
            guard let kind = Self.kind(of: sent) else {
                throw HTTPError(.unsupportedMediaType, message: "\(sent.prefix(60)): upload a clip (\(Self.clipExtensions.sorted().joined(separator: ", "))), a ticket (NAME.job.json) or captions (.srt, .vtt)")
            }
            let caller = requestContext.caller!
            // The file is its uploader's: under the token's prefix, no other token can name it.
            let name = UploaderFile.inboxName(sent, uploader: caller.id)
            let destination = try Workspace.child(name, of: context.workspace.inbox)
            let (allowance, ledgers) = (context.allowance, context.workspace.allowance)
            try await BlockingWork.run {
                try allowance.checkRemaining(for: caller.id, in: ledgers)
                if FileManager.default.fileExists(atPath: destination.path) {
                    throw HTTPError(.conflict, message: "\(sent) is already in the inbox; it is taken in shortly")
                }
            }
            let limit = switch kind { case .clip: maxClipBytes; case .ticket: Ticket.Limits.fileBytes; case .captions: maxSidecarBytes }
            let temporary = DurableFile.temporaryPath(for: destination.path)
            // The temporary goes whatever happens (placed files are links to it), off the cooperative pool.
            let (bytes, placed): (Int, String)
            do {
                let received = try await receive(request.body, into: temporary, name: sent, limit: limit)
                guard received > 0 else { throw HTTPError(.badRequest, message: "\(sent): the upload is empty") }
                let store = context.store
                let placement = InboxPlacement(workspace: context.workspace)
                let placedName = try await BlockingWork.run { () -> String in
                    try allowance.charge(Int64(received), to: caller.id, in: ledgers)
                    switch kind {
                    case .ticket:
                        var ticket = try Ticket.decode(try Data(contentsOf: URL(fileURLWithPath: temporary)), fileName: sent)
                        // A camp's token files tickets for its own camp only, for its camp's requests only;
                        // the tweet comes from the request, and the captions are the uploader's own files.
                        if let camp = caller.camp { ticket = try ticket.scoped(toCamp: camp, file: sent) }
                        ticket = try ticket.linkedToRequest(by: caller, store: store).captionsOwned(by: caller.id)
                        try DurableFile.write(try JSONCoding.encoder().encode(ticket), to: temporary)
                    case .captions:
                        _ = try CaptionFile.parse(try Data(contentsOf: URL(fileURLWithPath: temporary)), name: sent)
                    case .clip: break
                    }
                    // Named and placed under the uploader's placement lock, beside a resumable hand-off of theirs.
                    return try placement.holding(caller.id) {
                        var name = name
                        // A clip whose name is free takes the ticket its uploader sent for it, if any; one whose
                        // name was taken while the body arrived (a hand-off of the same name) gets a name of its own.
                        if kind == .clip, FileManager.default.fileExists(atPath: placement.inbox.appendingPathComponent(name).path) {
                            guard let free = placement.freeName(name, tag: ResumableUpload.newId().prefix(8).description, isFree: placement.isFree) else {
                                throw HTTPError(.conflict, message: "\(sent) and every name made from it are taken in the inbox")
                            }
                            name = free
                        }
                        if kind == .clip, let camp = caller.camp {
                            // A camp's clip without a ticket is still its camp's.
                            let ticket = placement.inbox.appendingPathComponent(InboxScanner.ticketName(for: name))
                            if !FileManager.default.fileExists(atPath: ticket.path) {
                                var unrequested = Ticket()
                                unrequested.setCamp(camp)
                                try DurableFile.write(try JSONCoding.encoder().encode(unrequested), to: ticket.path)
                            }
                        }
                        // link(2) rather than rename(2): it refuses to replace a file that arrived meanwhile.
                        let destination = placement.inbox.appendingPathComponent(name)
                        guard link(temporary, destination.path) == 0 else {
                            if errno == EEXIST { throw HTTPError(.conflict, message: "\(sent) arrived in the inbox meanwhile") }
                            throw OrchestratorError(subject: sent, "cannot place into the inbox: \(String(cString: strerror(errno)))", permanent: false)
                        }
                        try DurableFile.syncFolder(of: destination.path)
                        return name
                    }
                }
                (bytes, placed) = (received, placedName)
            } catch {
                _ = try? await BlockingWork.run { unlink(temporary) }
                throw error
            }
            _ = try? await BlockingWork.run { unlink(temporary) }
            return try APIJSON.response(Receipt(file: placed, kind: kind.rawValue, bytes: bytes), status: .created)
        }
    }

    /// Writes the body as it arrives; every write and the fsync run on the blocking-I/O pool, not on the async one.
    private func receive(_ body: RequestBody, into path: String, name: String, limit: Int) async throws -> Int {
        let fd = try await BlockingWork.run {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else { throw OrchestratorError(subject: name, "cannot write into the inbox: \(String(cString: strerror(errno)))", permanent: false) }
            return fd
        }
        defer { close(fd) }
        var total = 0
        do { for try await buffer in body {
            total += buffer.readableBytes
            guard total <= limit else { throw HTTPError(.contentTooLarge, message: "\(name): larger than \(limit >> 20) MiB") }
            try await BlockingWork.run {
                try buffer.withUnsafeReadableBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        guard written > 0 else {
                            throw OrchestratorError(subject: name, "write failed: \(String(cString: strerror(errno)))", permanent: false)
                        }
                        offset += written
                    }
                }
            }
        } } catch { throw HTTPError.fromBody(error) }
        let synced = try await BlockingWork.run { fsync(fd) }
        guard synced == 0 else { throw OrchestratorError(subject: name, "fsync failed: \(String(cString: strerror(errno)))", permanent: false) }
        return total
    }
}
