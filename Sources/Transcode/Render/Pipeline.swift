import CAV
import Foundation

/// The send/receive loop of one render, after FFmpeg's doc/examples/transcode.c: packets are read
/// one at a time and pushed through decoder → filter graph → encoder → muxer, so memory stays
/// bounded whatever the clip's length. Timestamps are rescaled at every boundary: source stream
/// time base (rebased to the output's zero) → filter input → sink time base → encoder time base
/// (1/fps, 1/48000) → muxer stream time base. The encoders and the muxer run on an
/// `EncodingStage` of their own, so decoding goes on while x264 works.
final class Pipeline {
    private let input: Demuxer
    private let plan: RenderPlan
    private let muxer: Muxer
    private let videoDecoder: StreamDecoder
    private let audioDecoder: StreamDecoder?
    private let video: EncodedTrack
    private let audio: EncodedTrack
    /// Nil when encoding in line.
    private let stage: EncodingStage?
    private let decoded: Frame
    /// Pictures reach the graph at the size and format it was built for.
    private let conformer: PictureConformer

    var videoFramesEncoded: Int { video.framesEncoded }
    /// Every picture decoded from the source: the reply and the thumbnails are fed from these alone.
    private(set) var videoFramesDecoded = 0
    /// Sees each decoded picture before the filter graph takes it (shares buffers, copies nothing).
    var thumbnailPicker: ThumbnailPicker?
    var corruptPackets: Int { videoDecoder.corruptPackets + (audioDecoder?.corruptPackets ?? 0) }

    init(input: Demuxer, plan: RenderPlan, rendition: Rendition, outputPath: String, outputName: String,
         assScriptPath: String?, endCard: EndCardVisual?, encodesOnOwnThread: Bool = true) throws {
        self.input = input
        self.plan = plan
        let stage = encodesOnOwnThread ? EncodingStage() : nil
        self.stage = stage
        decoded = try Frame(file: input.fileName)
        input.keepOnly(streams: Set([plan.videoStream] + (plan.audioStream.map { [$0] } ?? [])))
        videoDecoder = try StreamDecoder(stream: input.stream(plan.videoStream), fileName: input.fileName,
                                         threads: Self.decoderThreads(for: input.stream(plan.videoStream)))
        audioDecoder = try plan.audioStream.map { try StreamDecoder(stream: input.stream($0), fileName: input.fileName) }
        muxer = try Muxer(path: outputPath, outputName: outputName)

        let context = videoDecoder.context.pointee
        conformer = try PictureConformer(width: context.width, height: context.height, format: context.pix_fmt, fileName: input.fileName)
        let videoGraph = try FilterGraph(sourceFilter: ("buffer", Self.videoSourceArguments(videoDecoder)),
                                         description: plan.videoGraph(assScriptPath: assScriptPath, card: endCard),
                                         sinkFilter: "buffersink", context: input.fileName)
        let videoEncoder = try Self.h264Encoder(graph: videoGraph, frameRate: plan.frameRate, rendition: rendition, outputName: outputName)
        video = try EncodedTrack(graph: videoGraph, encoder: videoEncoder, muxer: muxer, stage: stage)

        let audioGraph = try FilterGraph(sourceFilter: audioDecoder.map { ("abuffer", Self.audioSourceArguments($0)) },
                                         description: plan.audioGraph(sourceHasAudio: audioDecoder != nil, card: endCard),
                                         sinkFilter: "abuffersink", context: input.fileName)
        let audioEncoder = try Self.aacEncoder(rendition: rendition, outputName: outputName)
        audioGraph.setOutputFrameSize(audioEncoder.frameSize)
        audio = try EncodedTrack(graph: audioGraph, encoder: audioEncoder, muxer: muxer, stage: stage)
        try muxer.writeHeader()
    }

