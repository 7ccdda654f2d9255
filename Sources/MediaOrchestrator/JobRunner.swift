import Foundation
import Logging
import Transcode

/// Runs one claimed job: its template's outputs into outbox/<job-id>/ (manifest last), on a
/// thread of its own (libav blocks; the cooperative pool stays free), renewing the lease while it
/// works and stopping between packets if the lease is lost or the job is cancelled.
struct JobRunner: Sendable {
    let workspace: Workspace
    let store: JobStore
    let templates: TemplateLibrary
    let lease: TimeInterval
    /// Where progress goes for the dashboard; nil when nobody watches.
    let activity: JobActivity?

    func run(_ claim: JobClaim, logger: Logger) async -> JobStore.Outcome {
        var logger = logger
        logger[metadataKey: "job"] = "\(claim.job.id)"
        logger[metadataKey: "attempt"] = "\(claim.attempt)"
        logger.info("started", metadata: ["template": "\(claim.job.template)", "source": "\(claim.job.sourceName)"])
        let cancellation = CancellationFlag()
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(lease / 3))
                if Task.isCancelled { break }
                let alive = (try? store.renew(claim, lease: lease)) ?? false
                if !alive {
                    logger.warning("lease lost or job cancelled: stopping")
                    cancellation.cancel()
                    break
                }
            }
        }
        defer { heartbeat.cancel() }
        let started = Date()
        // Cancelling this task (a release at shutdown) stops the render between packets.
        let result: Result<Manifest, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: Result { try makeJob(claim, cancellation: cancellation).run() })
                }
                thread.name = "job \(claim.job.id)"
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
        let seconds = Date().timeIntervalSince(started)
        switch result {
        case .success(let manifest):
            OrchestratorMetrics.recordJob(template: claim.job.template, outcome: "succeeded", seconds: seconds)
            OrchestratorMetrics.recordStages(manifest.stageSeconds)
            logger.info("succeeded", metadata: ["seconds": "\(String(format: "%.1f", seconds))",
                                                "ready_to_post": "\(manifest.readyToPost)"])
            queueEditorsCut(after: claim, logger: logger)
            return .succeeded
        case .failure(let error):
            let permanent = isPermanentFailure(error)
            OrchestratorMetrics.recordJob(template: claim.job.template, outcome: "failed", seconds: seconds)
            logger.error("failed", metadata: ["reason": "\(error)", "permanent": "\(permanent)"])
            if (error as? TranscodeError)?.kind == .cancelled { return .failed(reason: "stopped: lease lost or cancelled", permanent: false) }
            return .failed(reason: "\(error)", permanent: permanent)
        }
    }

    private func makeJob(_ claim: JobClaim, cancellation: CancellationFlag) throws -> SingleJob {
        let job = claim.job
        var ticket = try job.decodedTicket()
        if job.parentId != nil { ticket?.trim = nil } // a reply's editors' cut is the whole clip
        let template = try templates.load(job.template)
        let folder = try workspace.outbox(for: job.id)
        // A new attempt first withdraws any earlier manifest ("ready" must never describe other
        // files) and clears what a killed attempt left half-written (its hidden temporary names).
        unlink(folder.appendingPathComponent("manifest.json").path)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(".") && name.contains(".partial-") {
            unlink(folder.appendingPathComponent(name).path)
        }
        var single = SingleJob(input: job.archivePath, outputFolder: folder.path, ticket: ticket, template: template)
        single.captionsFolder = URL(fileURLWithPath: job.archivePath).deletingLastPathComponent().path
        single.cancellation = cancellation
        single.jobId = job.id
        if let activity {
            single.progress = { @Sendable stage, progress in activity.report(job: job.id, stage: stage, progress) }
        }
        single.sourceSha256 = job.sourceSha256
        if job.trimStart != nil || job.trimEnd != nil { single.trim = Trim(start: job.trimStart ?? 0, end: job.trimEnd) }
        if template.outputs.contains(.reply) {
            // The editors' cut of a reply job is its own lower-priority job: a reply never waits behind it.
            single.onlyOutputs = template.outputs.filter { $0 != .bts }
        }
        return single
    }

    /// Once a reply's manifest is written, its bts cut is queued as its own background job.
    private func queueEditorsCut(after claim: JobClaim, logger: Logger) {
        guard claim.job.parentId == nil, let template = try? templates.load(claim.job.template),
              template.outputs.contains(.reply), template.outputs.contains(.bts) else { return }
        let new = JobStore.NewJob(sourceName: claim.job.sourceName, sourceSha256: claim.job.sourceSha256, archivePath: claim.job.archivePath,
                                  template: "bts-cut", priority: .background, ticketJson: claim.job.ticketJson, parentId: claim.job.id)
        if let (job, created) = try? store.enqueue(new), created {
            logger.info("queued the editors' cut", metadata: ["bts_job": "\(job.id)"])
        }
    }
}
