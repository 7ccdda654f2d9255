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
    let placement: InboxPlacement
    /// One empty file per unfinished upload, in a folder per uploader (allowance/open/<token id>/):
    /// counting a token's uploads in flight lists one small folder instead of reading every record.
    let openMarkers: URL

    init(workspace: Workspace) {
        folder = workspace.uploads
        inbox = workspace.inbox
        placement = InboxPlacement(workspace: workspace)
        openMarkers = workspace.allowance.appendingPathComponent("open")
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
        if let uploader = upload.uploader {
            let mine = openMarkers.appendingPathComponent(uploader)
            try? FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
            let marker = open(mine.appendingPathComponent(upload.id).path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            if marker >= 0 { close(marker) }
        }
        try save(upload)
    }

    /// The upload is no longer in flight (whole, ended or expired).
    func closeMarker(_ id: String, uploader: String?) {
        guard let uploader else { return }
        unlink(openMarkers.appendingPathComponent(uploader).appendingPathComponent(id).path)
    }

    func save(_ upload: ResumableUpload) throws {
        do { try DurableFile.write(try JSONCoding.encoder().encode(upload), to: infoPath(upload.id)) } catch {
            throw OrchestratorError(subject: upload.id, "cannot record the upload: \(error)", permanent: false)
        }
    }

    /// nil when there is no such upload (or the id is not one of ours).
    func load(_ id: String) throws -> ResumableUpload? {
        guard ResumableUpload.isValidId(id), let data = FileManager.default.contents(atPath: infoPath(id)) else { return nil }
        do { return try JSONCoding.decoder().decode(ResumableUpload.self, from: data) } catch {
            throw OrchestratorError(subject: id, "its record is unreadable: \(error)", permanent: false)
        }
    }

    func all() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".info") }.map { String($0.dropLast(5)) }.filter(ResumableUpload.isValidId)
    }

    /// How many uploads `uploader` has begun and not finished (nor had removed).
    func unfinished(by uploader: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: openMarkers.appendingPathComponent(uploader).path)) ?? [])
            .filter(ResumableUpload.isValidId).count
    }

    /// Takes the upload's lock, waiting up to `wait` seconds for a PATCH still running (a
    /// client whose old connection the server has not yet seen drop); nil when still busy.
    /// Throws not-found when, by the time the lock is held, the file is no longer this upload's:
    /// a DELETE removed it or a hand-off moved it into the inbox while this request waited.
    func lock(_ id: String, wait: TimeInterval) async throws -> UploadLock? {
        let path = dataPath(id)
        // open(2) and stat(2) of a network share can block: off the cooperative pool.
        let fd = try await BlockingWork.run { () -> Int32 in
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { throw Self.gone(id) }
                throw Self.ioError(id, "cannot open its file")
            }
            return fd
        }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else { close(fd); return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let lock = UploadLock(fd: fd)
        try await BlockingWork.run { [self] in
            guard Self.isStill(path, opened: fd) else { lock.release(); throw Self.gone(id) }
            try dropUncheckedChunk(id, lock)
        }
        return lock
    }

    /// Whether `path` still names the file `fd` was opened on (not unlinked, not renamed away).
    private static func isStill(_ path: String, opened fd: Int32) -> Bool {
        var held = stat(), named = stat()
        guard fstat(fd, &held) == 0, held.st_nlink > 0, stat(path, &named) == 0 else { return false }
        return held.st_dev == named.st_dev && held.st_ino == named.st_ino
    }

    static func gone(_ id: String) -> OrchestratorError {
        OrchestratorError(subject: id, "its bytes are gone (handed over or ended meanwhile)", kind: .notFound)
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

    /// Whether the whole file's SHA-256 is the one the client computed before sending
    /// (metadata `sha256`); true when it sent none. Checked once, at the last byte: a chunk cut
    /// by a drop is kept as far as it came, and this catches any byte that arrived wrong.
    func wholeFileMatches(_ upload: ResumableUpload, _ lock: UploadLock) throws -> Bool {
        guard let expected = upload.metadata["sha256"]?.lowercased() else { return true }
        let digest = StreamingDigest(.sha256)
        let block = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: block, alignment: 16)
        defer { buffer.deallocate() }
        var at: off_t = 0
        while true {
            let n = pread(lock.fd, buffer.baseAddress!, block, at)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Self.ioError(upload.id, "cannot read its file back") }
            if n == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            at += off_t(n)
        }
        return digest.finish().map { String(format: "%02x", $0) }.joined() == expected
    }

    /// Removes an upload's files (terminated, expired, or handed over long ago).
    func remove(_ id: String, uploader: String? = nil) {
        closeMarker(id, uploader: uploader)
        for path in [dataPath(id), chunkMarkerPath(id), infoPath(id)] { unlink(path) }
        try? DurableFile.syncFolder(of: infoPath(id))
    }

    /// Hands a whole upload to ingest: its ticket into the inbox, then the clip by rename (the
    /// watcher takes a renamed-in clip at once, with no wait for a stable size). The inbox name
    /// is recorded first, so after a crash the same hand-off is finished, not made twice. Names
    /// are given under the uploader's placement lock, and neither the ticket nor the clip ever
    /// replaces a file: a name taken (a PUT of the same name) gives the clip one of its own.
    /// Returns the clip's name in the inbox.
    func handOff(_ upload: inout ResumableUpload) throws -> String {
        let ticketData = try JSONCoding.encoder().encode(upload.destination.ticket)
        var handing = upload
        try placement.holding(upload.uploader) {
            if FileManager.default.fileExists(atPath: dataPath(handing.id)) {
                // A name recorded before a crash stands while nothing else took it meanwhile.
                let name: String
                if let chosen = handing.handingOffAs, !FileManager.default.fileExists(atPath: inbox.appendingPathComponent(chosen).path),
                   ticket(at: chosen).map({ $0 == ticketData }) ?? true {
                    name = chosen
                } else {
                    let sent = handing.destination.fileName
                    let wanted = handing.uploader.map { UploaderFile.inboxName(sent, uploader: $0) } ?? sent
                    guard let free = placement.freeName(wanted, tag: String(handing.id.prefix(8)), isFree: placement.isFree) else {
                        throw Self.ioError(handing.id, "no free name in the inbox for the whole upload")
                    }
                    name = free
                    handing.handingOffAs = name
                    try save(handing)
                }
                let ticketPath = inbox.appendingPathComponent(InboxScanner.ticketName(for: name)).path
                if ticket(at: name) == nil {
                    let temporary = DurableFile.temporaryPath(for: ticketPath)
                    defer { unlink(temporary) }
                    try ticketData.write(to: URL(fileURLWithPath: temporary))
                    try DurableFile.sync(path: temporary, name: URL(fileURLWithPath: ticketPath).lastPathComponent)
                    guard try DurableFile.moveWithoutReplacing(temporary, to: ticketPath) else { throw Self.ioError(handing.id, "its ticket's name was taken meanwhile") }
                }
                guard try DurableFile.moveWithoutReplacing(dataPath(handing.id), to: inbox.appendingPathComponent(name).path) else {
                    throw Self.ioError(handing.id, "its name in the inbox was taken meanwhile")
                }
                try DurableFile.syncFolder(of: dataPath(handing.id))
            }
            closeMarker(handing.id, uploader: handing.uploader)
            handing.completed = true
            try save(handing)
        }
        upload = handing
        return upload.handingOffAs ?? upload.destination.fileName
    }

    /// The bytes of the ticket beside inbox clip `name`, if there is one.
    private func ticket(at name: String) -> Data? {
        FileManager.default.contents(atPath: inbox.appendingPathComponent(InboxScanner.ticketName(for: name)).path)
    }

    /// An upload whose bytes are all in but that never reached the inbox (its hand-off failed,
    /// or the process died in it) is handed over now. Returns the upload as it stands after;
    /// unchanged when it is not whole, or busy past `wait`.
    func settle(_ upload: ResumableUpload, wait: TimeInterval) async throws -> ResumableUpload {
        guard !upload.completed else { return upload }
        let folder = self
        let dataPath = dataPath(upload.id)
        if try await !BlockingWork.run({ FileManager.default.fileExists(atPath: dataPath) }) {
            // Renamed into the inbox before the record said so: only the record is left to finish.
            guard upload.handingOffAs != nil else { return upload }
            return try await BlockingWork.run { var handing = upload; _ = try folder.handOff(&handing); return handing }
        }
        guard let lock = try await lock(upload.id, wait: wait) else { return upload }
        defer { lock.release() }
        guard try offset(lock) == upload.length else { return upload }
        return try await BlockingWork.run {
            // Whole but wrong: its bytes are dropped, and the client's next HEAD says start again.
            guard try folder.wholeFileMatches(upload, lock) else { try folder.truncate(lock, to: 0); return upload }
            var handing = upload
            _ = try folder.handOff(&handing)
            return handing
        }
    }

    static func ioError(_ id: String, _ what: String) -> OrchestratorError {
        OrchestratorError(subject: id, "\(what): \(String(cString: strerror(errno)))", permanent: false)
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
