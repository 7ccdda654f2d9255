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
