import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Transcode

/// Starts the reply render of a streamable upload that declared its length (a phone's proxy, or
/// any fragmented MP4 or WebM sent with `duration`) as soon as its first fragments are in, in a
/// render child that reads the upload as it grows (GrowingFile), so the reply is ready moments after the last byte
/// instead of a whole render later. The upload still becomes a job as any other: the job takes
/// the reply over when it was made from the same bytes for the same render (JobExecutor+Arriving),
/// and renders it itself otherwise. Anything that goes wrong here (a stall, an abandoned upload,
/// a phone that declared the wrong length, a crash) costs nothing but the head start: nothing is
/// counted against the job, and the job renders as usual.
public struct ArrivingRenderService: Service {
    let workspace: Workspace
    let templates: TemplateLibrary
    let render: WorkerService.RenderLimits
    let node: String
    /// Renders at once on this node (each is a render child).
    let limit: Int
    /// Seconds without a new byte after which a render gives up (the job renders later if the upload ends).
    let stallSeconds: Double
    /// Folders of arriving renders are removed this long after they were last touched.
    let retention: TimeInterval
    let logger: Logger

    /// Enough of the stream for its header and first fragment.
    static let firstBytes: Int64 = 64 << 10

    public init(workspace: Workspace, templates: TemplateLibrary, render: WorkerService.RenderLimits, node: String, limit: Int = 1,
                stallSeconds: Double = 120, retention: TimeInterval = 12 * 3600, logger: Logger) {
        (self.workspace, self.templates, self.render, self.node) = (workspace, templates, render, node)
        (self.limit, self.stallSeconds, self.retention, self.logger) = (max(0, limit), stallSeconds, retention, logger)
    }

    public func run() async throws {
        let running = Counter()
        var lastSweep = Date.distantPast
        await withDiscardingTaskGroup { group in
            await periodically(every: 0.5) {
                if Date().timeIntervalSince(lastSweep) > 600 {
                    lastSweep = Date()
                    await sweep()
                }
                guard running.value < limit else { return }
                for start in await startable(atMost: limit - running.value) {
                    running.add(1)
                    let service = self
                    group.addTask {
                        await service.renderWhileArriving(start)
                        running.add(-1)
                    }
                }
            }
        }
    }

