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
    }

    public func ingest(_ name: String, firstSeen: Date = Date(), now: Date = Date()) throws -> Result {
        let source = try Workspace.child(name, of: workspace.inbox)
        let ticketURL = workspace.inbox.appendingPathComponent(InboxScanner.ticketName(for: name))
        var ticket: Ticket? = nil
        var ticketProblem: String? = nil
        if FileManager.default.fileExists(atPath: ticketURL.path) {
            do { ticket = try Ticket.load(path: ticketURL.path) } catch { ticketProblem = "\(error)" }
        }
        let captionNames = ticket?.captions?.map(\.file) ?? []
        let missing = captionNames.filter { !FileManager.default.fileExists(atPath: workspace.inbox.appendingPathComponent($0).path) }
        if !missing.isEmpty && now.timeIntervalSince(firstSeen) < captionsTimeout {
            return .waitingForCaptions(missing)
        }

        let sha = try ContentDigest.sha256(path: source.path)
        let folder = workspace.archive.appendingPathComponent(String(sha.prefix(16)))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var archived = folder.appendingPathComponent(name)
        var copy = 1
        while FileManager.default.fileExists(atPath: archived.path) {
            archived = folder.appendingPathComponent("duplicate-\(copy)-\(name)")
            copy += 1
        }
        try Self.move(source, to: archived)
        var sidecars = [ticketURL.lastPathComponent] + captionNames.filter { !missing.contains($0) }
        sidecars = sidecars.filter { FileManager.default.fileExists(atPath: workspace.inbox.appendingPathComponent($0).path) }
        for sidecar in sidecars {
            let destination = folder.appendingPathComponent(copy > 1 ? "duplicate-\(copy - 1)-\(sidecar)" : sidecar)
            try? Self.move(workspace.inbox.appendingPathComponent(sidecar), to: destination)
        }

        let templateName = ticket?.template ?? TemplateLibrary.defaultTemplate
        let ticketJSON = try ticket.map { String(decoding: try JSONOutput.encoder().encode($0), as: UTF8.self) }
        let new = JobStore.NewJob(sourceName: name, sourceSha256: sha, archivePath: archived.path, template: templateName,
                                  priority: JobPriority(ticket?.priority), ticketJson: ticketJSON)
        let (job, created) = try store.enqueue(new, now: now)
        if created { OrchestratorMetrics.recordIngest(seconds: Date().timeIntervalSince(firstSeen)) }
        if let ticketProblem { logger.warning("ticket unreadable, default template used", metadata: ["job": "\(job.id)", "reason": "\(ticketProblem)"]) }
        logger.info(created ? "queued" : "duplicate upload, no new job", metadata: ["job": "\(job.id)", "file": "\(name)", "sha256": "\(sha)"])
        return created ? .queued(jobId: job.id) : .duplicate(jobId: job.id)
    }

    /// rename(2): atomic, and the bytes are never rewritten.
    static func move(_ from: URL, to: URL) throws {
        guard rename(from.path, to.path) == 0 else {
            throw OrchestratorError(file: from.lastPathComponent, "cannot move into the archive: \(String(cString: strerror(errno)))", permanent: false)
        }
    }
}
