import Foundation
import Logging
import Transcode

/// The workspace's uploads/ folder, as tusd's file store keeps it: per upload an .info (JSON,
/// written durably) and a .bin (the bytes so far; its size is the offset). Every change to an
/// upload's bytes happens under an exclusive flock(2) on its .bin, so two PATCHes (two requests
/// here, or two processes sharing the workspace) never interleave.
struct UploadFolder: Sendable {
    let folder: URL
    let inbox: URL

    init(workspace: Workspace) {
        folder = workspace.uploads
        inbox = workspace.inbox
    }

    func infoPath(_ id: String) -> String { folder.appendingPathComponent("\(id).info").path }
    func dataPath(_ id: String) -> String { folder.appendingPathComponent("\(id).bin").path }
    /// Present while a checksummed chunk is being written: holds the offset it started at, so a
    /// crash before the checksum was checked drops the unchecked bytes at the next lock.
    func chunkMarkerPath(_ id: String) -> String { folder.appendingPathComponent("\(id).chunk").path }

    func create(_ upload: ResumableUpload) throws {
        let fd = open(dataPath(upload.id), O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw Self.ioError(upload.id, "cannot create its file") }
        close(fd)
        try save(upload)
    }

    func save(_ upload: ResumableUpload) throws {
        do { try DurableFile.write(try JSONOutput.encoder().encode(upload), to: infoPath(upload.id)) } catch {
            throw OrchestratorError(file: upload.id, "cannot record the upload: \(error)", permanent: false)
        }
    }

    /// nil when there is no such upload (or the id is not one of ours).
    func load(_ id: String) throws -> ResumableUpload? {
        guard ResumableUpload.isValidId(id), let data = FileManager.default.contents(atPath: infoPath(id)) else { return nil }
        do { return try JSONOutput.decoder().decode(ResumableUpload.self, from: data) } catch {
            throw OrchestratorError(file: id, "its record is unreadable: \(error)", permanent: false)
        }
    }

