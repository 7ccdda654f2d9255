import Foundation
import Logging
import Transcode

/// Takes a whole upload out of the inbox: hashes it, moves it (by rename, untouched) into
/// archive/<sha256 prefix>/ with its ticket and caption files, and queues its job. The same
/// content dropped again makes no second job; the copy is archived beside the first, never deleted.
public struct Ingestor: Sendable {
    public let workspace: Workspace
    public let store: JobStore
    public let templates: TemplateLibrary
    /// How long a clip waits for the caption files its ticket names.
    public var captionsTimeout: TimeInterval = 600
    /// The node ingesting: on a shared workspace, the one that claimed an upload ingests it.
    public var node = "local"
    let logger: Logger

    public init(workspace: Workspace, store: JobStore, templates: TemplateLibrary, logger: Logger) {
        self.workspace = workspace
        self.store = store
        self.templates = templates
        self.logger = logger
    }

    public enum Result: Sendable, Equatable {
        case queued(jobId: String)
        case duplicate(jobId: String)
        /// Caption files named by the ticket have not arrived yet.
        case waitingForCaptions([String])
        /// Another node on the shared workspace is ingesting it.
        case takenByAnotherNode
    }

    public func ingest(_ name: String, firstSeen: Date = Date(), now: Date = Date()) throws -> Result {
        let source = try Workspace.child(name, of: workspace.inbox)
        let ticketURL = workspace.inbox.appendingPathComponent(InboxScanner.ticketName(for: name))
        var ticket: Ticket? = nil
        var ticketProblem: String? = nil
        if FileManager.default.fileExists(atPath: ticketURL.path) {
            do { ticket = try Ticket.load(path: ticketURL.path) } catch { ticketProblem = "\(error)" }
        }
        if var read = ticket {
            // A ticket reaches only its own uploader's caption files (UploaderFile).
            let uploader = UploaderFile.uploader(of: name)
            let foreign = read.captions?.filter { UploaderFile.uploader(of: $0.file) != uploader } ?? []
            if !foreign.isEmpty {
                read.captions = read.captions?.filter { UploaderFile.uploader(of: $0.file) == uploader }
                logger.warning("ticket names caption files of another uploader; left out", metadata: ["file": "\(name)", "captions": "\(foreign.map(\.file))"])
            }
            ticket = try linkRequest(read, clip: name)
        }
        let captionNames = ticket?.captions?.map(\.file) ?? []
        let missing = captionNames.filter { !FileManager.default.fileExists(atPath: workspace.inbox.appendingPathComponent($0).path) }
        if !missing.isEmpty && now.timeIntervalSince(firstSeen) < captionsTimeout {
            return .waitingForCaptions(missing)
        }

        // The store's times come from the database's clock: `now` (this node's) only paces the captions wait.
        guard try store.claimIngest(name, node: node) else { return .takenByAnotherNode }
        // Gone between the scan and the claim: another node ingested it and let its claim go.
        guard FileManager.default.fileExists(atPath: source.path) else {
            try? store.dropClaim(name)
            return .takenByAnotherNode
        }
        let sha = try ContentDigest.sha256(path: source.path)
        let folder = workspace.archive.appendingPathComponent(String(sha.prefix(16)))
        var archived = folder.appendingPathComponent(name)
        var copy = 1
        while FileManager.default.fileExists(atPath: archived.path) {
            archived = folder.appendingPathComponent("duplicate-\(copy)-\(name)")
            copy += 1
        }
        let present = ([ticketURL.lastPathComponent] + captionNames.filter { !missing.contains($0) })
            .filter { FileManager.default.fileExists(atPath: workspace.inbox.appendingPathComponent($0).path) }
        let sidecars = present.map { sidecar in
            IngestIntent.Move(inboxName: sidecar,
                              archivePath: workspace.stored(folder.appendingPathComponent(copy > 1 ? "duplicate-\(copy - 1)-\(sidecar)" : sidecar)))
        }
        let ticketJSON = try ticket.map { String(decoding: try JSONCoding.encoder().encode($0), as: UTF8.self) }
        var new = JobStore.NewJob(sourceName: UploaderFile.sentName(of: name), sourceSha256: sha, archivePath: workspace.stored(archived),
                                  template: ticket?.template ?? TemplateLibrary.defaultTemplate,
                                  priority: JobPriority(ticket?.priority), ticketJson: ticketJSON, requestId: ticket?.request)
        if let clip = ticket?.clip, clip.role == .original, let reply = clip.replyJob {
            // The camera's original after its proxy's reply: that reply's editors' cut, made from
            // these bytes; the request keeps following the reply.
            new.template = TemplateLibrary.editorsCutTemplate
            new.priority = .background
            new.parentId = reply
            new.requestId = nil
        }
        // What is about to happen is stored first: a crash during the moves below is finished
        // (or undone) by start-up reconciliation instead of stranding the clip in archive/.
        let intent = IngestIntent(inboxName: name, sha256: sha, archivePath: workspace.stored(archived), sidecars: sidecars, job: new)
        try store.recordIntent(intent)
        FailPoint.ingestAfterIntent.reached()
        let (job, created) = try carryOut(intent)
        if created { OrchestratorMetrics.recordIngest(seconds: Date().timeIntervalSince(firstSeen)) }
        if let ticketProblem { logger.warning("ticket unreadable, default template used", metadata: ["job": "\(job.id)", "reason": "\(ticketProblem)"]) }
        logger.info(created ? "queued" : "duplicate upload, no new job", metadata: ["job": "\(job.id)", "file": "\(name)", "sha256": "\(sha)"])
        return created ? .queued(jobId: job.id) : .duplicate(jobId: job.id)
    }

