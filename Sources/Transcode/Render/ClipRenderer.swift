import CAV
import Foundation

/// What to render and where.
public struct RenderRequest: Sendable {
    public var input: String
    public var output: String
    public var trim: Trim?
    public var rendition: Rendition
    public var progress: (@Sendable (RenderProgress) -> Void)?
    public var cancellation: CancellationFlag
    /// Makes the ASS script (captions, the card's words) to burn in, once the output's shape is known.
    public var burnIn: (@Sendable (RenderGeometry) -> String?)?
    /// The end card appended after the clip in the same encode.
    public var endCard: EndCardVisual?
    /// Stills picked from the same decode, written after the reply.
    public var thumbnails: [ThumbnailSpec] = []
    /// X's rules for a reply; the editors' rules for a re-encoded behind-the-scenes cut.
    public var validation: OutputValidator.Profile = .xUpload
    /// Set when `input` is an upload still arriving: the render reads it as it grows.
    public var growing: GrowingFile?
    /// Encoders and muxer on a thread of their own (the default), or in line with decoding: the
    /// outputs are the same bytes either way, which a test checks.
    var encodesOnOwnThread = true

    public init(input: String, output: String, trim: Trim? = nil, rendition: Rendition = Rendition(),
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
    /// The source as probed for this render.
    public var source: MediaInfo
    public var width: Int
    public var height: Int
    /// Exact ("30000/1001"); `Int(frameRate.value.rounded())` for a whole number.
    public var frameRate: Rational
    public var duration: Double
    public var videoFrames: Int
    public var sourceHadAudio: Bool
    public var corruptPacketsSkipped: Int
    /// Pictures decoded from the source (one decode serves the reply and the thumbnails).
    public var videoFramesDecoded: Int
    public var thumbnails: [ThumbnailReport]
    /// The ASS script burned in, if any (editors can re-burn it; tests compare against libass in ffmpeg).
    public var burnedScript: String?
    public var validation: ValidationReport
    public var seconds: Double
}

/// The ASS script on disk for libass while a render runs: a hidden file beside the output (in a
/// queued job, the attempt's staging folder), never /tmp. It holds a speaker's words, so it goes
/// with the render, and with the staging folder if the render is killed.
private struct BurnInScriptFile {
    let path: String

    init(text: String, outputPath: String, outputName: String) throws {
        path = URL(fileURLWithPath: outputPath).deletingLastPathComponent().appendingPathComponent(".captions-\(UUID().uuidString).ass").path
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw TranscodeError(.output, file: outputName, "cannot write the captions script to \(path)")
        }
    }

    func remove() { unlink(path) }
}

/// Runs `body`; whatever it creates and does not return is released when it returns.
@inline(never)
private func releasingWhenDone<T>(_ body: () throws -> T) rethrows -> T { try body() }

/// The plan of a render in plain values.
public struct RenderPlanDescription: Sendable, Codable {
    public var videoStream: Int
    public var audioStream: Int?
    public var sourceStart: Double
    public var duration: Double
    public var width: Int
    public var height: Int
    public var pictureWidth: Int
    public var pictureHeight: Int
    public var frameRate: Rational
    /// libavfilter chains, in the ffmpeg filter syntax; the video chain expects timestamps that start at 0.
    public var videoFilters: String
    /// For an HDR source: how the render does the tone mapping `videoFilters` spells out exactly.
    public var toneMapping: String?
    /// For an SDR source: how its colours reach BT.709 limited range, and why that way.
    public var colour: String?
    public var audioFilters: String
    public var x264Options: [String: String]
    public var keyframeInterval: Int
    public var maxrateKbps: Int
    public var bufsizeKbps: Int
    public var audioBitrateKbps: Int
}

/// The render of a reply (or of a re-encoded editors' cut, by its rendition): one pass of demux → decode → filter graph → libx264/AAC → MP4, in process.
/// Blocking: run it on a thread of its own, never on the cooperative pool.
public final class ClipRenderer {
    private let request: RenderRequest

    public init(_ request: RenderRequest) {
        self.request = request
    }

    /// What `render` would do, without decoding: for producers (`mediaorch plan`) and for the
    /// benchmark, which gives the ffmpeg CLI the very same filters and encoder settings.
    public func plan() throws -> RenderPlanDescription {
        let (input, info) = try open()
        let peak = try signalPeak(input, info)
        let plan = try makePlan(input, info, toneMapping: peak.map { ToneMapping(peak: $0, lutPath: nil) })
        let r = request.rendition
        return RenderPlanDescription(
            videoStream: plan.videoStream, audioStream: plan.audioStream, sourceStart: plan.sourceStart, duration: plan.duration,
            width: plan.canvas.width, height: plan.canvas.height, pictureWidth: plan.content.width, pictureHeight: plan.content.height,
            frameRate: plan.frameRate, videoFilters: plan.videoGraph(assScriptPath: nil, card: request.endCard),
            toneMapping: peak.map { "the render samples the HDR step above (\(ToneMapLUT.exactChain(peak: $0))) at \(ToneMapLUT.points)³ colours "
                + "into a 3D LUT and applies it with lut3d on 16-bit RGB; its peak is \($0.source)" },
            colour: plan.colourSummary,
            audioFilters: plan.audioGraph(sourceHasAudio: plan.audioStream != nil, card: request.endCard),
            x264Options: Pipeline.h264Options(r), keyframeInterval: Pipeline.keyframeInterval(frameRate: plan.frameRate, rendition: r),
            maxrateKbps: r.maxrateKbps, bufsizeKbps: r.bufsizeKbps, audioBitrateKbps: r.audioBitrateKbps)
    }

