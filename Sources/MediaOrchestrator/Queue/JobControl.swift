import Foundation
import Transcode

/// What producers and editors do to jobs, shared by `mediaorch jobs` and the HTTP API so both
/// check and act the same way.
public struct JobControl: Sendable {
    public let workspace: Workspace
    public let store: JobStore

    public init(workspace: Workspace, store: JobStore) {
        self.workspace = workspace
        self.store = store
    }

    /// A corrected caption file for a retry: it replaces the archived file of the same name.
    public struct CaptionReplacement: Sendable {
        public var name: String
        public var data: Data
        public init(name: String, data: Data) {
            self.name = name
            self.data = data
        }
    }

    /// Queues a finished job again, optionally with corrected captions and a new trim. A broken
    /// caption file is refused before anything changes, with the line at fault.
    public func retry(_ id: String, captions: [CaptionReplacement] = [], trimStart: Double? = nil, trimEnd: Double? = nil) throws {
        let job = try store.requireJob(id)
        try checkTrim(start: trimStart, end: trimEnd)
        let folder = workspace.archived(job.archivePath).deletingLastPathComponent()
        var destinations: [(URL, Data)] = []
        let ticketNames = (try? job.decodedTicket())??.captions?.map(\.file) ?? []
        for caption in captions {
            // A file the ticket does not name would never be read: say so instead of storing it.
            guard ticketNames.contains(caption.name) else {
                throw OrchestratorError(subject: caption.name, ticketNames.isEmpty
                    ? "this job's ticket names no caption files to replace"
                    : "is not one of the ticket's caption files (\(ticketNames.joined(separator: ", ")))")
            }
            guard !caption.name.hasPrefix("."), ["srt", "vtt"].contains(URL(fileURLWithPath: caption.name).pathExtension.lowercased()) else {
                throw OrchestratorError(subject: caption.name, "a captions file is a plain .srt or .vtt file name")
            }
            _ = try CaptionFile.parse(caption.data, name: caption.name)
            destinations.append((try Workspace.child(caption.name, of: folder), caption.data))
        }
        for (destination, data) in destinations {
            try DurableFile.write(data, to: destination.path) // beside the original; the original itself is never touched
        }
        let trim = (trimStart != nil || trimEnd != nil) ? (start: trimStart, end: trimEnd) : nil
        try store.retry(id, trim: trim)
    }

    public func cancel(_ id: String) throws {
        try store.cancel(id)
    }

    /// The command centre posted a ready reply at `url`: the store (the job and its request)
    /// first, then the outbox's manifest says so too, with how consent stood. Saying it again
    /// repairs a manifest a crash left without it. `consentOverride`: an admin's reason to post
    /// without recorded consent (JobStore.markPosted).
    public func markPosted(_ id: String, url: String, by poster: String, consentOverride: String? = nil) throws -> JobRecord {
        let job = try store.markPosted(id, url: url, by: poster, consentOverride: consentOverride)
        guard let postedUrl = job.postedUrl, let postedAt = job.postedAt else { return job }
        let path = try workspace.outbox(for: id).appendingPathComponent("manifest.json").path
        guard let data = FileManager.default.contents(atPath: path), var manifest = try? JSONCoding.decoder().decode(Manifest.self, from: data) else {
            return job // no manifest to note it in (an outbox emptied by hand); the store has it
        }
        // Fenced like a publish: only the manifest the store says was published is rewritten.
        let published = ContentDigest.sha256(bytes: data)
        let posted = Manifest.Posted(url: postedUrl, by: job.postedBy ?? poster, at: Date(timeIntervalSince1970: postedAt),
                                     consent: Self.consent(of: job))
        guard manifest.posted != posted else { return job }
        manifest.posted = posted
        let rewritten = try JSONCoding.encoder().encode(manifest)
        guard job.manifestSha256 == nil || job.manifestSha256 == published else { return job }
        try DurableFile.write(rewritten, to: path)
        try store.noteManifestRewritten(id, from: published, to: ContentDigest.sha256(bytes: rewritten))
        return try store.requireJob(id)
    }

