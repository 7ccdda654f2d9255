import CAV

extension Demuxer {
    /// The end time (seconds) of a stream's last packet, read by demuxing only (no decoding).
    /// For containers that do not record a duration, such as a browser's live WebM recording.
    /// Without `rewinding`, the reader is left at the end (a file read as a stream cannot go back).
    public func endTime(ofStream index: Int, rewinding: Bool = true) throws -> Double? {
        var end: Int64? = nil
        try forEachPacket(streams: [index], rewinding: rewinding) { packet in
            let p = packet.pointer.pointee
            let ts = p.pts != LibAVStatus.noTimestamp ? p.pts : p.dts
            if ts != LibAVStatus.noTimestamp { end = max(end ?? ts, ts + max(p.duration, 0)) }
            return .next
        }
        return end.map { Double($0) * av_q2d(stream(index).pointee.time_base) }
    }

    /// How far a stream's decode times run ahead of its presentation times at most (ticks, 0 if
    /// never), read by demuxing only. Apple's cameras write B-frames' composition offsets as
    /// negative numbers that libav 5.1 does not always shift out, leaving pictures "decoded" after
    /// they are shown; moving every decode time back by this much makes them a valid MP4's again.
    func decodeAheadOfPresentation(stream index: Int) throws -> Int64 {
        var ahead: Int64 = 0
        try forEachPacket(streams: [index], rewinding: true) { packet in
            let p = packet.pointer.pointee
            if p.pts != LibAVStatus.noTimestamp, p.dts != LibAVStatus.noTimestamp {
                let (difference, overflow) = p.dts.subtractingReportingOverflow(p.pts)
                ahead = overflow ? Int64.max : max(ahead, difference)
            }
            return .next
        }
        return ahead
    }

    /// What `read` finds in stream `index`'s first decoded picture (HDR messages the camera wrote
    /// with it), then back to the start. Decodes a few packets at most; a picture that cannot be
    /// decoded is one that says nothing (nil): the pass that follows judges the damage.
    func firstPicture<T>(of index: Int, _ read: (UnsafePointer<AVFrame>) -> T?) throws -> T? {
        var found: T? = nil
        if let decoder = try? StreamDecoder(stream: stream(index), fileName: fileName, threads: 1) {
            let frame = try Frame(file: fileName)
            var streamPackets = 0, packets = 0
            try forEachPacket { packet in
                packets += 1
                if packet.streamIndex == index {
                    streamPackets += 1
                    guard (try? decoder.send(packet)) != nil else { return .stop }
                    if (try? decoder.receive(into: frame)) == true {
                        found = read(frame.pointer)
                        frame.unref()
                        return .stop
                    }
                }
                return streamPackets < 64 && packets < 1024 ? .next : .stop
            }
        }
        try rewind()
        return found
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
