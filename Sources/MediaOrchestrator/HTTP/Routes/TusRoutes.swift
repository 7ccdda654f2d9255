import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Transcode

/// Resumable uploads, tus 1.0.0, at /api/tus/: the core protocol (HEAD, PATCH) and the
/// creation, creation-with-upload, creation-defer-length (a proxy the phone sends while making
/// it), expiration, checksum and termination extensions. A camp's
/// phone sends a clip in as many pieces as its link allows; whatever arrived and was fsynced
/// before a drop is kept, and HEAD says where to go on. The last byte hands the clip to ingest.
struct TusRoutes {
    let context: APIContext
    var uploads: UploadFolder { UploadFolder(workspace: context.workspace) }
    /// The same ceiling as a plain PUT's: phone clips of a few minutes.
    var maxSize: Int64 = 4 << 30
    /// An unfinished upload untouched this long is removed.
    var expiry: TimeInterval = 6 * 3600
    /// How long a PATCH or HEAD waits for another PATCH of the same upload before 423.
    var lockWait: TimeInterval = 10

    static let version = "1.0.0"
    static let extensions = "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination"

    /// OPTIONS needs no token: discovery says what the server supports, nothing about anyone.
    func addDiscovery(to router: Router<APIRequestContext>) {
        for path in ["api/tus", "api/tus/{id}"] {
            router.on(RouterPath(stringLiteral: path), method: .options) { _, _ in
                Response(status: .noContent, headers: [
                    .tusResumable: Self.version, .tusVersion: Self.version, .tusExtension: Self.extensions,
                    .tusMaxSize: String(maxSize), .tusChecksumAlgorithm: "sha1,sha256",
                ])
            }
        }
    }

    func add(to group: RouterGroup<APIRequestContext>) {
        group.post("tus") { request, requestContext in
            try await tusAnswering(request) { try await create(request, requestContext) }
        }
        group.head("tus/{id}") { request, requestContext in
            try await tusAnswering(request) { try await head(request, requestContext) }
        }
        group.patch("tus/{id}") { request, requestContext in
            try await tusAnswering(request) { try await patch(request, requestContext) }
        }
        group.delete("tus/{id}") { request, requestContext in
            try await tusAnswering(request) { try await terminate(request, requestContext) }
        }
    }

    // MARK: creation

