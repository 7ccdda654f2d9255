import CAV

extension Demuxer {
    /// The end time (seconds) of a stream's last packet, read by demuxing only (no decoding).
    /// For containers that do not record a duration, such as a browser's live WebM recording.
    func endTime(ofStream index: Int) throws -> Double? {
        let packet = Packet()
        let tb = stream(index).pointee.time_base
        var end: Int64? = nil
        while try read(into: packet) {
            let p = packet.pointer.pointee
            if Int(p.stream_index) == index {
                let ts = p.pts != LibAVStatus.noTimestamp ? p.pts : p.dts
                if ts != LibAVStatus.noTimestamp { end = max(end ?? ts, ts + max(p.duration, 0)) }
            }
            packet.unref()
        }
        try rewind()
        return end.map { Double($0) * av_q2d(tb) }
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
