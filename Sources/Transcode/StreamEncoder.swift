import CAV

/// An encoder (send/receive API) owning its AVCodecContext.
final class StreamEncoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    let name: String
    private let outputName: String

    /// `configure` sets the codec parameters before opening; `options` are the codec's private
    /// options (preset, crf, x264-params, ...).
    init(codecName: String, outputName: String, options: [String: String], configure: (UnsafeMutablePointer<AVCodecContext>) -> Void) throws {
        self.name = codecName
        self.outputName = outputName
        guard let codec = avcodec_find_encoder_by_name(codecName) else {
            throw TranscodeError(.processing, file: outputName, "this libav has no \(codecName) encoder")
        }
        // Set up on a local owner: `context` is assigned only once the encoder is open, so a
        // throw frees it here and deinit (which runs only for a whole object) never sees it.
        var owned = avcodec_alloc_context3(codec)
        guard let ctx = owned else { fatalError("avcodec_alloc_context3: out of memory") }
        configure(ctx)
        // MP4 keeps SPS/PPS and the AAC config in the sample description, not in-band.
        ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        var dict: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dict, key, value, 0) }
        let status = avcodec_open2(ctx, codec, &dict)
        let unused = dictionaryEntries(dict).map(\.key)
        av_dict_free(&dict)
        if status < 0 {
            avcodec_free_context(&owned)
            throw TranscodeError(.processing, file: outputName, "cannot open the \(codecName) encoder: \(libavErrorText(status))")
        }
        if !unused.isEmpty {
            avcodec_free_context(&owned)
            throw TranscodeError(.processing, file: outputName, "\(codecName) does not know the option(s) \(unused.joined(separator: ", "))")
        }
        context = ctx
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