    /// How the speaker's consent stood for a posted job, as its manifest records it.
    static func consent(of job: JobRecord) -> Manifest.Consent {
        if let reason = job.consentOverrideReason {
            return Manifest.Consent(source: .adminOverride, by: job.consentOverrideBy, at: job.postedAt.map(Date.init(timeIntervalSince1970:)), reason: reason)
        }
        if let added = job.consentAddedAt {
            return Manifest.Consent(source: .addedLater, by: job.consentAddedBy, at: Date(timeIntervalSince1970: added))
        }
        return Manifest.Consent(source: .ticket)
    }

    /// An editor's behind-the-scenes cut of the job's archived original between `start` and `end`
    /// (the end when nil), with the ticket's burned-in captions or without. The same cut asked
    /// twice is one job. Editors' cuts queue behind every reply.
    public func requestCut(of id: String, start: Double, end: Double?, captions: Bool) throws -> (job: JobRecord, created: Bool) {
        let job = try store.requireJob(id)
        try checkTrim(start: start, end: end)
        guard FileManager.default.fileExists(atPath: workspace.archived(job.archivePath).path) else {
            throw OrchestratorError(subject: job.sourceName, "the archived original is missing from \(workspace.archived(job.archivePath).path)", permanent: false)
        }
        let new = JobStore.NewJob(sourceName: job.sourceName, sourceSha256: job.sourceSha256, archivePath: job.archivePath,
                                  template: captions ? "bts-cut-captioned" : "bts-cut", priority: .background,
                                  ticketJson: job.ticketJson, parentId: job.id, trim: Trim(start: start, end: end))
        return try store.enqueue(new)
    }

    /// A reply made from a phone's proxy, made again from the camera's original once that is in
    /// (a producer who wants the sharper picture): a new reply job of the same template, which its
    /// request follows from now on. Refused, with a code, for a reply not made from a proxy, one
    /// already posted, or one whose original has not arrived.
    public func remakeFromOriginal(_ id: String) throws -> (job: JobRecord, created: Bool) {
        let reply = try store.requireJob(id)
        guard reply.parentId == nil, var ticket = try reply.decodedTicket(), let clip = ticket.clip, clip.role == .proxy else {
            throw OrchestratorError(subject: id, "was not made from a phone's proxy: it is made from the original already", kind: .conflict).coded("not-from-proxy")
        }
        guard reply.postedUrl == nil else {
            throw OrchestratorError(subject: id, "is posted already: a reply made again would answer the tweet twice", kind: .conflict).coded("already-posted")
        }
        let cuts = try store.list(JobFilter(template: TemplateLibrary.editorsCutTemplate, camp: ticket.speaker?.camp, limit: 1000))
        guard let original = cuts.first(where: { $0.parentId == id && ((try? $0.decodedTicket())??.clip).map { $0.role == .original && $0.id == clip.id } == true }),
              FileManager.default.fileExists(atPath: workspace.archived(original.archivePath).path) else {
            throw OrchestratorError(subject: id, "its original has not arrived yet: it is made again once the phone sends it", kind: .conflict).coded("original-not-in")
        }
        ticket.clip = Ticket.Clip(id: clip.id, role: .original, replyJob: id)
        let new = JobStore.NewJob(sourceName: original.sourceName, sourceSha256: original.sourceSha256, archivePath: original.archivePath,
                                  template: reply.template, priority: .realtime,
                                  ticketJson: String(decoding: try JSONCoding.encoder().encode(ticket), as: UTF8.self), requestId: ticket.request)
        return try store.enqueueFollowed(new)
    }

    /// No phone clip runs a day; a larger time is a typing slip (or an attack on the job id).
    static let longestClip: Double = 24 * 3600

    private func checkTrim(start: Double?, end: Double?) throws {
        if let start, !(start.isFinite && start >= 0 && start < Self.longestClip) {
            throw OrchestratorError(subject: "trim", "the in point must be between 0 s and 24 h, not \(start)")
        }
        if let end, !(end.isFinite && end > (start ?? 0) && end <= Self.longestClip) {
            throw OrchestratorError(subject: "trim", "the out point (\(end) s) must come after the in point (\(start ?? 0) s) and within 24 h")
        }
    }
}