    func run(cancellation: CancellationFlag, progress: (@Sendable (RenderProgress) -> Void)?) throws {
        stage?.start()
        // Joined on every way out: the encoders and the muxer must be idle before anyone frees them.
        defer { stage?.stop() }
        var meter = ProgressMeter(duration: plan.totalDuration, report: progress)
        let videoStartTicks = ticks(plan.sourceStart, in: videoDecoder.timeBase)
        let audioStartTicks = audioDecoder.map { ticks(plan.sourceStart, in: $0.timeBase) }
        // Stop reading once both streams are a second past the end of the trim (both start short
        // of it, so the first packet is always read), or at the end of the file, or of a damaged
        // one's readable part: what was read is flushed and judged below.
        let readUntil = plan.duration + 1.0
        var videoReached = 0.0, audioReached = audioDecoder == nil ? Double.infinity : 0.0

        try input.forEachPacket(from: plan.sourceStart > 0.001 ? .time(plan.sourceStart) : .current, cancellation: cancellation) { packet in
            if packet.streamIndex == plan.videoStream {
                try videoDecoder.send(packet)
                videoReached = max(videoReached, try decodeAvailable(videoDecoder, rebaseBy: videoStartTicks, into: video))
                if audioDecoder == nil { try audio.drain(until: video.position + 0.5) } // silence keeps pace with the pictures
                meter.update(position: video.position)
            } else if let audioDecoder, packet.streamIndex == plan.audioStream, let audioStartTicks {
                try audioDecoder.send(packet)
                audioReached = max(audioReached, try decodeAvailable(audioDecoder, rebaseBy: audioStartTicks, into: audio))
            }
            return videoReached < readUntil || audioReached < readUntil ? .next : .stop
        }

        // Flush in libav's order: decoder, then filter graph, then encoder (inside the track).
        try videoDecoder.send(nil)
        _ = try decodeAvailable(videoDecoder, rebaseBy: videoStartTicks, into: video)
        try video.endInput()
        if let audioDecoder, let audioStartTicks {
            try audioDecoder.send(nil)
            _ = try decodeAvailable(audioDecoder, rebaseBy: audioStartTicks, into: audio)
        }
        try audio.endInput()
        try stage?.finish()
        try checkPicturesCoverTheClip()
        try muxer.finish()
        meter.update(position: plan.totalDuration, force: true) // done: the last frame may end a tick short of the plan
    }

    /// Receives every frame the decoder has ready, shifts it to the output's zero and feeds the track.
    /// Returns the latest output time seen (seconds), to know when a trim's end has been passed.
    private func decodeAvailable(_ decoder: StreamDecoder, rebaseBy startTicks: Int64, into track: EncodedTrack) throws -> Double {
        try decoder.receiveRebased(into: decoded, by: startTicks) { received, time in
            var frame = received
            if decoder === videoDecoder {
                frame = try conformer.conform(received)
                videoFramesDecoded += 1
                try thumbnailPicker?.offer(frame, at: time)
            }
            try track.push(frame, duration: frameDuration(frame, decoder))
        }
    }

    /// How long a decoded frame lasts in its stream's time base: audio by its samples, video by
    /// the packet's duration or, failing that, the stream's average frame interval.
    private func frameDuration(_ frame: Frame, _ decoder: StreamDecoder) -> Int64 {
        let f = frame.pointer.pointee
        if f.nb_samples > 0 { return frame.soundDuration(in: decoder.timeBase) }
        if f.pkt_duration > 0 { return f.pkt_duration }
        let rate = input.stream(decoder.streamIndex).pointee.avg_frame_rate
        guard rate.num > 0 else { return 0 }
        return av_rescale_q(1, AVRational(num: rate.den, den: rate.num), decoder.timeBase)
    }

    /// A file whose pictures stop well before the length it declares is damaged; better to say so
    /// than to post a reply that ends early.
    private func checkPicturesCoverTheClip() throws {
        let produced = Double(video.framesEncoded) / plan.frameRate.value
        if video.framesEncoded == 0 {
            throw TranscodeError(.badInput, file: input.fileName, "no picture could be decoded: the video stream is damaged")
        }
        if produced < plan.totalDuration - 1.0 {
            throw TranscodeError(.badInput, file: input.fileName,
                                 String(format: "the pictures stop at %.1f s but the clip should last %.1f s: the file is damaged or incomplete", produced, plan.totalDuration)
                                 + (input.readError.map { " (reading stopped: \($0))" } ?? ""))
        }
    }

    /// Frame threads for the camera's pictures: libav's own choice (one a core, plus one) keeps
    /// the cores busier now that the encoders have a stage of their own, and decoding-bound 4K60
    /// H.264 gains most; 10-bit HDR pictures bigger than 8-bit 1080p gain nothing (the tone map
    /// bounds them) and keep one a core. Figures: Docs/benchmarks.md, "Decoder threads".
    static func decoderThreads(for stream: UnsafeMutablePointer<AVStream>) -> Int32 {
        let cores = Int32(ProcessInfo.processInfo.activeProcessorCount)
        let par = stream.pointee.codecpar.pointee
        let depth = av_pix_fmt_desc_get(AVPixelFormat(rawValue: par.format)).map { Int($0.pointee.comp.0.depth) } ?? 8
        return depth > 8 && Int(par.width) * Int(par.height) * 2 > 1920 * 1088 ? cores : cores + 1
    }

