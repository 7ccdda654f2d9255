import Foundation
import Logging
import ServiceLifecycle

/// Every minute (and at start-up): finishes the hand-off of any upload that is whole but never
/// reached the inbox, and removes uploads past their expiry or whose token was revoked:
/// unfinished ones nobody resumed or can resume (their request opens again for its camp), and
/// the records of whole ones, kept until then so a client that lost the last answer learns from
/// HEAD that the clip arrived.
public struct UploadSweepService: Service {
    let workspace: Workspace
    let store: JobStore
    let interval: TimeInterval
    /// Only the leader sweeps (nil: this process is the only one on its workspace).
    let leadership: Leadership?
    let logger: Logger

    public init(workspace: Workspace, store: JobStore, interval: TimeInterval = 60, leadership: Leadership? = nil, logger: Logger) {
        self.workspace = workspace
        self.leadership = leadership
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await periodically(every: interval) {
            let removed = leadership?.isLeader ?? true ? await Self.sweep(UploadFolder(workspace: workspace), store: store, logger: logger) : 0
            if removed > 0 { logger.info("removed expired uploads", metadata: ["count": "\(removed)"]) }
        }
    }

    static func sweep(_ uploads: UploadFolder, store: JobStore, now: Date = Date(), logger: Logger) async -> Int {
        var removed = 0
        for id in (try? await BlockingWork.run { uploads.all() }) ?? [] {
            do {
                guard let recorded = try await BlockingWork.run({ try uploads.load(id) }) else { continue }
                // Whole but never handed over (the process died in the hand-off): finish it.
                let upload = try await uploads.settle(recorded, wait: 0)
                if upload.completed && !recorded.completed {
                    logger.notice("finished handing a whole upload to the inbox", metadata: ["upload": "\(id)", "file": "\(upload.handingOffAs ?? "")"])
                    continue
                }
                // An unfinished upload whose token was revoked can never go on (its maker cannot
                // reach it, nobody else may): it ends now and gives its request back.
                var revoked = false
                if !upload.completed, let uploader = upload.uploader {
                    revoked = try await BlockingWork.run { try !store.tokenExists(id: uploader) }
                }
                guard upload.expiresAt < now.timeIntervalSince1970 || revoked else { continue }
                if !upload.completed {
                    // One being written right now is not expired, whatever its record says.
                    let hasBytes = try await BlockingWork.run { FileManager.default.fileExists(atPath: uploads.dataPath(id)) }
                    let lock = hasBytes ? try await uploads.lock(id, wait: 0) : nil
                    if hasBytes && lock == nil { continue }
                    defer { lock?.release() }
                    try await BlockingWork.run { uploads.remove(id, uploader: upload.uploader) }
                    if let request = upload.destination.request { try await BlockingWork.run { try store.releaseRequest(request, fromUpload: id) } }
                    logger.notice(revoked ? "unfinished upload ended: its token was revoked" : "unfinished upload expired",
                                  metadata: ["upload": "\(id)", "file": "\(upload.destination.fileName)", "by": "\(upload.createdBy)"])
                } else {
                    try await BlockingWork.run { uploads.remove(id, uploader: upload.uploader) }
                }
                removed += 1
            } catch {
                logger.warning("upload sweep: could not look at an upload; trying again later", metadata: ["upload": "\(id)", "reason": "\(error)"])
            }
        }
        return removed
    }
}