    /// Renders under way on this node.
    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
        func add(_ n: Int) { count.add(n, ordering: .relaxed) }
    }

    /// An upload to render while it arrives, taken by this node.
    struct Start: Sendable {
        let upload: ResumableUpload
        let folder: ArrivingRender
        let template: JobTemplate
        let declaredDuration: Double
    }

    /// Uploads that declared their length and whose first fragments are in, that no node has taken
    /// yet, taken now (at most as many as this node may still start). An original following its
    /// proxy makes no reply.
    private func startable(atMost limit: Int) async -> [Start] {
        let (workspace, templates, node, logger) = (self.workspace, self.templates, self.node, self.logger)
        return (try? await BlockingWork.run { () -> [Start] in
            let uploads = UploadFolder(workspace: workspace)
            var starts: [Start] = []
            for id in uploads.all() where starts.count < limit {
                guard !FileManager.default.fileExists(atPath: workspace.arriving.appendingPathComponent(id).path),
                      let upload = try? uploads.load(id), !upload.completed,
                      upload.destination.clipRole != .original, let declared = upload.destination.ticket.arrival?.declaredDuration,
                      (upload.acknowledged ?? 0) >= Self.firstBytes else { continue }
                let folder = ArrivingRender(workspace: workspace, upload: id)
                guard folder.take() else { continue }
                do {
                    try folder.markClaimed(by: node)
                    if let reason = Self.reasonNotToStart(upload, uploads: uploads) { folder.recordFailure(reason); continue }
                    let template = try templates.load(upload.destination.ticket.template ?? TemplateLibrary.defaultTemplate)
                    guard template.outputs.contains(.reply) else { folder.recordFailure("its template makes no reply"); continue }
                    starts.append(Start(upload: upload, folder: folder, template: template, declaredDuration: declared))
                } catch {
                    folder.recordFailure("\(error)")
                    logger.warning("could not start rendering an upload as it arrives", metadata: ["upload": "\(id)", "reason": "\(error)"])
                }
            }
            return starts
        }) ?? []
    }

    /// Why an upload is rendered only once whole: its index is at its end (a camera's MP4), or it
    /// names caption files (they arrive beside it, later).
    static func reasonNotToStart(_ upload: ResumableUpload, uploads: UploadFolder) -> String? { // blocking: called off the cooperative pool
        if !(upload.destination.ticket.captions ?? []).isEmpty { return "its captions arrive as files of their own" }
        guard let handle = FileHandle(forReadingAtPath: uploads.dataPath(upload.id)) else { return "its bytes are gone" }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: Int(firstBytes))) ?? Data()
        return StreamableLayout(head).isStreamable ? nil : "it is not a stream (its index is at its end)"
    }

    private func renderWhileArriving(_ start: Start) async {
        let id = start.upload.id
        var logger = self.logger
        logger[metadataKey: "upload"] = "\(id)"
        let assignment = RenderAssignment(
            jobId: "arriving-\(id)", attempt: 0, input: UploadFolder(workspace: workspace).dataPath(id), stagingFolder: start.folder.render.path,
            ticketJson: String(decoding: (try? JSONCoding.encoder().encode(start.upload.destination.ticket)) ?? Data(), as: UTF8.self),
            template: start.template.name, templatesFolder: templates.overrides?.path, trim: start.upload.destination.ticket.trim,
            onlyOutputs: start.template.outputs.filter { $0 != .bts }, captionsFolder: start.folder.folder.path, sourceSha256: nil,
            memoryCapMegabytes: render.memoryMB,
            arrival: .init(recordPath: UploadFolder(workspace: workspace).infoPath(id), declaredDuration: start.declaredDuration, stallSeconds: stallSeconds))
        logger.info("rendering the reply while the upload arrives", metadata: ["file": "\(start.upload.destination.fileName)"])
        let started = Date()
        let cancellation = CancellationFlag()
        let alive = Task { [folder = start.folder] in
            while !Task.isCancelled { folder.touch(); try? await Task.sleep(for: .seconds(5)) }
        }
        // A child waiting for bytes uses no CPU: it is called hung only well after its own stall limit.
        let child = RenderChildSupervisor(executable: render.executable, stallTimeout: stallSeconds + 60)
        let outcome = await withTaskCancellationHandler {
            await onOwnThread(named: "arriving \(id.prefix(8))") { child.run(assignment, cancellation: cancellation) { _, _ in } }
        } onCancel: { cancellation.cancel() }
        alive.cancel()
        switch outcome {
        case .succeeded:
            logger.info("reply rendered while the upload arrived", metadata: ["seconds": "\(String(format: "%.1f", Date().timeIntervalSince(started)))"])
        case .failed(let reason, _), .died(_, let reason):
            start.folder.recordFailure(reason)
            logger.notice("rendering while the upload arrives ended; the job will render it once whole", metadata: ["reason": "\(reason)"])
        case .stopped:
            start.folder.recordFailure("stopped")
        }
    }

    /// Removes arriving renders nobody touched for `retention` (their jobs took them over or rendered their own).
    private func sweep() async {
        let (arriving, retention) = (workspace.arriving, self.retention)
        _ = try? await BlockingWork.run {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: arriving.path)) ?? [] where ResumableUpload.isValidId(name) {
                let folder = ArrivingRender(folder: arriving.appendingPathComponent(name))
                let touched = ((try? FileManager.default.attributesOfItem(atPath: folder.claim.path))?[.modificationDate] as? Date)
                    ?? ((try? FileManager.default.attributesOfItem(atPath: folder.folder.path))?[.modificationDate] as? Date) ?? .distantPast
                if Date().timeIntervalSince(touched) > retention && !folder.isRendering() { try? FileManager.default.removeItem(at: folder.folder) }
            }
        }
    }
}

/// Whether a file's first bytes are those of a stream that can be read as it arrives: Matroska
/// or WebM (EBML), or a fragmented MP4 (its movie box announces fragments, mvex, before any media data).
struct StreamableLayout {
    let isStreamable: Bool

    init(_ head: Data) {
        let bytes = [UInt8](head)
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { isStreamable = true; return }
        // Top-level boxes: ftyp, then moov (with mvex inside) before the first mdat.
        var at = 0
        var fragmented = false
        while at + 8 <= bytes.count {
            let size = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            if type == "moov" {
                let end = size >= 8 ? min(bytes.count, at + size) : bytes.count
                fragmented = Self.contains(bytes[at..<end], "mvex")
                break
            }
            if type == "mdat" || size < 8 { break }
            at += size
        }
        isStreamable = fragmented
    }

    private static func contains(_ bytes: ArraySlice<UInt8>, _ word: String) -> Bool {
        let needle = Array(word.utf8)
        guard bytes.count >= needle.count else { return false }
        var i = bytes.startIndex
        while i + needle.count <= bytes.endIndex {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle { return true }
            i += 1
        }
        return false
    }
}