    /// Does what a stored intent says, skipping what is already done: moves the clip and its
    /// sidecars into archive/ (fsyncing both folders, so the moves survive a power cut), then
    /// queues the job and forgets the intent in one transaction. Safe to repeat after a crash.
    func carryOut(_ intent: IngestIntent, now: Date? = nil) throws -> (job: JobRecord, created: Bool) {
        let archived = workspace.archived(intent.archivePath)
        let folder = archived.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw OrchestratorError(subject: intent.inboxName, "cannot create its archive folder: \(error.localizedDescription)", permanent: false)
        }
        try DurableFile.syncFolder(of: folder.path)
        if !FileManager.default.fileExists(atPath: archived.path) {
            try Self.move(workspace.inbox.appendingPathComponent(intent.inboxName), to: archived)
        }
        try DurableFile.syncFolder(of: archived.path)
        try DurableFile.syncFolder(of: workspace.inbox.appendingPathComponent(intent.inboxName).path)
        FailPoint.ingestAfterArchiveMove.reached()
        for sidecar in intent.sidecars where !FileManager.default.fileExists(atPath: workspace.archived(sidecar.archivePath).path) {
            let from = workspace.inbox.appendingPathComponent(sidecar.inboxName)
            if FileManager.default.fileExists(atPath: from.path) { try? Self.move(from, to: workspace.archived(sidecar.archivePath)) }
        }
        try DurableFile.syncFolder(of: archived.path)
        try DurableFile.syncFolder(of: workspace.inbox.appendingPathComponent(intent.inboxName).path)
        FailPoint.ingestAfterSidecars.reached()
        let result = try store.completeIntent(intent, now: now)
        FailPoint.ingestAfterQueue.reached()
        return result
    }

    /// The ticket with its request's tweet, or without its request when the request is not one
    /// its camp may answer (HTTP uploads are checked when they arrive; this also holds for a ticket
    /// dropped into the inbox by hand). The tweet always comes from the request.
    func linkRequest(_ ticket: Ticket, clip: String) throws -> Ticket {
        guard let id = ticket.request else { return ticket }
        var unlinked = ticket
        unlinked.request = nil
        guard let found = try store.request(id) else {
            logger.warning("ticket names no known request; not linked", metadata: ["file": "\(clip)", "request": "\(id)"])
            return unlinked
        }
        if let camp = ticket.speaker?.camp, camp.caseInsensitiveCompare(found.camp) != .orderedSame {
            logger.warning("ticket's camp is not its request's; not linked", metadata: ["file": "\(clip)", "request": "\(id)", "camp": "\(camp)"])
            return unlinked
        }
        return ticket.answering(found)
    }

    /// rename(2): atomic, and the bytes are never rewritten.
    static func move(_ from: URL, to: URL) throws {
        guard rename(from.path, to.path) == 0 else {
            throw OrchestratorError(subject: from.lastPathComponent, "cannot move into the archive: \(String(cString: strerror(errno)))", permanent: false)
        }
    }
}
