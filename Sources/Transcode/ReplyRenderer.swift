import CAV
import Foundation

/// What to render and where.
public struct RenderRequest: Sendable {
    public var input: String
    public var output: String
    public var trim: Trim?
    public var rendition: ReplyRendition
    public var progress: (@Sendable (RenderProgress) -> Void)?
    public var cancellation: CancellationFlag

    public init(input: String, output: String, trim: Trim? = nil, rendition: ReplyRendition = ReplyRendition(),
                progress: (@Sendable (RenderProgress) -> Void)? = nil, cancellation: CancellationFlag = CancellationFlag()) {
        self.input = input
        self.output = output
        self.trim = trim
        self.rendition = rendition
        self.progress = progress
        self.cancellation = cancellation
    }
}

/// What a finished render produced.
public struct RenderReport: Sendable, Codable {
    public var output: String
    public var width: Int
    public var height: Int
    public var frameRate: Int
    public var duration: Double
    public var videoFrames: Int
    public var sourceHadAudio: Bool
    public var corruptPacketsSkipped: Int
    public var validation: ValidationReport
    public var seconds: Double
}

/// The X reply render: one pass of demux → decode → filter graph → libx264/AAC → MP4, in process.
/// Blocking: run it on a thread of its own, never on the cooperative pool.
public final class ReplyRenderer {
    private let request: RenderRequest

    public init(_ request: RenderRequest) {
        self.request = request
    }

    public func render() throws -> RenderReport {
        let started = Date()
        let outputName = URL(fileURLWithPath: request.output).lastPathComponent
        let temporary = DurableFile.temporaryPath(for: request.output)
        defer { unlink(temporary) } // gone after a publish (renamed) or a failure alike

        let input = try MediaInput(path: request.input)
        let info = input.probe()
        if let layout = ISOBaseMediaLayout(path: request.input), layout.missingBytes > 0 {
            throw TranscodeError(.badInput, file: input.fileName,
                                 "MP4 is truncated: \(layout.missingBytes) bytes missing at the end: the upload is incomplete")
        }
        let plan = try RenderPlan.make(info: info, videoEnd: { input.endTime(ofStream: RenderPlan.mainVideoStream(in: info)!.index) },
                                       trim: request.trim, rendition: request.rendition)
        let pipeline = try Pipeline(input: input, plan: plan, rendition: request.rendition, outputPath: temporary, outputName: outputName)
        try pipeline.run(cancellation: request.cancellation, progress: request.progress)

        let validation = OutputValidator(path: temporary, displayName: outputName).validate()
        guard validation.passed else {
            throw TranscodeError(.verification, file: outputName,
                                 "the render breaks X's rules: \(validation.failures.map(\.summary).joined(separator: "; "))")
        }
        try DurableFile.publish(temporary: temporary, as: request.output)
        return RenderReport(output: request.output, width: plan.canvas.width, height: plan.canvas.height, frameRate: plan.frameRate,
                            duration: plan.duration, videoFrames: pipeline.videoFramesEncoded, sourceHadAudio: plan.audioStream != nil,
                            corruptPacketsSkipped: pipeline.corruptPackets, validation: validation,
                            seconds: Date().timeIntervalSince(started))
    }
}
