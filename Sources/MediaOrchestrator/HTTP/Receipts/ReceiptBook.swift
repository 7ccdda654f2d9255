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
        let listed = try store.list(JobFilter(camp: caller.camp, limit: limit * 3))
        let jobs = listed.filter(Self.isReply)
        let (originalsIn, originalsSending) = originals(listed, for: caller)
        var clips: [String: Ticket.Clip] = [:]
        var receipts = try jobs.map { job in
            let ticket = try? job.decodedTicket()
            clips[job.id] = ticket?.clip
            return Receipt(job: job, request: try request(ticket?.request), caller: caller)
        }
        let madeFrom = Set(jobs.map(\.sourceSha256))
        let archivedAs = Set(jobs.map { Self.archivedName($0.archivePath) })
        for id in uploads.all() {
            guard let upload = try? uploads.load(id), Self.reaches(caller, upload) else { continue }
            // An original that followed its proxy is that clip's editors' cut: the clip's receipt says so.
            if upload.destination.clipRole == .original { continue }
            clips[upload.id] = upload.destination.ticket.clip
            // Whole and taken in by ingest: its job's receipt says the rest.
            if upload.completed, upload.metadata["sha256"].map({ madeFrom.contains($0.lowercased()) }) == true
                || upload.handingOffAs.map(archivedAs.contains) == true { continue }
            let (received, lastByte) = Self.bytes(at: uploads.dataPath(id), whole: upload)
            receipts.append(Receipt(upload: upload, received: received, lastByteAt: lastByte, request: try request(upload.destination.request), caller: caller))
        }
        return Array(receipts.sorted { $0.sentAt > $1.sentAt }.prefix(limit)).map { receipt in
            receipt.withClip(clips[receipt.id], originalsIn: originalsIn, originalsSending: originalsSending)
        }
    }

    /// The receipt of one clip the caller may see, or nil.
    func receipt(_ id: String, for caller: AccessToken) throws -> Receipt? {
        let found: Receipt, clip: Ticket.Clip?
        if ResumableUpload.isValidId(id) {
            guard let upload = try uploads.load(id), Self.reaches(caller, upload) else { return nil }
            let (received, lastByte) = Self.bytes(at: uploads.dataPath(id), whole: upload)
            found = Receipt(upload: upload, received: received, lastByteAt: lastByte, request: try upload.destination.request.flatMap(store.request), caller: caller)
            clip = upload.destination.ticket.clip
        } else {
            guard let job = try store.job(id), Self.isReply(job), let ticket = try? job.decodedTicket(), caller.reaches(camp: ticket.speaker?.camp) else { return nil }
            found = Receipt(job: job, request: try ticket.request.flatMap(store.request), caller: caller)
            clip = ticket.clip
        }
        guard clip?.role == .proxy else { return found.withClip(clip, originalsIn: [], originalsSending: []) }
        let (originalsIn, originalsSending) = originals(try store.list(JobFilter(camp: caller.camp, limit: 500)), for: caller)
        return found.withClip(clip, originalsIn: originalsIn, originalsSending: originalsSending)
    }

    /// The clip ids whose original is in (its job exists) and those whose original is still crossing the link.
    private func originals(_ jobs: [JobRecord], for caller: AccessToken) -> (in: Set<String>, sending: Set<String>) {
        let arrived = Set(jobs.compactMap { job in (try? job.decodedTicket())?.clip.flatMap { $0.role == .original ? $0.id : nil } })
        var sending = Set<String>()
        for id in uploads.all() {
            guard let upload = try? uploads.load(id), Self.reaches(caller, upload), !upload.completed,
                  let clip = upload.destination.ticket.clip, clip.role == .original else { continue }
            sending.insert(clip.id)
        }
        return (arrived, sending)
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
        guard stat(path, &info) == 0 else { return (upload.completed ? upload.length ?? 0 : 0, upload.createdAt) }
        return (Int64(info.st_size), Double(info.st_mtim.tv_sec))
    }
}
