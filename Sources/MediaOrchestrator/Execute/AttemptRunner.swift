import Foundation
import Synchronization
import Logging
import Transcode

/// Runs one claimed attempt to its recorded end: renders it in a child process into the
/// attempt's staging folder while renewing the lease, then hands it to the Publisher (one
/// fenced commit and a rename), or records the failure. Store errors while recording are retried (the fence
/// makes a repeat harmless), never turned into a failed try.
struct AttemptRunner: Sendable {
    let workspace: Workspace
    let store: JobStore
    let templates: TemplateLibrary
    let publisher: Publisher
    let renderChild: RenderChildSupervisor
    let lease: TimeInterval
    /// The render child's memory cap, MiB; nil for none.
    let memoryCapMegabytes: Int?
    /// Where progress goes for the dashboard; nil when nobody watches.
    let activity: JobActivity?
    /// Below its floor, the render is stopped and the job released (not failed) to wait for space.
    let disk: DiskSpaceGuard?
    /// How long an attempt waits for the reply being rendered while its upload arrived to finish.
    var arrivingWait: TimeInterval = 120

    func run(_ claim: JobClaim, logger: Logger) async {
        var logger = logger
        logger[metadataKey: "job"] = "\(claim.job.id)"
        logger[metadataKey: "attempt"] = "\(claim.attempt)"
        FailPoint.claimAfterClaim.reached()
        logger.info("started", metadata: ["template": "\(claim.job.template)", "source": "\(claim.job.sourceName)"])
        let cancellation = CancellationFlag()
        let diskLow = Atomic<Bool>(false)
        activity?.started(job: claim.job.id, attempt: claim.attempt, flag: cancellation)
        defer { activity?.ended(job: claim.job.id, attempt: claim.attempt) }
        // Renews the lease until the outcome is recorded (publishing too needs a live lease).
        let heartbeat = Task { [store, lease, disk] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(lease / 3))
                if Task.isCancelled { break }
                if let disk, disk.isLowOrUnreachable, !cancellation.isCancelled {
                    // A lost workspace is no fault of the job's: a plain release, counted nowhere.
                    let lost = disk.isUnreachable
                    logger.warning(lost ? "workspace unreachable: stopping the render and releasing the job"
                                        : "disk space low: stopping the render and releasing the job", metadata: ["disk": "\(disk.summary)"])
                    if !lost { diskLow.store(true, ordering: .relaxed) }
                    cancellation.cancel()
                }
                // A store hiccup is not a lost lease: the next heartbeat tries again.
                let alive = (try? await BlockingWork.run { try store.renew(claim, lease: lease) }) ?? true
                if !alive {
                    logger.warning("lease lost or job cancelled: stopping the render")
                    cancellation.cancel()
                    break
                }
            }
        }
        defer { heartbeat.cancel() }
        let started = Date()
        let outcome: RenderChildSupervisor.Outcome
        do {
            let arrived = await arrivingRender(of: claim.job, cancellation: cancellation, logger: logger)
            var made = try await BlockingWork.run { [self] in try makeAssignment(claim) }
            made.takeOverFrom = arrived?.folder.path
            let assignment = made
            let child = renderChild
            let activity = self.activity
            let jobId = claim.job.id
            // Cancelling this task (a release at shutdown) stops the child.
            outcome = await withTaskCancellationHandler {
                await onOwnThread(named: "render \(jobId)") {
                    child.run(assignment, cancellation: cancellation) { stage, progress in
                        activity?.report(job: jobId, stage: stage, progress)
                    }
                }
            } onCancel: {
                cancellation.cancel()
            }
        } catch {
            outcome = .failed(reason: "\(error)", permanent: isPermanentFailure(error))
        }
        // Recorded in a task of its own: a shutdown that cancelled the render must not also
        // cancel writing down how it ended (the release would be lost and cost a try later).
        let seconds = Date().timeIntervalSince(started)
        let stoppedForDisk = diskLow.load(ordering: .relaxed)
        await Task { await record(outcome, of: claim, seconds: seconds, stoppedForDisk: stoppedForDisk, logger: logger) }.value
    }

    /// The render of this job's reply made while its upload arrived, once finished: waited for
    /// while it is still going (the last bytes just came, its last frames are being encoded), for at
    /// most `arrivingWait`. nil when there is none to take over; the job then renders its own.
    private func arrivingRender(of job: JobRecord, cancellation: CancellationFlag, logger: Logger) async -> ArrivingRender? {
        guard job.parentId == nil, let ticket = (try? job.decodedTicket()) ?? nil, ticket.clip?.role != .original,
              let upload = ticket.arrival?.upload, ticket.arrival?.declaredDuration != nil else { return nil }
        let render = ArrivingRender(workspace: workspace, upload: upload)
        let deadline = Date().addingTimeInterval(arrivingWait)
        while !cancellation.isCancelled, Date() < deadline, (try? await BlockingWork.run { render.isRendering() }) == true {
            try? await Task.sleep(for: .milliseconds(100))
        }
        let done = (try? await BlockingWork.run { render.finished() }) ?? nil
        if done != nil { logger.info("taking over the reply rendered while the upload arrived", metadata: ["upload": "\(upload)"]) }
        return done == nil ? nil : render
    }

    private func makeAssignment(_ claim: JobClaim) throws -> RenderAssignment {
        let job = claim.job
        var ticketJson = job.ticketJson
        if job.parentId != nil, var ticket = try job.decodedTicket() {
            ticket.trim = nil // a reply's editors' cut is the whole clip
            ticketJson = String(decoding: try JSONCoding.encoder().encode(ticket), as: UTF8.self)
        }
        let template = try templates.load(job.template)
        try publisher.checkOutboxCanTakeIt(jobId: job.id) // fail fast, before minutes of rendering
        let staging = try publisher.prepareStaging(for: claim)
        // The editors' cut of a reply job is its own lower-priority job: a reply never waits behind it.
        let only = template.outputs.contains(.reply) ? template.outputs.filter { $0 != .bts } : nil
        let trim = job.trimStart != nil || job.trimEnd != nil ? Trim(start: job.trimStart ?? 0, end: job.trimEnd) : nil
        let original = workspace.archived(job.archivePath)
        return RenderAssignment(jobId: job.id, attempt: claim.attempt, input: original.path, stagingFolder: staging.path,
                                ticketJson: ticketJson, template: job.template, templatesFolder: templates.overrides?.path, trim: trim,
                                onlyOutputs: only, captionsFolder: original.deletingLastPathComponent().path,
                                sourceSha256: job.sourceSha256, memoryCapMegabytes: memoryCapMegabytes)
    }

    private func record(_ outcome: RenderChildSupervisor.Outcome, of claim: JobClaim, seconds: Double, stoppedForDisk: Bool, logger: Logger) async {
        let template = claim.job.template
        switch outcome {
        case .succeeded(let sha, let ready, let stages):
            switch await publisher.publish(claim: claim, manifestSha256: sha, editorsCut: editorsCut(after: claim), logger: logger) {
            case .notPublishable(let reason):
                await recordFailure(claim, reason: reason, permanent: false, kind: "transient", seconds: seconds, logger: logger)
            case .fencedOff:
                logger.warning("finished, but the attempt was cancelled, superseded or its lease lapsed meanwhile: its outputs are discarded")
            case .published:
                OrchestratorMetrics.recordJob(template: template, outcome: "succeeded", seconds: seconds)
                OrchestratorMetrics.recordStages(stages)
                logger.info("succeeded", metadata: ["seconds": "\(String(format: "%.1f", seconds))", "ready_to_post": "\(ready)"])
            }
        case .failed(let reason, let permanent):
            await recordFailure(claim, reason: reason, permanent: permanent, kind: permanent ? "bad_input" : "transient", seconds: seconds, logger: logger)
        case .died(let failure, let reason):
            await recordFailure(claim, reason: reason, permanent: false, kind: failure.rawValue, seconds: seconds, logger: logger)
        case .stopped:
            if stoppedForDisk {
                // A render whose own outputs fill the disk would be released and claimed again for
                // ever: the third time, it counts as a failed try.
                let earlier = (try? await BlockingWork.run { [store] in try store.diskReleases(of: claim.job.id) }) ?? 0
                if earlier >= 2 {
                    let reason = "the disk fell below its free-space floor during this render \(earlier + 1) times: its outputs may not fit (\(disk?.summary ?? ""))"
                    await recordFailure(claim, reason: reason, permanent: false, kind: "disk", seconds: seconds, logger: logger)
                    return
                }
            }
            // A release puts the job back untouched; after a producer's cancel or a lost lease
            // the fence refuses it, which is right: someone else owns the job now.
            let released = await retryingStoreErrors(logger) { try store.finish(claim, stoppedForDisk ? .releasedForDiskSpace : .released) }
            logger.info(released == true ? "released for another worker" : "stopped: cancelled, or its lease was lost")
            await discardStaging(claim)
        }
    }

    private func recordFailure(_ claim: JobClaim, reason: String, permanent: Bool, kind: String, seconds: Double, logger: Logger) async {
        OrchestratorMetrics.recordJob(template: claim.job.template, outcome: "failed", seconds: seconds)
        OrchestratorMetrics.recordFailedTry(kind: kind)
        logger.error("failed", metadata: ["reason": "\(reason)", "permanent": "\(permanent)"])
        let recorded = await retryingStoreErrors(logger) { try store.finish(claim, .failed(reason: reason, permanent: permanent)) }
        if recorded == false { logger.warning("outcome not recorded: the job was rescued, re-claimed or cancelled meanwhile") }
        FailPoint.finishAfterFailure.reached()
        await discardStaging(claim)
    }

    private func discardStaging(_ claim: JobClaim) async {
        _ = try? await BlockingWork.run { [publisher] in publisher.discardStaging(jobId: claim.job.id, attempt: claim.attempt) }
    }

    /// Once a reply is published, its bts cut is queued as its own background job (in the same
    /// commit). Not for a reply made from a phone's proxy: its editors' cut is made from the
    /// camera's original when that arrives (Ingestor), never from the proxy.
    private func editorsCut(after claim: JobClaim) -> JobStore.NewJob? {
        guard claim.job.parentId == nil, let template = try? templates.load(claim.job.template),
              template.outputs.contains(.reply), template.outputs.contains(.bts) else { return nil }
        // A proxy's editors' cut comes from its original; a reply made again from the original
        // (replyJob set) has that cut already.
        if let clip = (try? claim.job.decodedTicket())??.clip, clip.role == .proxy || clip.replyJob != nil { return nil }
        return JobStore.NewJob(sourceName: claim.job.sourceName, sourceSha256: claim.job.sourceSha256, archivePath: claim.job.archivePath,
                               template: TemplateLibrary.editorsCutTemplate, priority: .background, ticketJson: claim.job.ticketJson, parentId: claim.job.id)
    }
}

/// Runs long blocking work (a render child's pipe, for minutes) on a thread of its own, so the
/// cooperative pool that serves HTTP and heartbeats never blocks and the blocking-work pool stays free.
func onOwnThread<T: Sendable>(named name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
