import Foundation
import Logging
import Transcode

/// Where attempts render and how their outputs become a job's: each attempt writes only into
/// staging/<job-id>.a<attempt>/; after the fenced commit in the store, one rename (or atomic
/// exchange, when a re-run replaces earlier outputs) makes it outbox/<job-id>/. A stale,
/// cancelled or lapsed attempt never gets past the commit, so it can never change what was published.
///
/// With several nodes on a shared workspace (NFS), an attempt may render into a folder on the
/// node's own disk (`localStaging`): its outputs are copied whole into the shared staging/ under
/// a hidden name, fsynced, renamed to staging/<job-id>.a<attempt>, and only then committed, so
/// the network carries each output once and the shared outbox still changes in one rename.
public struct Publisher: Sendable {
    public let workspace: Workspace
    let store: JobStore
    /// The node's own render folder; nil: render straight into the workspace's staging/.
    let localStaging: URL?
    let logger: Logger

    public init(workspace: Workspace, store: JobStore, localStaging: URL? = nil, logger: Logger) {
        self.workspace = workspace
        self.store = store
        self.localStaging = localStaging.map(\.standardizedFileURL).flatMap { $0 == workspace.staging.standardizedFileURL ? nil : $0 }
        self.logger = logger
    }

    /// Where an attempt renders: the node's own folder, or the shared staging/.
    func renderFolder(jobId: String, attempt: Int) throws -> URL {
        let shared = try stagingFolder(jobId: jobId, attempt: attempt)
        return localStaging?.appendingPathComponent(shared.lastPathComponent) ?? shared
    }