    func all() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".info") }.map { String($0.dropLast(5)) }.filter(ResumableUpload.isValidId)
    }

    /// How many uploads `uploader` has begun and not finished (nor let expire).
    func unfinished(by uploader: String, now: Double) -> Int {
        all().compactMap { try? load($0) }.filter { $0.uploader == uploader && !$0.completed && $0.expiresAt >= now }.count
    }

    /// Takes the upload's lock, waiting up to `wait` seconds for a PATCH still running (a
    /// client whose old connection the server has not yet seen drop); nil when still busy.
    /// Throws not-found when, by the time the lock is held, the file is no longer this upload's:
    /// a DELETE removed it or a hand-off moved it into the inbox while this request waited.
    func lock(_ id: String, wait: TimeInterval) async throws -> UploadLock? {
        let path = dataPath(id)
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw Self.gone(id) }
            throw Self.ioError(id, "cannot open its file")
        }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else { close(fd); return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let lock = UploadLock(fd: fd)
        guard Self.isStill(path, opened: fd) else { lock.release(); throw Self.gone(id) }
        try dropUncheckedChunk(id, lock)
        return lock
    }

    /// Whether `path` still names the file `fd` was opened on (not unlinked, not renamed away).
    private static func isStill(_ path: String, opened fd: Int32) -> Bool {
        var held = stat(), named = stat()
        guard fstat(fd, &held) == 0, held.st_nlink > 0, stat(path, &named) == 0 else { return false }
        return held.st_dev == named.st_dev && held.st_ino == named.st_ino
    }

    static func gone(_ id: String) -> OrchestratorError {
        OrchestratorError(file: id, "its bytes are gone (handed over or ended meanwhile)", kind: .notFound)
    }

    /// The bytes received and kept so far.
    func offset(_ lock: UploadLock) throws -> Int64 {
        var info = stat()
        guard fstat(lock.fd, &info) == 0 else { throw Self.ioError("upload", "cannot stat its file") }
        return Int64(info.st_size)
    }

    func beginCheckedChunk(_ id: String, at offset: Int64) throws {
        try DurableFile.write(Data(String(offset).utf8), to: chunkMarkerPath(id))
    }

    func endCheckedChunk(_ id: String) {
        unlink(chunkMarkerPath(id))
    }

    /// Cuts the file back to where an unchecked chunk began (after a crash or a mismatch).
    func truncate(_ lock: UploadLock, to offset: Int64) throws {
        guard ftruncate(lock.fd, off_t(offset)) == 0, fsync(lock.fd) == 0 else { throw Self.ioError("upload", "cannot cut back its file") }
    }

    private func dropUncheckedChunk(_ id: String, _ lock: UploadLock) throws {
        guard let text = try? String(contentsOfFile: chunkMarkerPath(id), encoding: .utf8) else { return }
        if let start = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), start >= 0, start <= (try offset(lock)) {
            try truncate(lock, to: start)
        }
        endCheckedChunk(id)
    }

    /// Removes an upload's files (terminated, expired, or handed over long ago).
    func remove(_ id: String) {
        for path in [dataPath(id), chunkMarkerPath(id), infoPath(id)] { unlink(path) }
        try? DurableFile.syncFolder(of: infoPath(id))
    }

    /// Hands a whole upload to ingest: its ticket into the inbox, then the clip by rename (the
    /// watcher takes a renamed-in clip at once, with no wait for a stable size). The inbox name
    /// is recorded first, so after a crash the same hand-off is finished, not made twice. Neither
    /// the ticket nor the clip ever replaces a file: a name taken meanwhile (a PUT of the same
    /// name) moves the hand-off on to another one. Returns the clip's name in the inbox.
    func handOff(_ upload: inout ResumableUpload) throws -> String {
        let ticketData = try JSONOutput.encoder().encode(upload.destination.ticket)
        for round in 0..<8 {
            let name: String
            if let chosen = upload.handingOffAs { name = chosen } else {
                name = freeInboxName(for: upload, round: round)
                upload.handingOffAs = name
                try save(upload)
            }
            let clip = inbox.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: dataPath(upload.id)) else { break } // moved before a crash
            let ticket = inbox.appendingPathComponent(InboxScanner.ticketName(for: name)).path
            if try placeTicket(ticketData, at: ticket), try DurableFile.moveWithoutReplacing(dataPath(upload.id), to: clip) {
                try DurableFile.syncFolder(of: dataPath(upload.id))
                break
            }
            // Taken meanwhile: take back a ticket placed for this round, and choose again.
            if FileManager.default.contents(atPath: ticket) == ticketData, !FileManager.default.fileExists(atPath: clip) { unlink(ticket) }
            upload.handingOffAs = nil
            guard round < 7 else { throw Self.ioError(upload.id, "no free name in the inbox for the whole upload") }
        }
        upload.completed = true
        try save(upload)
        return upload.handingOffAs!
    }

    /// Puts the ticket beside the clip-to-be without replacing anything; true when it is there
    /// (placed now, or by this hand-off before a crash: the same bytes).
    private func placeTicket(_ data: Data, at path: String) throws -> Bool {
        if let existing = FileManager.default.contents(atPath: path) { return existing == data }
        let temporary = DurableFile.temporaryPath(for: path)
        defer { unlink(temporary) }
        try data.write(to: URL(fileURLWithPath: temporary))
        try DurableFile.sync(path: temporary, name: URL(fileURLWithPath: path).lastPathComponent)
        if try DurableFile.moveWithoutReplacing(temporary, to: path) { return true }
        return FileManager.default.contents(atPath: path) == data
    }

    /// An upload whose bytes are all in but that never reached the inbox (its hand-off failed,
    /// or the process died in it) is handed over now. Returns the upload as it stands after;
    /// unchanged when it is not whole, or busy past `wait`.
    func settle(_ upload: ResumableUpload, wait: TimeInterval) async throws -> ResumableUpload {
        guard !upload.completed else { return upload }
        let folder = self
        if !FileManager.default.fileExists(atPath: dataPath(upload.id)) {
            // Renamed into the inbox before the record said so: only the record is left to finish.
            guard upload.handingOffAs != nil else { return upload }
            return try await BlockingWork.run { var handing = upload; _ = try folder.handOff(&handing); return handing }
        }
        guard let lock = try await lock(upload.id, wait: wait) else { return upload }
        defer { lock.release() }
        guard try offset(lock) == upload.length else { return upload }
        return try await BlockingWork.run { var handing = upload; _ = try folder.handOff(&handing); return handing }
    }

    /// The clip's name in the inbox, under its uploader's prefix: its own name if neither it nor
    /// its ticket is taken, else one made unique with the upload's id (and the round, past the first).
    private func freeInboxName(for upload: ResumableUpload, round: Int) -> String {
        let sent = upload.destination.fileName
        let original = upload.uploader.map { UploaderFile.inboxName(sent, uploader: $0) } ?? sent
        func free(_ name: String) -> Bool {
            !FileManager.default.fileExists(atPath: inbox.appendingPathComponent(name).path)
                && !FileManager.default.fileExists(atPath: inbox.appendingPathComponent(InboxScanner.ticketName(for: name)).path)
        }
        if round == 0 && free(original) { return original }
        let ext = (original as NSString).pathExtension
        let base = (original as NSString).deletingPathExtension
        return round <= 1 ? "\(base)-\(upload.id.prefix(8)).\(ext)" : "\(base)-\(upload.id.prefix(8))-\(round).\(ext)"
    }

    static func ioError(_ id: String, _ what: String) -> OrchestratorError {
        OrchestratorError(file: id, "\(what): \(String(cString: strerror(errno)))", permanent: false)
    }
}

/// An upload's exclusive lock: the open .bin it was taken on. Released by `release()` (or when
/// the process dies: the kernel drops flock locks with the descriptor).
final class UploadLock: @unchecked Sendable {
    let fd: Int32
    private var released = false

    init(fd: Int32) { self.fd = fd }

    func release() {
        guard !released else { return }
        released = true
        close(fd)
    }

    deinit { release() }
}
