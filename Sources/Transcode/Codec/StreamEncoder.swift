import CAV

/// An encoder (send/receive API) owning its AVCodecContext (freed in deinit, and only there).
final class StreamEncoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    let name: String
    /// The output's name, for messages.
    let outputName: String

    /// `configure` sets the codec parameters before opening; `options` are the codec's private
    /// options (preset, crf, x264-params, ...).
    init(codecName: String, outputName: String, options: [String: String], configure: (UnsafeMutablePointer<AVCodecContext>) -> Void) throws {
        self.name = codecName
        self.outputName = outputName
        guard let codec = avcodec_find_encoder_by_name(codecName) else {
            throw TranscodeError(.processing, file: outputName, "this libav has no \(codecName) encoder")
        }
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw TranscodeError.outOfMemory(allocating: "the \(codecName) encoder", file: outputName)
        }
        // The context is this object's from here: with every property set, a failure below throws
        // from a whole object, so deinit frees the context, and nothing else does.
        context = ctx
        configure(ctx)
        // MP4 keeps SPS/PPS and the AAC config in the sample description, not in-band.
        ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        let dictionary = try LibAVDictionary(Array(options), file: outputName)
        let status = avcodec_open2(ctx, codec, &dictionary.pointer)
        let unused = dictionary.entries.map(\.key)
        if status < 0 {
            throw TranscodeError(.processing, file: outputName, "cannot open the \(codecName) encoder: \(libavErrorText(status))")
        }
        if !unused.isEmpty {
            throw TranscodeError(.processing, file: outputName, "\(codecName) does not know the option(s) \(unused.joined(separator: ", "))")
        }
    }

    deinit {
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&owned)
    }

    var timeBase: AVRational { context.pointee.time_base }

    /// One video frame's length in the encoder's time base; nil for audio.
    var frameDurationTicks: Int64? {
        let rate = context.pointee.framerate
        guard context.pointee.codec_type == AVMEDIA_TYPE_VIDEO, rate.num > 0 else { return nil }
        return av_rescale_q(1, AVRational(num: rate.den, den: rate.num), timeBase)
    }
    var frameSize: Int32 { context.pointee.frame_size }

    /// Sends a frame, or nil to flush at end of stream.
    func send(_ frame: Frame?) throws {
        let status = avcodec_send_frame(context, frame?.pointer)
        if status >= 0 || (frame == nil && status == LibAVStatus.endOfFile) { return }
        throw TranscodeError(.processing, file: outputName, "\(name) encoding failed: \(libavErrorText(status))")
    }

    /// Fills `packet` with the next encoded packet; false when the encoder needs more input or is drained.
    func receive(into packet: Packet) throws -> Bool {
        let status = avcodec_receive_packet(context, packet.pointer)
        if status >= 0 { return true }
        if status == LibAVStatus.tryAgain || status == LibAVStatus.endOfFile { return false }
        throw TranscodeError(.processing, file: outputName, "\(name) encoding failed: \(libavErrorText(status))")
    }

}