    /// Before the commit: a locally rendered attempt's folder is copied whole into the shared
    /// staging/ (hidden name, every file fsynced, one rename), then removed here. Nothing to do
    /// when the attempt rendered in the shared staging/ itself.
    func bringToWorkspace(jobId: String, attempt: Int) throws {
        guard localStaging != nil else { return }
        let local = try renderFolder(jobId: jobId, attempt: attempt)
        let shared = try stagingFolder(jobId: jobId, attempt: attempt)
        let copying = workspace.staging.appendingPathComponent(".copying-\(shared.lastPathComponent)-\(UUID().uuidString)")
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: copying, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: local.path) where !name.hasPrefix(".") {
                let to = copying.appendingPathComponent(name)
                try fm.copyItem(at: local.appendingPathComponent(name), to: to)
                try DurableFile.sync(path: to.path, name: name)
            }
            try DurableFile.syncFolder(of: copying.appendingPathComponent("x").path)
            if fm.fileExists(atPath: shared.path) { remove(shared) } // an earlier, interrupted copy of this attempt
            try DurableFile.moveIntoPlace(temporary: copying.path, as: shared.path)
        } catch {
            try? fm.removeItem(at: copying)
            throw OrchestratorError(subject: "staging/\(shared.lastPathComponent)", "cannot copy the rendered outputs into the shared workspace: \(error)", permanent: false)
        }
        try? fm.removeItem(at: local)
    }

    /// The attempt's own folder, emptied of anything an earlier life of the same attempt left.
    /// Earlier attempts' folders go too: holding this claim means they are over (killed, lapsed),
    /// except a published one still waiting for its rename (start-up reconciliation's).
    func prepareStaging(for claim: JobClaim) throws -> URL {
        let folder = try renderFolder(jobId: claim.job.id, attempt: claim.attempt)
        let published = try store.publishedAttempt(of: claim.job.id)
        for staging in stagingFolders {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? [] {
                if let (jobId, attempt) = Self.parse(name), jobId == claim.job.id, attempt != published || staging == localStaging {
                    remove(staging.appendingPathComponent(name))
                }
            }
        }
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw OrchestratorError(subject: folder.lastPathComponent, "cannot create the staging folder: \(error.localizedDescription)", permanent: false)
        }
        return folder
    }

    func stagingFolder(jobId: String, attempt: Int) throws -> URL {
        _ = try workspace.outbox(for: jobId) // the same check on the id
        return workspace.staging.appendingPathComponent("\(jobId).a\(attempt)")
    }

    /// Before the commit: the job's outbox folder can be put in place (nothing but an earlier
    /// outbox folder is in the way), so a commit is not followed by a rename that cannot work.
    func checkOutboxCanTakeIt(jobId: String) throws {
        let destination = try workspace.outbox(for: jobId)
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: destination.path, isDirectory: &isFolder)
        if exists && !isFolder.boolValue {
            throw OrchestratorError(subject: "outbox/\(jobId)", "cannot create the output folder: a file of that name is in the way", permanent: false)
        }
        guard access(workspace.outbox.path, W_OK) == 0 else {
            throw OrchestratorError(subject: "outbox/\(jobId)", "cannot create the output folder: outbox/ is not writable (\(String(cString: strerror(errno))))", permanent: false)
        }
    }

    /// After the store's commit named this attempt: its staging folder becomes outbox/<job-id>/,
    /// and whatever was there before is removed.
    func moveIntoOutbox(jobId: String, attempt: Int) throws {
        let staged = try stagingFolder(jobId: jobId, attempt: attempt)
        let destination = try workspace.outbox(for: jobId)
        let replacedOld = try DurableFile.replaceFolder(destination.path, with: staged.path)
        FailPoint.publishAfterRename.reached()
        if replacedOld { try? FileManager.default.removeItem(at: staged) }
    }

    /// Removes an attempt's staging folder (a failure, a stop, or a fenced-off publish).
    func discardStaging(jobId: String, attempt: Int) {
        if let folder = try? stagingFolder(jobId: jobId, attempt: attempt) { remove(folder) }
        if localStaging != nil, let folder = try? renderFolder(jobId: jobId, attempt: attempt) { remove(folder) }
    }

    /// The shared staging/, and the node's own render folder if it has one.
    private var stagingFolders: [URL] { [workspace.staging] + (localStaging.map { [$0] } ?? []) }

    /// Renamed out of the way first, then deleted: whatever else happens meanwhile under its
    /// name, a removal is never seen half-done (and never reaches into a folder renamed in).
    private func remove(_ folder: URL) {
        let doomed = folder.deletingLastPathComponent().appendingPathComponent(".removing-\(UUID().uuidString)")
        guard rename(folder.path, doomed.path) == 0 else { return }
        try? FileManager.default.removeItem(at: doomed)
    }

    /// While the service runs: removes staging folders of attempts that are neither running under
    /// a live lease nor published (a rescued attempt that then went dead, a cancelled one), and
    /// what an interrupted removal left. Publishes waiting for a rename are left to start-up.
    public func sweepStaging() throws -> Int {
        var removed = 0
        // On a shared store, publishes another node committed and never renamed (it died between
        // the commit and the rename): finished here once they are old enough to be orphans.
        if store.dialect == .postgres {
            for published in try store.publishedAttempts() where published.age >= Self.orphanedPublishAge {
                let folder = try stagingFolder(jobId: published.jobId, attempt: published.attempt)
                guard FileManager.default.fileExists(atPath: folder.path) else { continue }
                if try finishPublish(folder, jobId: published.jobId, attempt: published.attempt, sha: published.manifestSha256) { removed += 1 }
            }
        }
        for staging in stagingFolders {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? [] {
            let folder = staging.appendingPathComponent(name)
            if name.hasPrefix(".removing-") { try? FileManager.default.removeItem(at: folder); removed += 1; continue }
            // Another node's copy in progress, unless it is so old that node must have died.
            if name.hasPrefix(".copying-") {
                if Self.age(of: folder) > 3600 { try? FileManager.default.removeItem(at: folder); removed += 1 }
                continue
            }
            guard let (jobId, attempt) = Self.parse(name) else { continue }
            if try !store.isRunning(jobId: jobId, attempt: attempt), try store.publishedAttempt(of: jobId) != attempt || staging == localStaging {
                remove(folder)
                removed += 1
            }
        }
        }
        return removed
    }

    /// Seconds since a file or folder last changed.
    static func age(of url: URL) -> TimeInterval {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        return Date().timeIntervalSince(attributes?[.modificationDate] as? Date ?? Date())
    }

    /// At start-up: finishes every publish that was committed but not renamed, and removes the
    /// staging folders of attempts that are no longer running (killed renders, fenced-off ones).
    /// One folder it cannot handle is logged and left; it never stops the service starting.
    public func recover() throws -> (finished: Int, removed: Int) {
        let published = Dictionary(try store.publishedAttempts().map { ($0.jobId, ($0.attempt, $0.manifestSha256, $0.age)) }) { a, _ in a }
        var finished = 0, removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: workspace.staging.path)) ?? [] {
            let folder = workspace.staging.appendingPathComponent(name)
            do {
                guard let (jobId, attempt) = Self.parse(name) else {
                    // Another node may be copying its outputs in right now (a shared workspace).
                    if name.hasPrefix(".copying-") && Self.age(of: folder) < 3600 { continue }
                    try? FileManager.default.removeItem(at: folder); removed += 1; continue
                }
                if let (publishedAttempt, sha, age) = published[jobId], publishedAttempt == attempt {
                    // Just committed by another node on the shared store, which renames it itself.
                    if store.dialect == .postgres && age < Self.orphanedPublishAge { continue }
                    if try finishPublish(folder, jobId: jobId, attempt: attempt, sha: sha) { finished += 1 } else { removed += 1 }
                } else if try !store.isRunning(jobId: jobId, attempt: attempt) {
                    remove(folder); removed += 1
                }
            } catch {
                logger.error("could not reconcile a staging folder; left as it is", metadata: ["folder": "\(name)", "reason": "\(error)"])
            }
        }
        return (finished, removed)
    }

    /// A committed publish older than this whose folder is still in staging/ was left by a node
    /// that died between its commit and its rename (a live node renames within milliseconds).
    static let orphanedPublishAge: Double = 30

    /// A committed attempt's staging folder: renamed into outbox/ when the outbox does not have its
    /// manifest yet (true), else removed as a leftover (false).
    private func finishPublish(_ folder: URL, jobId: String, attempt: Int, sha: String) throws -> Bool {
        let outboxManifest = try workspace.outbox(for: jobId).appendingPathComponent("manifest.json").path
        let stagedManifest = folder.appendingPathComponent("manifest.json").path
        if (try? ContentDigest.sha256(path: outboxManifest)) != sha, (try? ContentDigest.sha256(path: stagedManifest)) == sha {
            try moveIntoOutbox(jobId: jobId, attempt: attempt)
            logger.warning("finished publishing a job whose rename into outbox/ was cut short", metadata: ["job": "\(jobId)", "attempt": "\(attempt)"])
            return true
        }
        remove(folder)
        return false
    }

    /// "<job-id>.a<attempt>" → its parts.
    static func parse(_ name: String) -> (String, Int)? {
        guard let dot = name.range(of: ".a", options: .backwards), let attempt = Int(name[dot.upperBound...]), attempt > 0 else { return nil }
        let jobId = String(name[..<dot.lowerBound])
        return TemplateLibrary.isValidName(jobId) ? (jobId, attempt) : nil
    }
}