    private func create(_ request: Request, _ requestContext: APIRequestContext) async throws -> Response {
        try refuseWhenDiskLow()
        let caller = requestContext.caller!
        let metadata = try UploadMetadata(header: request.headers[.uploadMetadata] ?? "")
        let length = try Self.declaredLength(request, metadata: metadata, maxSize: maxSize)
        let ceiling = length ?? ResumableUpload.proxyCeiling
        // creation-with-upload: a body that says it is longer than the whole clip is refused before anything is made.
        if let declared = try ClientNumber.header(request, .contentLength, in: 0...Int64.max - 1, aboveIs: .contentTooLarge), declared > ceiling {
            throw HTTPError(.contentTooLarge, message: "Content-Length \(declared) is more than the upload may hold (\(ceiling) bytes)")
        }
        if let sha256 = metadata["sha256"], sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
            throw UploadMetadata.refuse("'sha256' is not the whole clip's SHA-256 in 64 hex digits")
        }
        let store = context.store
        let destination = try await context.inStore { _ in try UploadDestination.make(from: metadata, caller: caller, store: store) }
        let now = Date().timeIntervalSince1970
        var upload = ResumableUpload(id: ResumableUpload.newId(), length: length, metadata: metadata, destination: destination,
                                     createdBy: caller.name, uploader: caller.id, createdAt: now, expiresAt: now + expiry)
        upload.destination.ticket.arrival = Ticket.Arrival(upload: upload.id, declaredDuration: destination.declaredDuration)
        let (folder, allowance, ledgers, created) = (uploads, context.allowance, context.workspace.allowance, upload)
        // One upload holds a request at a time: taken before anything is made, given back if
        // making it fails. An original following its proxy holds nothing: the reply is made.
        let holding = destination.clipRole == .original ? nil : destination.request
        if let id = holding { try await context.inStore { try $0.holdRequest(id, forUpload: created.id) } }
        do {
            try await BlockingWork.run {
                // Counted and made under the token's ledger lock would be stricter; one more in flight
                // from two simultaneous POSTs is harmless, a stuck lock is not.
                let inFlight = folder.unfinished(by: caller.id)
                guard inFlight < allowance.uploadsInFlight else {
                    throw OrchestratorError(subject: "upload allowance", "this token has \(inFlight) unfinished uploads, the most it may have at once: "
                                            + "finish or cancel one first", kind: .tooMany).coded("too-many-uploads")
                }
                try allowance.charge(ceiling, to: caller.id, in: ledgers)
                try folder.create(created)
            }
        } catch {
            if let id = holding { try? await context.inStore { try $0.releaseRequest(id, fromUpload: created.id) } }
            throw error
        }
        var headers: HTTPFields = [.location: "/api/tus/\(upload.id)", .uploadExpires: Self.httpDate(upload.expiresAt)]
        // creation-with-upload: the first bytes may come with the POST itself. A client that is not
        // answered 201 never learns the upload's address, so one whose first bytes fail is removed.
        if request.headers[.contentType] == "application/offset+octet-stream" {
            do {
                let offset = try await receive(request, into: &upload, from: 0, toldLength: nil, logger: requestContext.logger)
                headers[.uploadOffset] = String(offset)
                headers[.uploadExpires] = Self.httpDate(upload.expiresAt)
            } catch {
                let id = upload.id
                if !upload.completed { try? await BlockingWork.run { folder.remove(id, uploader: caller.id) } }
                if let request = holding, !upload.completed { try? await context.inStore { try $0.releaseRequest(request, fromUpload: id) } }
                throw error
            }
        }
        return Response(status: .created, headers: headers)
    }

    // MARK: core

    private func head(_ request: Request, _ requestContext: APIRequestContext) async throws -> Response {
        // Whole but not handed over (a failed hand-off, a crash in it): a client told that all is
        // in must be able to count on the clip reaching the inbox, so it is handed over first.
        let upload = try await uploads.settle(try await reachable(requestContext), wait: lockWait)
        let offset: Int64
        if upload.completed, let length = upload.length { offset = length } else {
            guard let lock = try await uploads.lock(upload.id, wait: lockWait) else { throw Self.locked() }
            defer { lock.release() }
            offset = try uploads.offset(lock)
        }
        var headers: HTTPFields = [
            .uploadOffset: String(offset), .cacheControl: "no-store", .uploadExpires: Self.httpDate(upload.expiresAt),
        ]
        if let length = upload.length { headers[.uploadLength] = String(length) } else { headers[.uploadDeferLength] = "1" }
        if !upload.metadata.header.isEmpty { headers[.uploadMetadata] = upload.metadata.header }
        return Response(status: .ok, headers: headers)
    }

    private func patch(_ request: Request, _ requestContext: APIRequestContext) async throws -> Response {
        try refuseWhenDiskLow()
        guard request.headers[.contentType] == "application/offset+octet-stream" else {
            throw HTTPError(.unsupportedMediaType, message: "a PATCH carries Content-Type: application/offset+octet-stream")
        }
        var upload = try await reachable(requestContext)
        guard let offset = try ClientNumber.header(request, .uploadOffset, in: 0...upload.ceiling) else {
            throw HTTPError(.badRequest, message: "Upload-Offset is missing: say where these bytes start (HEAD tells)")
        }
        if upload.completed {
            throw HTTPError(.conflict, headers: [.uploadOffset: String(upload.ceiling)], message: "the upload is already whole (\(upload.ceiling) bytes)")
        }
        // creation-defer-length: the length is told once, with any PATCH, when the sender knows it.
        let told = try ClientNumber.header(request, .uploadLength, in: 0...Int64.max - 1, aboveIs: .contentTooLarge)
        if let told, let known = upload.length, told != known {
            throw HTTPError(.badRequest, message: "Upload-Length \(told) differs from the length already told (\(known))")
        }
        if let told, told > upload.ceiling {
            throw HTTPError(.contentTooLarge, message: "Upload-Length \(told) is more than a proxy may be (\(upload.ceiling >> 20) MiB)")
        }
        let newOffset = try await receive(request, into: &upload, from: offset, toldLength: upload.length == nil ? told : nil, logger: requestContext.logger)
        return Response(status: .noContent, headers: [.uploadOffset: String(newOffset), .uploadExpires: Self.httpDate(upload.expiresAt)])
    }

    private func terminate(_ request: Request, _ requestContext: APIRequestContext) async throws -> Response {
        let upload = try await reachable(requestContext)
        guard !upload.completed else {
            throw HTTPError(.conflict, message: "\(upload.id): the clip is already in the inbox (\(upload.handingOffAs ?? "")); cancel its job instead")
        }
        guard let lock = try await uploads.lock(upload.id, wait: lockWait) else { throw Self.locked() }
        defer { lock.release() }
        // The lock proves the bytes are still this upload's (not handed over, not ended meanwhile).
        let folder = uploads
        try await BlockingWork.run { folder.remove(upload.id, uploader: upload.uploader) }
        if let id = upload.destination.request { try? await context.inStore { try $0.releaseRequest(id, fromUpload: upload.id) } }
        return Response(status: .noContent)
    }

    // MARK: receiving bytes

    /// Appends the request's body at `offset` under the upload's lock and returns the new
    /// offset. Without a checksum, bytes that arrived before a drop are kept (after fsync);
    /// with one, the chunk is kept only when it matches, else cut off again (460).
    private func receive(_ request: Request, into upload: inout ResumableUpload, from offset: Int64, toldLength: Int64?,
                         logger: Logger) async throws -> Int64 {
        let checksum = try request.headers[.uploadChecksum].map(ExpectedChecksum.init(header:))
        guard let lock = try await uploads.lock(upload.id, wait: lockWait) else { throw Self.locked() }
        defer { lock.release() }
        let folder = uploads
        let start = try folder.offset(lock)
        guard offset == start else {
            throw HTTPError(.conflict, headers: [.uploadOffset: String(start)], message: "Upload-Offset \(offset) is not where the upload stands (\(start)); ask with HEAD")
        }
        if let toldLength {
            guard toldLength >= start else {
                throw HTTPError(.badRequest, headers: [.uploadOffset: String(start)], message: "Upload-Length \(toldLength) is less than the \(start) bytes already received")
            }
            // Charged at the most a proxy may be when it was made: what it will not use goes back.
            if let uploader = upload.uploader {
                let (allowance, ledgers, unused) = (context.allowance, context.workspace.allowance, upload.ceiling - toldLength)
                try await BlockingWork.run { try allowance.refund(unused, to: uploader, in: ledgers) }
            }
            upload.length = toldLength
        }
        // Compared with what is left, never added to the offset: a client's number cannot overflow here.
        if let declared = try ClientNumber.header(request, .contentLength, in: 0...upload.ceiling, aboveIs: .contentTooLarge),
           declared > upload.ceiling - start {
            throw HTTPError(.contentTooLarge, message: "\(declared) bytes at offset \(start) run past \(upload.length == nil ? "the most a proxy may be" : "Upload-Length") (\(upload.ceiling))")
        }
        let id = upload.id, length = upload.ceiling
        if checksum != nil { try await BlockingWork.run { try folder.beginCheckedChunk(id, at: start) } }
        let digest = checksum.map { StreamingDigest($0.algorithm) }
        var written: Int64 = 0
        var failure: (any Error)? = nil
        do {
            for try await buffer in request.body {
                guard Int64(buffer.readableBytes) <= length - start - written else {
                    throw HTTPError(.contentTooLarge, message: "the body runs past \(upload.length == nil ? "the most a proxy may be" : "Upload-Length") (\(length))")
                }
                let at = start + written
                try await BlockingWork.run {
                    try buffer.withUnsafeReadableBytes { raw in
                        digest?.update(raw)
                        try Self.write(raw, to: lock.fd, at: at, id: id)
                    }
                }
                written += Int64(buffer.readableBytes)
            }
        } catch { failure = error }

        if let checksum, let digest {
            // An incomplete chunk cannot be checked, and a wrong one is dropped: back to `start`.
            let matches = failure == nil && digest.finish() == checksum.digest
            try await BlockingWork.run {
                if !matches { try folder.truncate(lock, to: start) } else { guard fsync(lock.fd) == 0 else { throw UploadFolder.ioError(id, "fsync failed") } }
                folder.endCheckedChunk(id)
            }
            if let failure { throw HTTPError.fromBody(failure) }
            guard matches else {
                throw HTTPError(.init(code: 460, reasonPhrase: "Checksum Mismatch"), headers: [.uploadOffset: String(start)],
                                message: "the chunk's \(checksum.algorithm.rawValue) does not match Upload-Checksum; it was dropped, send it again from \(start)")
            }
        } else {
            // Whatever arrived is kept, once it is on disk: HEAD then reports it.
            try await BlockingWork.run { guard fsync(lock.fd) == 0 else { throw UploadFolder.ioError(id, "fsync failed") } }
            if let failure { throw HTTPError.fromBody(failure) }
        }
        let offset = start + written
        upload.expiresAt = Date().timeIntervalSince1970 + expiry
        upload.acknowledged = offset
        let current = upload
        let whole = upload.length == offset
        if whole, try await BlockingWork.run({ try folder.wholeFileMatches(current, lock) }) == false {
            var emptied = current
            emptied.acknowledged = 0
            let restarted = emptied
            try await BlockingWork.run { try folder.truncate(lock, to: 0); try folder.save(restarted) }
            logger.warning("resumable upload whole but its SHA-256 is not the client's; dropped to start again", metadata: ["upload": "\(id)"])
            throw HTTPError(.init(code: 460, reasonPhrase: "Checksum Mismatch"), headers: [.uploadOffset: "0", .mediaorchReason: "whole-file-mismatch"],
                            message: "the whole clip's SHA-256 does not match the one sent at creation: some bytes arrived wrong; send it again from 0")
        }
        if whole {
            let finished = current
            let (name, handedOver) = try await BlockingWork.run {
                var handing = finished
                return (try folder.handOff(&handing), handing)
            }
            upload = handedOver
            logger.info("resumable upload whole; handed to ingest", metadata: ["upload": "\(id)", "file": "\(name)", "bytes": "\(length)"])
        } else {
            let received = current
            try await BlockingWork.run { try folder.save(received) }
            upload = received
        }
        return offset
    }

    private static func write(_ raw: UnsafeRawBufferPointer, to fd: Int32, at offset: Int64, id: String) throws { // blocking: callers run it off the cooperative pool
        var done = 0
        while done < raw.count {
            let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw UploadFolder.ioError(id, "write failed") }
            done += n
        }
    }

    // MARK: helpers

    /// Upload-Length, or nil for `Upload-Defer-Length: 1`, which only a proxy may send (a phone
    /// that makes it while sending it does not know its size yet).
    static func declaredLength(_ request: Request, metadata: UploadMetadata, maxSize: Int64) throws -> Int64? {
        if let deferred = request.headers[.uploadDeferLength] {
            guard deferred == "1" else { throw HTTPError(.badRequest, message: "Upload-Defer-Length is '1' or absent (was '\(deferred.prefix(20))')") }
            guard request.headers[.uploadLength] == nil else { throw HTTPError(.badRequest, message: "send either Upload-Length or Upload-Defer-Length, not both") }
            guard metadata["clip_role"] == "proxy" else {
                throw HTTPError(.badRequest, message: "only a proxy made on the phone may defer its length (clip_role proxy): send Upload-Length, the clip's size in bytes")
            }
            return nil
        }
        guard let length = try ClientNumber.header(request, .uploadLength, in: 0...Int64.max - 1, aboveIs: .contentTooLarge) else {
            throw HTTPError(.badRequest, message: "Upload-Length is missing: send the clip's size in bytes (or Upload-Defer-Length: 1 for a proxy)")
        }
        guard length > 0 else { throw HTTPError(.badRequest, message: "Upload-Length is 0: the clip is empty") }
        guard length <= maxSize else {
            throw HTTPError(.contentTooLarge, message: "Upload-Length \(length) is more than this server takes (\(maxSize >> 20) MiB)")
        }
        if metadata["clip_role"] == "proxy", length > ResumableUpload.proxyCeiling {
            throw HTTPError(.contentTooLarge, message: "Upload-Length \(length) is more than a proxy may be (\(ResumableUpload.proxyCeiling >> 20) MiB)")
        }
        return length
    }

    /// The upload the path names, if the caller may touch it; 404 otherwise (another
    /// uploader's upload is not revealed), 410 when it expired and awaits the sweep.
    private func reachable(_ requestContext: APIRequestContext) async throws -> ResumableUpload {
        let id = try requestContext.parameters.require("id")
        let folder = uploads
        guard let upload = try await BlockingWork.run({ try folder.load(id) }), Self.mayTouch(upload, requestContext.caller!) else {
            throw HTTPError(.notFound, message: "\(id): no such upload")
        }
        if !upload.completed && upload.expiresAt < Date().timeIntervalSince1970 {
            throw HTTPError(.gone, message: "\(id): the upload expired; start it again")
        }
        return upload
    }

    /// An upload is its uploader's: the token that made it resumes, reads or ends it (a producer
    /// may too). Records from before uploads carried their uploader go by camp, as they did.
    static func mayTouch(_ upload: ResumableUpload, _ caller: AccessToken) -> Bool {
        if let uploader = upload.uploader { return uploader == caller.id || caller.role.may(.manageRequests) }
        return caller.reaches(camp: upload.destination.camp)
    }

    private func refuseWhenDiskLow() throws {
        if let disk = context.disk, disk.isLowOrUnreachable {
            throw HTTPError(.init(code: 507, reasonPhrase: "Insufficient Storage"), message: "the server's disk is nearly full (\(disk.summary)): try again later")
        }
    }

    static func locked() -> HTTPError {
        HTTPError(.init(code: 423, reasonPhrase: "Locked"), message: "another request is writing this upload; try again in a moment")
    }

    /// Every answer carries Tus-Resumable; a request in another protocol version gets 412.
    private func tusAnswering(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        do {
            guard request.headers[.tusResumable] == Self.version else {
                throw HTTPError(.preconditionFailed, headers: [.tusVersion: Self.version],
                                message: "Tus-Resumable must be \(Self.version) (was \(request.headers[.tusResumable] ?? "missing"))")
            }
            var response = try await body()
            response.headers[.tusResumable] = Self.version
            return response
        } catch {
            var failure = HTTPError.from(error) as? HTTPError ?? HTTPError(.internalServerError, message: "\(error)")
            failure.headers[.tusResumable] = Self.version
            throw failure
        }
    }

    /// RFC 9110's date ("Tue, 01 Dec 2026 18:00:00 GMT"), as Upload-Expires carries it.
    static func httpDate(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}