    /// Opens the source and refuses a cut-off MP4: shared by `plan` and `render`.
    private func open() throws -> (Demuxer, MediaInfo) {
        let input = try Demuxer(path: request.input, cancellation: request.cancellation, growing: request.growing)
        let info = try input.probe(framePacing: false)
        // A file still arriving is short by design; its reader waits for the rest.
        if request.growing == nil, let layout = ISOBaseMediaLayout(path: request.input), layout.missingBytes > 0 {
            throw TranscodeError(.badInput, file: input.fileName,
                                 "MP4 is truncated: \(layout.missingBytes) bytes missing at the end: the upload is incomplete")
        }
        return (input, info)
    }

    /// An HDR source's peak, read once for the whole clip (from its first picture, so only once
    /// its size is one a camera films); nil for SDR.
    private func signalPeak(_ input: Demuxer, _ info: MediaInfo) throws -> SignalPeak? {
        guard let video = RenderPlan.mainVideoStream(in: info), video.isHDR else { return nil }
        try RenderPlan.checkPictures(video, file: info.file)
        return try input.signalPeak(of: video)
    }

    /// Decides the render; an HDR source's pictures go through the LUT in `toneMapping` when it has one.
    private func makePlan(_ input: Demuxer, _ info: MediaInfo, toneMapping: ToneMapping?) throws -> RenderPlan {
        // A stream still arriving does not know its end: the sender's word stands in, checked later.
        try RenderPlan.make(info: info, videoEnd: { try input.endTime(ofStream: RenderPlan.mainVideoStream(in: info)!.index) },
                            trim: request.trim, rendition: request.rendition, cardDuration: request.endCard?.duration ?? 0,
                            toneMapping: toneMapping, declaredLength: request.growing?.declaredDuration)
    }

    public func render() throws -> RenderReport {
        let started = Date()
        let outputName = URL(fileURLWithPath: request.output).lastPathComponent
        let temporary = DurableFile.temporaryPath(for: request.output)
        defer { unlink(temporary) } // gone after a publish (renamed) or a failure alike

        let (input, info) = try open()
        let peak = try signalPeak(input, info)
        let lut = try peak.map { try ToneMapLUT(besideOutput: request.output, outputName: outputName, video: RenderPlan.mainVideoStream(in: info)!, peak: $0) }
        defer { lut?.remove() }
        let plan = try makePlan(input, info, toneMapping: peak.map { ToneMapping(peak: $0, lutPath: lut?.path) })
        let geometry = RenderGeometry(width: plan.canvas.width, height: plan.canvas.height,
                                      clipDuration: plan.duration, cardDuration: plan.cardDuration)
        let script = request.burnIn?(geometry)
        let scriptFile = try script.map { try BurnInScriptFile(text: $0, outputPath: request.output, outputName: outputName) }
        defer { scriptFile?.remove() }
        // The pipeline (decoders, graphs, x264's lookahead) is freed before verification starts,
        // so the two never hold memory at the same time.
        let picker = request.thumbnails.isEmpty ? nil : ThumbnailPicker(clipDuration: plan.duration, fileName: input.fileName)
        let (videoFrames, decodedFrames, corruptPackets) = try releasingWhenDone {
            let pipeline = try Pipeline(input: input, plan: plan, rendition: request.rendition, outputPath: temporary, outputName: outputName,
                                        assScriptPath: scriptFile?.path, endCard: request.endCard,
                                        encodesOnOwnThread: request.encodesOnOwnThread)
            pipeline.thumbnailPicker = picker
            try pipeline.run(cancellation: request.cancellation, progress: request.progress)
            return (pipeline.videoFramesEncoded, pipeline.videoFramesDecoded, pipeline.corruptPackets)
        }

        let validation = try OutputValidator(path: temporary, displayName: outputName, profile: request.validation)
            .moveIntoPlaceIfValid(as: request.output)
        // The reply is out first; the stills come from the frame the picker kept during the same decode.
        var thumbnails: [ThumbnailReport] = []
        if let chosen = picker?.chosen {
            thumbnails = try ThumbnailWriter.write(chosen, plan: plan, specs: request.thumbnails, fileName: input.fileName)
        }
        return RenderReport(output: request.output, source: info, width: plan.canvas.width, height: plan.canvas.height, frameRate: plan.frameRate,
                            duration: plan.totalDuration, videoFrames: videoFrames, sourceHadAudio: plan.audioStream != nil,
                            corruptPacketsSkipped: corruptPackets, videoFramesDecoded: decodedFrames, thumbnails: thumbnails,
                            burnedScript: script, validation: validation,
                            seconds: Date().timeIntervalSince(started))
    }
}
