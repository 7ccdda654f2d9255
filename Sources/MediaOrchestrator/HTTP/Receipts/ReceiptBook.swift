import Foundation

/// The receipts a token may read: its camp's clips (every camp's for a campless uploader or the
/// command centre), newest first, from the uploads still crossing the link and the jobs made
/// from whole ones. Reads the store and the uploads folder: call off the cooperative pool.
struct ReceiptBook {
    let store: JobStore
    let uploads: UploadFolder

    func receipts(for caller: AccessToken, limit: Int) throws -> [Receipt] {
        var requests: [String: ReplyRequest?] = [:]
        func request(_ id: String?) throws -> ReplyRequest? {
            guard let id else { return nil }
            if let known = requests[id] { return known }
            let found = try store.request(id)
            requests[id] = found
            return found
        }
        let jobs = try store.list(JobFilter(camp: caller.camp, limit: limit * 2)).filter(Self.isReply)
        var receipts = try jobs.map { job in Receipt(job: job, request: try request((try? job.decodedTicket())?.request), caller: caller) }
        let madeFrom = Set(jobs.map(\.sourceSha256))
        let archivedAs = Set(jobs.map { Self.archivedName($0.archivePath) })
        for id in uploads.all() {
            guard let upload = try? uploads.load(id), Self.reaches(caller, upload) else { continue }
            // Whole and taken in by ingest: its job's receipt says the rest.
            if upload.completed, upload.metadata["sha256"].map({ madeFrom.contains($0.lowercased()) }) == true
                || upload.handingOffAs.map(archivedAs.contains) == true { continue }
            let (received, lastByte) = Self.bytes(at: uploads.dataPath(id), whole: upload)
            receipts.append(Receipt(upload: upload, received: received, lastByteAt: lastByte, request: try request(upload.destination.request), caller: caller))
        }
        return Array(receipts.sorted { $0.sentAt > $1.sentAt }.prefix(limit))
    }

    /// The receipt of one clip the caller may see, or nil.
    func receipt(_ id: String, for caller: AccessToken) throws -> Receipt? {
        if ResumableUpload.isValidId(id) {
            guard let upload = try uploads.load(id), Self.reaches(caller, upload) else { return nil }
            let (received, lastByte) = Self.bytes(at: uploads.dataPath(id), whole: upload)
            return Receipt(upload: upload, received: received, lastByteAt: lastByte, request: try upload.destination.request.flatMap(store.request), caller: caller)
        }
        guard let job = try store.job(id), Self.isReply(job), let ticket = try? job.decodedTicket(), caller.reaches(camp: ticket.speaker?.camp) else { return nil }
        return Receipt(job: job, request: try ticket.request.flatMap(store.request), caller: caller)
    }

    /// Replies only: an editors' cut is the command centre's, not a clip a camp sent.
    static func isReply(_ job: JobRecord) -> Bool { job.parentId == nil && !job.template.hasPrefix("bts-cut") }

    static func reaches(_ caller: AccessToken, _ upload: ResumableUpload) -> Bool {
        upload.uploader == caller.id || caller.reaches(camp: upload.destination.camp)
    }

    /// "archive/ab12…/duplicate-2-up-3f2a9c1b-abu.mp4" → "up-3f2a9c1b-abu.mp4".
    static func archivedName(_ path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        if name.hasPrefix("duplicate-"), let dash = name.dropFirst("duplicate-".count).firstIndex(of: "-") {
            name = String(name[name.index(after: dash)...])
        }
        return name
    }

    /// Bytes received so far and when the last arrived (the .bin's size and time).
    static func bytes(at path: String, whole upload: ResumableUpload) -> (Int64, Double) { // blocking: callers run it off the cooperative pool
        var info = stat()
        guard stat(path, &info) == 0 else { return (upload.completed ? upload.length : 0, upload.createdAt) }
        return (Int64(info.st_size), Double(info.st_mtim.tv_sec))
    }
}
