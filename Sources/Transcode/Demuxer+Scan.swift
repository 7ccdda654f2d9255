import CAV

extension Demuxer {
    /// The end time (seconds) of a stream's last packet, read by demuxing only (no decoding).
    /// For containers that do not record a duration, such as a browser's live WebM recording.
    func endTime(ofStream index: Int) throws -> Double? {
        let end: Int64? = try fold(stream: index, nil) { end, p in
            let ts = p.pts != LibAVStatus.noTimestamp ? p.pts : p.dts
            return ts == LibAVStatus.noTimestamp ? end : max(end ?? ts, ts + max(p.duration, 0))
        }
        return end.map { Double($0) * av_q2d(stream(index).pointee.time_base) }
    }

    /// How far a stream's decode times run ahead of its presentation times at most (ticks, 0 if
    /// never), read by demuxing only. Apple's cameras write B-frames' composition offsets as
    /// negative numbers that libav 5.1 does not always shift out, leaving pictures "decoded" after
    /// they are shown; moving every decode time back by this much makes them a valid MP4's again.
    func decodeAheadOfPresentation(stream index: Int) throws -> Int64 {
        try fold(stream: index, Int64(0)) { ahead, p in
            guard p.pts != LibAVStatus.noTimestamp, p.dts != LibAVStatus.noTimestamp else { return ahead }
            let (difference, overflow) = p.dts.subtractingReportingOverflow(p.pts)
            return overflow ? Int64.max : max(ahead, difference)
        }
    }

    /// What `read` finds in stream `index`'s first decoded picture (HDR messages the camera wrote
    /// with it), then back to the start. Decodes a few packets at most; a picture that cannot be
    /// decoded is one that says nothing (nil): the pass that follows judges the damage.
    func firstPicture<T>(of index: Int, _ read: (UnsafePointer<AVFrame>) -> T?) throws -> T? {
        var found: T? = nil
        if let decoder = try? StreamDecoder(stream: stream(index), fileName: fileName, threads: 1) {
            let packet = Packet(), frame = Frame()
            var streamPackets = 0, packets = 0
            reading: while streamPackets < 64, packets < 1024, try self.read(into: packet) {
                defer { packet.unref() }
                packets += 1
                guard packet.streamIndex == index else { continue }
                streamPackets += 1
                guard (try? decoder.send(packet)) != nil else { break }
                if (try? decoder.receive(into: frame)) == true {
                    found = read(frame.pointer)
                    frame.unref()
                    break reading
                }
            }
        }
        try rewind()
        return found
    }

    /// Reads every packet (demuxing only), folding those of stream `index` into a value, then
    /// rewinds to the start.
    private func fold<T>(stream index: Int, _ initial: T, _ step: (T, AVPacket) -> T) throws -> T {
        let packet = Packet()
        var value = initial
        while try read(into: packet) {
            if Int(packet.pointer.pointee.stream_index) == index { value = step(value, packet.pointer.pointee) }
            packet.unref()
        }
        try rewind()
        return value
    }

    /// Only these streams are demuxed; the rest (telemetry, timecode, cover art) are skipped by libav.
    func keepOnly(streams: Set<Int>) {
        for st in allStreams {
            st.pointee.discard = streams.contains(Int(st.pointee.index)) ? AVDISCARD_DEFAULT : AVDISCARD_ALL
        }
    }

    /// To the keyframe at or before `dts` (ticks of stream `index`'s time base).
    func seek(stream index: Int, toKeyframeAtOrBefore dts: Int64) throws {
        readError = nil
        let status = av_seek_frame(context, Int32(index), dts, AVSEEK_FLAG_BACKWARD)
        if status < 0 { throw TranscodeError(.badInput, file: fileName, "cannot seek in the file: \(libavErrorText(status))") }
    }
}
