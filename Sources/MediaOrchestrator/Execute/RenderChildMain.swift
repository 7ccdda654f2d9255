import Dispatch
import Foundation
import Logging
import Synchronization
import Transcode

/// The render child's side of an attempt (`mediaorch render-attempt`): reads its assignment from
/// standard input, caps its own memory, renders every output into the staging folder with libav
/// in this process, and reports progress and the outcome as JSON lines on standard output. If
/// libav crashes or the process runs out of memory, only this process dies; the service sees the
/// signal and records it.
public enum RenderChildMain {
    /// Runs the attempt; the return value is the exit status (0 once an outcome was reported).
    public static func run() -> Int32 {
        let channel = MessageChannel(fd: STDOUT_FILENO)
        let input = FileHandle.standardInput.readDataToEndOfFile()
        if let parent = ProcessInfo.processInfo.environment["MEDIAORCH_RENDER_PARENT"].flatMap(Int32.init) {
            ChildProcessLifetime.endWithParent(startedBy: parent)
        }
        let assignment: RenderAssignment
        do {
            assignment = try JSONCoding.decoder().decode(RenderAssignment.self, from: input)
        } catch {
            channel.send(.failed(reason: "render-attempt: unreadable assignment on standard input: \(error)", permanent: false, cancelled: false, peakDataKB: nil))
            return 2
        }
        var logger = Logger(label: "mediaorch.render")
        logger[metadataKey: "job"] = "\(assignment.jobId)"
        logger[metadataKey: "attempt"] = "\(assignment.attempt)"
        // libav's (and x264's) own warnings and errors, tagged with the job, into the service's log.
        let libavLogger = logger
        LibAVLogging.route { level, line in
            libavLogger.log(level: level <= 16 ? .error : level <= 24 ? .warning : level <= 32 ? .info : .debug, "\(line)",
                            metadata: ["from": "libav"])
        }
        if let megabytes = assignment.memoryCapMegabytes, megabytes > 0 {
            // RLIMIT_DATA counts what is really mapped writable (heap, thread stacks), unlike
            // RLIMIT_AS, which the allocator's untouched arena reservations would exhaust.
            let bytes = rlim_t(megabytes) << 20
            var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
            setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit)
        }
        let peak = DataSizeWatch(watching: assignment.memoryCapMegabytes != nil)
        defer { peak.stop() }
        let cancellation = CancellationFlag()
        let stop = SignalCancellation(cancelling: cancellation)
        defer { stop.stop() }
        do {
            var job = try executor(for: assignment, cancellation: cancellation, channel: channel, watch: peak)
            let rendered = Mutex<RenderReport?>(nil)
            job.onReplyRendered = { report in rendered.withLock { $0 = report } }
            let manifest = try job.run()
            if assignment.arrival != nil, let report = rendered.withLock({ $0 }) {
                try recordArrivingRender(assignment, job: job, report: report, sourceSha256: manifest.source.sha256)
            }
            let manifestPath = URL(fileURLWithPath: assignment.stagingFolder).appendingPathComponent("manifest.json").path
            channel.send(.succeeded(manifestSha256: try ContentDigest.sha256(path: manifestPath),
                                    readyToPost: manifest.readyToPost, stageSeconds: manifest.stageSeconds))
        } catch {
            let cancelled = (error as? TranscodeError)?.kind == .cancelled
            channel.send(.failed(reason: "\(error)", permanent: isPermanentFailure(error), cancelled: cancelled, peakDataKB: peak.highest))
        }
        return 0
    }

    /// A reply made while its upload arrived (its length checked by the executor) is kept for the
    /// job the upload becomes.
    private static func recordArrivingRender(_ assignment: RenderAssignment, job: JobExecutor, report: RenderReport, sourceSha256: String) throws {
        let render = ArrivingRender(folder: URL(fileURLWithPath: assignment.stagingFolder).deletingLastPathComponent())
        try render.record(.init(sourceSha256: sourceSha256, replyKey: try job.replyKey(), report: report))
    }

    private static func executor(for assignment: RenderAssignment, cancellation: CancellationFlag,
                                 channel: MessageChannel, watch: DataSizeWatch) throws -> JobExecutor {
        // Checked again here, as at ingest: a caption name is a plain file beside the original.
        let ticket = try assignment.ticketJson.map { try Ticket.decode(Data($0.utf8), fileName: "the job's ticket") }
        let template = try TemplateLibrary(folder: assignment.templatesFolder).load(assignment.template)
        var job = JobExecutor(input: assignment.input, outputFolder: assignment.stagingFolder, ticket: ticket, template: template)
        job.captionsFolder = assignment.captionsFolder
        job.cancellation = cancellation
        job.jobId = assignment.jobId
        job.sourceSha256 = assignment.sourceSha256
        job.trim = assignment.trim
        job.onlyOutputs = assignment.onlyOutputs
        job.takeOverFrom = assignment.takeOverFrom
        if let arrival = assignment.arrival {
            let upload = UploadArrival(recordPath: arrival.recordPath)
            job.growing = try GrowingFile(path: assignment.input, stallLimit: arrival.stallSeconds,
                                          declaredDuration: arrival.declaredDuration, look: { upload.look() })
        }
        job.progress = { @Sendable stage, progress in
            if progress.fraction >= 0.5 {
                let source = URL(fileURLWithPath: assignment.input).lastPathComponent
                FailPoint.renderMidway.reached(file: source)
                FailPoint.renderHang.reached(file: source)
            }
            watch.stop() // rendering: set up, and from here the parent's own look suffices
            channel.send(.progress(stage: stage, progress))
        }
        return job
    }
}

/// JSON lines to a file descriptor, whole lines only, from any thread.
final class MessageChannel: Sendable {
    private let fd: Int32
    private let lock = Mutex(())

    init(fd: Int32) { self.fd = fd }

    func send(_ message: RenderChildMessage) {
        guard var line = try? JSONEncoder().encode(message) else { return }
        line.append(0x0A)
        lock.withLock { _ in
            line.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return } // the service is gone; nobody is listening
                    offset += n
                }
            }
        }
    }
}

/// SIGTERM or SIGINT cancel the flag, so a render stops between packets and removes its partial files.
public final class SignalCancellation: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>

    public init(cancelling flag: CancellationFlag) {
        let made: [any DispatchSourceSignal] = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { flag.cancel() }
            source.resume()
            return source
        }
        sources = Mutex(made)
    }

    public func stop() {
        sources.withLock { list in
            for source in list { source.cancel() }
            list = []
        }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
