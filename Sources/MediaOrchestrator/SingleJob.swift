import Foundation

/// One job run without a queue (`mediaorch process`): the template's outputs for one clip,
/// written into a folder, then manifest.json last.
public struct SingleJob: Sendable {
    public var input: String
    public var outputFolder: String
    public var ticket: Ticket?
    public var template: JobTemplate
    /// Limits the job to these outputs (`--outputs`); nil makes every output of the template.
    public var onlyOutputs: [JobTemplate.Output]?
    /// Overrides the ticket's trim.
    public var trim: Trim?
    public var progress: (@Sendable (String, RenderProgress) -> Void)?
    public var cancellation = CancellationFlag()

    public init(input: String, outputFolder: String, ticket: Ticket?, template: JobTemplate) {
        self.input = input
        self.outputFolder = outputFolder
        self.ticket = ticket
        self.template = template
    }

    public func run() throws -> Manifest {
        let folder = URL(fileURLWithPath: outputFolder)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw OrchestratorError(file: outputFolder, "cannot create the output folder: \(error.localizedDescription)", permanent: false)
        }
        var sourceInfo: MediaInfo? = nil
        let outputs = template.outputs.filter { onlyOutputs?.contains($0) ?? true }
        var manifestOutputs: [Manifest.Output] = []
        var stageSeconds: [String: Double] = [:]

        for output in outputs {
            switch output {
            case .reply:
                let path = folder.appendingPathComponent("reply.mp4").path
                var request = RenderRequest(input: input, output: path, trim: trim ?? ticket?.trim, rendition: template.reply,
                                            cancellation: cancellation)
                if let report = self.progress {
                    request.progress = { @Sendable progress in report("reply", progress) }
                }
                let report = try ReplyRenderer(request).render()
                sourceInfo = report.source
                stageSeconds["reply"] = report.seconds
                manifestOutputs.append(Manifest.Output(
                    role: "reply", path: "reply.mp4", bytes: Self.size(of: path), duration: report.duration,
                    width: report.width, height: report.height, frameRate: report.frameRate,
                    videoCodec: "h264 High", audioCodec: "aac LC 48 kHz stereo", validation: report.validation))
            }
        }

        var notReady: [String] = []
        if ticket?.speaker?.consent != true {
            notReady.append(ticket == nil ? "no ticket: the speaker's consent is not recorded" : "the ticket does not record the speaker's consent")
        }
        for output in manifestOutputs where !output.validation.passed {
            notReady.append("\(output.path) breaks X's rules")
        }
        let source = try sourceInfo ?? MediaInput(path: input).probe()
        let video = source.videoStreams.first, audio = source.audioStreams.first
        let manifest = Manifest(
            template: template.name, createdAt: Date(),
            source: .init(name: source.file, container: source.container, duration: source.duration, bytes: source.size,
                          video: video.map { "\($0.codec) \($0.displayWidth ?? 0)x\($0.displayHeight ?? 0)" },
                          audio: audio.map { "\($0.codec) \($0.channelLayout ?? "") \($0.sampleRate ?? 0) Hz" },
                          identifyingTagsRemoved: source.identifyingMetadata.map(\.key)),
            ticket: ticket, outputs: manifestOutputs, stageSeconds: stageSeconds,
            readyToPost: notReady.isEmpty, notReadyReasons: notReady)
        try DurableFile.write(try JSONOutput.encoder().encode(manifest), to: folder.appendingPathComponent("manifest.json").path)
        return manifest
    }

    static func size(of path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
