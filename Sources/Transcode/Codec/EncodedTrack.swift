import CAV

/// One output stream: frames go into its filter graph; what the graph gives out is encoded and
/// muxed. Flushing follows libav's order: graph end → encoder drain → (the muxer's trailer, later).
/// With a stage, encoding and muxing run on the stage's thread; the graph stays on the caller's.
final class EncodedTrack {
    let graph: FilterGraph
    let encoder: StreamEncoder
    private let muxer: Muxer
    private let streamIndex: Int
    private let stage: EncodingStage?
    /// Read once here: with a stage, the encoder belongs to the stage's thread.
    private let encoderTimeBase: AVRational
    private let filtered: Frame
    private let packet: Packet
    /// The output's name, for messages (read once here, like the time base).
    private let outputName: String
    private(set) var framesEncoded = 0
    /// Output time (seconds) reached by the frames handed to the encoder (or its stage).
    private(set) var position: Double = 0
    private(set) var finished = false

    init(graph: FilterGraph, encoder: StreamEncoder, muxer: Muxer, stage: EncodingStage? = nil) throws {
        self.graph = graph
        self.encoder = encoder
        self.muxer = muxer
        self.stage = stage
        encoderTimeBase = encoder.timeBase
        outputName = encoder.outputName
        filtered = try Frame(file: encoder.outputName)
        packet = try Packet(file: encoder.outputName)
        streamIndex = try muxer.addStream(for: encoder)
    }

    /// End time (source time base, rebased) of the latest frame pushed: where the input ends.
    private var inputEnd: Int64?

    /// A decoded frame in (its buffers move into the graph).
    func push(_ frame: Frame, duration: Int64) throws {
        guard !finished else { return }
        inputEnd = max(inputEnd ?? Int64.min, frame.pts + max(duration, 0))
        try graph.push(frame)
        try drain()
    }

    /// End of input: closes the graph at the end of the last frame, then flushes what follows.
    func endInput() throws {
        guard !finished else { return }
        try graph.end(at: inputEnd)
        try drain()
    }

    /// Encodes whatever the graph has ready; at the graph's end, flushes the encoder. A generator
    /// graph (silence) is pulled only up to `limit` seconds, to stay interleaved with the pictures.
    func drain(until limit: Double = .infinity) throws {
        while !finished && position < limit {
            switch try graph.pull(into: filtered) {
            case .frame:
                // Filter output time base → encoder time base (concat, for one, outputs in microseconds).
                let tb = encoderTimeBase
                if filtered.pts != LibAVStatus.noTimestamp {
                    filtered.pts = av_rescale_q(filtered.pts, graph.outputTimeBase, tb)
                }
                let samples = Int64(filtered.pointer.pointee.nb_samples)
                // Let the encoder choose frame types: a decoded I-frame must not force an extra keyframe.
                filtered.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE
                let end = samples > 0 ? filtered.pts + samples : filtered.pts + 1
                position = Double(end) * av_q2d(tb)
                framesEncoded += 1
                if let stage {
                    let handed = try Frame(file: outputName)
                    av_frame_move_ref(handed.pointer, filtered.pointer)
                    try stage.submit(.encode(handed, self))
                } else {
                    try encode(filtered)
                    filtered.unref()
                }
            case .needsInput:
                return
            case .ended:
                if let stage { try stage.submit(.flush(self)) } else { try encode(nil) }
                finished = true
            }
        }
    }

    /// Encodes one filtered frame, or flushes the encoder with nil, and muxes what comes out.
    /// On the stage's thread when there is one.
    func encode(_ frame: Frame?) throws {
        try encoder.send(frame)
        try writeEncodedPackets()
    }

    private func writeEncodedPackets() throws {
        while try encoder.receive(into: packet) {
            // libx264 in libav 5.1 leaves durations at 0; without one the MP4's last frame would
            // last nothing and the track would come out a frame short (as the ffmpeg CLI also fixes).
            if packet.pointer.pointee.duration <= 0, let frameTicks = encoder.frameDurationTicks {
                packet.pointer.pointee.duration = frameTicks
            }
            try muxer.write(packet, stream: streamIndex)
            packet.unref()
        }
    }
}