    private static func videoSourceArguments(_ decoder: StreamDecoder) -> String {
        let c = decoder.context.pointee
        let sar = c.sample_aspect_ratio.num > 0 ? c.sample_aspect_ratio : AVRational(num: 1, den: 1)
        return "video_size=\(c.width)x\(c.height):pix_fmt=\(c.pix_fmt.rawValue):time_base=\(decoder.timeBase.num)/\(decoder.timeBase.den)"
            + ":pixel_aspect=\(sar.num)/\(sar.den)"
    }

    static func audioSourceArguments(_ decoder: StreamDecoder) -> String {
        let c = decoder.context
        var layout = AVChannelLayout()
        if c.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC {
            av_channel_layout_default(&layout, c.pointee.ch_layout.nb_channels)
        } else {
            av_channel_layout_copy(&layout, &c.pointee.ch_layout)
        }
        defer { av_channel_layout_uninit(&layout) }
        var name = [CChar](repeating: 0, count: 128)
        av_channel_layout_describe(&layout, &name, name.count)
        let layoutName = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let format = String(cString: av_get_sample_fmt_name(c.pointee.sample_fmt))
        return "time_base=\(decoder.timeBase.num)/\(decoder.timeBase.den):sample_rate=\(c.pointee.sample_rate)"
            + ":sample_fmt=\(format):channel_layout=\(layoutName)"
    }

    /// H.264 High, level 4.1, closed GOP with a keyframe every `keyframeIntervalSeconds`, CRF
    /// capped by maxrate/bufsize, BT.709 tags, square pixels.
    static func h264Encoder(graph: FilterGraph, frameRate: Rational, rendition: Rendition, outputName: String) throws -> StreamEncoder {
        let gop = Int32(keyframeInterval(frameRate: frameRate, rendition: rendition))
        return try StreamEncoder(codecName: "libx264", outputName: outputName, options: h264Options(rendition)) { ctx in
            ctx.pointee.width = graph.outputWidth
            ctx.pointee.height = graph.outputHeight
            ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            ctx.pointee.time_base = AVRational(num: frameRate.den, den: frameRate.num) // one tick a frame, as the ffmpeg CLI sets it
            ctx.pointee.framerate = frameRate.av
            ctx.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
            ctx.pointee.gop_size = gop
            ctx.pointee.keyint_min = gop
            ctx.pointee.rc_max_rate = Int64(rendition.maxrateKbps) * 1000
            ctx.pointee.rc_buffer_size = Int32(rendition.bufsizeKbps * 1000)
            ctx.pointee.color_primaries = AVCOL_PRI_BT709
            ctx.pointee.color_trc = AVCOL_TRC_BT709
            ctx.pointee.colorspace = AVCOL_SPC_BT709
            ctx.pointee.color_range = AVCOL_RANGE_MPEG
            ctx.pointee.thread_count = 0
        }
    }

    /// libx264's private options for the reply.
    static func h264Options(_ rendition: Rendition) -> [String: String] {
        var options = ["preset": rendition.x264Preset, "crf": String(rendition.crf), "profile": "high",
                       "x264-params": (["scenecut=0", "open-gop=0"] + rendition.x264Tuning).joined(separator: ":")]
        if let level = rendition.level { options["level"] = level }
        return options
    }

    static func keyframeInterval(frameRate: Rational, rendition: Rendition) -> Int {
        max(1, Int((frameRate.value * rendition.keyframeIntervalSeconds).rounded()))
    }

    /// AAC-LC, 48 kHz stereo.
    static func aacEncoder(rendition: Rendition, outputName: String) throws -> StreamEncoder {
        try StreamEncoder(codecName: "aac", outputName: outputName, options: [:]) { ctx in
            ctx.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
            ctx.pointee.sample_rate = 48000
            av_channel_layout_default(&ctx.pointee.ch_layout, 2)
            ctx.pointee.bit_rate = Int64(rendition.audioBitrateKbps) * 1000
            ctx.pointee.profile = FF_PROFILE_AAC_LOW
            ctx.pointee.time_base = AVRational(num: 1, den: 48000)
        }
    }
}