/// `Upload-Checksum: sha1 <base64 digest>`.
struct ExpectedChecksum {
    let algorithm: StreamingDigest.Algorithm
    let digest: [UInt8]

    init(header: String) throws {
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let algorithm = StreamingDigest.Algorithm(rawValue: parts[0].lowercased()) else {
            throw HTTPError(.badRequest, message: "Upload-Checksum '\(header.prefix(60))' is not 'sha1 <base64>' or 'sha256 <base64>'")
        }
        guard let digest = Data(base64Encoded: String(parts[1])), digest.count == (algorithm == .sha1 ? 20 : 32) else {
            throw HTTPError(.badRequest, message: "Upload-Checksum: the \(algorithm.rawValue) digest is not base64 of \(algorithm == .sha1 ? 20 : 32) bytes")
        }
        self.algorithm = algorithm
        self.digest = Array(digest)
    }
}

extension HTTPField.Name {
    static let tusResumable = Self("Tus-Resumable")!
    static let tusVersion = Self("Tus-Version")!
    static let tusExtension = Self("Tus-Extension")!
    static let tusMaxSize = Self("Tus-Max-Size")!
    static let tusChecksumAlgorithm = Self("Tus-Checksum-Algorithm")!
    static let uploadOffset = Self("Upload-Offset")!
    static let uploadLength = Self("Upload-Length")!
    static let uploadDeferLength = Self("Upload-Defer-Length")!
    static let uploadMetadata = Self("Upload-Metadata")!
    static let uploadExpires = Self("Upload-Expires")!
    static let uploadChecksum = Self("Upload-Checksum")!
}
