import CAV

/// A decoder for one input stream (send/receive API), owning its AVCodecContext (freed in
/// deinit, and only there).
final class StreamDecoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    let streamIndex: Int
    let timeBase: AVRational
    private let fileName: String
    /// Packets the decoder refused as corrupt; a few are tolerated (phones drop bytes), a stream of them is not.
    private(set) var corruptPackets = 0
    private(set) var packetsSent = 0

    /// `threads`: 0 lets libav choose (frame threads for big video); checks that decode a few
    /// frames ask for 1.
    init(stream: UnsafeMutablePointer<AVStream>, fileName: String, threads: Int32 = 0) throws {
        self.fileName = fileName
        streamIndex = Int(stream.pointee.index)
        timeBase = stream.pointee.time_base
        let par = stream.pointee.codecpar!
        let codecName = String(cString: avcodec_get_name(par.pointee.codec_id))
        guard let codec = avcodec_find_decoder(par.pointee.codec_id) else {
            throw TranscodeError(.badInput, file: fileName, "stream \(streamIndex): no decoder for codec '\(codecName)'")
        }
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw TranscodeError.outOfMemory(allocating: "a \(codecName) decoder for stream \(streamIndex)", file: fileName)
        }
        // The context is this object's from here: with every property set, a failure below throws
        // from a whole object, so deinit frees the context, and nothing else does.
        context = ctx
        ctx.pointee.pkt_timebase = stream.pointee.time_base
        ctx.pointee.thread_count = threads
        var status = avcodec_parameters_to_context(ctx, par)
        if status >= 0 { status = avcodec_open2(ctx, codec, nil) }
        if status < 0 {
            throw TranscodeError(.badInput, file: fileName,
                                 "stream \(streamIndex) (\(codecName)): cannot open the decoder: \(libavErrorText(status))")
        }
    }

    deinit {
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&owned)
    }

    /// Sends a packet, or nil to start draining at end of stream. Corrupt packets are counted and skipped.
    func send(_ packet: Packet?) throws {
        let status = avcodec_send_packet(context, packet?.pointer)
        if packet != nil { packetsSent += 1 }
        if status >= 0 || status == LibAVStatus.endOfFile { return }
        if status == mo_averror_invaliddata() || status == mo_averror(EIO) {
            corruptPackets += 1
            if corruptPackets > 25 && corruptPackets * 5 > packetsSent {
                throw TranscodeError(.badInput, file: fileName,
                                     "stream \(streamIndex) is damaged: \(corruptPackets) of \(packetsSent) packets could not be decoded")
            }
            return
        }
        throw Self.failure(status, stream: streamIndex, file: fileName)
    }

    /// A decoder's refusal other than running out of memory is about the bytes it was given (a
    /// damaged H.263 packet comes back as EPERM): the clip's fault, so retrying cannot help.
    private static func failure(_ status: Int32, stream: Int, file: String) -> TranscodeError {
        TranscodeError(status == mo_averror(ENOMEM) ? .processing : .badInput, file: file,
                       "stream \(stream): decoding failed: \(libavErrorText(status))")
    }

    /// After a drain (`send(nil)`), ready for packets again from the next keyframe.
    func restart() { avcodec_flush_buffers(context) }

    /// Fills `frame` with the next decoded frame; false when the decoder needs more input or is drained.
    func receive(into frame: Frame) throws -> Bool {
        let status = avcodec_receive_frame(context, frame.pointer)
        if status >= 0 { return true }
        if status == LibAVStatus.tryAgain || status == LibAVStatus.endOfFile { return false }
        if status == mo_averror_invaliddata() { corruptPackets += 1; return false }
        throw Self.failure(status, stream: streamIndex, file: fileName)
    }

    /// Receives every frame ready into `frame`, rebased: its best-effort timestamp less
    /// `startTicks` (this stream's time base) becomes its pts, so the output's first instant is 0.
    /// A frame without a timestamp is dropped. `body` takes each frame (it may move its buffers
    /// on) with its rebased time in seconds. Returns the latest such time, -infinity for none.
    func receiveRebased(into frame: Frame, by startTicks: Int64, _ body: (Frame, Double) throws -> Void) throws -> Double {
        var latest = -Double.infinity
        while try receive(into: frame) {
            let ts = frame.pointer.pointee.best_effort_timestamp
            guard ts != LibAVStatus.noTimestamp else { frame.unref(); continue }
            frame.pts = ts - startTicks
            let time = Double(frame.pts) * av_q2d(timeBase)
            latest = max(latest, time)
            try body(frame, time)
        }
        return latest
    }
}
