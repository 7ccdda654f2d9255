import CAV
import Foundation

extension Demuxer {
    /// Everything `mediaorch probe` prints. With `framePacing`, reads the first seconds of packets
    /// to tell constant from variable frame rate, then seeks back to the start; a render, which
    /// makes the rate constant anyway, skips that read.
    public func probe(framePacing: Bool = true) throws -> MediaInfo {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        let layout = ISOBaseMediaLayout(path: path)
        let pacing = framePacing ? try scanVideoPacing() : [:]
        var streams = allStreams.map { describe($0, pacing: pacing) }
        streams.sort { $0.index < $1.index }
        let bitRate = context.pointee.bit_rate
        return MediaInfo(
            file: fileName,
            container: containerName,
            duration: duration,
            size: size,
            bitRate: bitRate > 0 ? bitRate : nil,
            containerComplete: layout?.isComplete ?? true,
            streams: streams,
            identifyingMetadata: identifyingTags(streams: streams)
        )
    }

    private func describe(_ st: UnsafeMutablePointer<AVStream>, pacing: [Int: Bool]) -> StreamInfo {
        let par = st.pointee.codecpar.pointee
        let tb = st.pointee.time_base
        let index = Int(st.pointee.index)
        var info = StreamInfo(index: index, type: Self.mediaType(par.codec_type), codec: String(cString: avcodec_get_name(par.codec_id)))
        if let name = avcodec_profile_name(par.codec_id, par.profile) {
            info.profile = String(cString: name)
        } else if par.profile != FF_PROFILE_UNKNOWN {
            info.profile = String(par.profile) // VP8/VP9 profiles have numbers, not names
        }
        if st.pointee.start_time != LibAVStatus.noTimestamp { info.startTime = Double(st.pointee.start_time) * av_q2d(tb) }
        if st.pointee.duration != LibAVStatus.noTimestamp, st.pointee.duration > 0 { info.duration = Double(st.pointee.duration) * av_q2d(tb) }
        if par.bit_rate > 0 { info.bitRate = par.bit_rate }
        // QuickTime handler names can keep their Pascal length byte ("\u{0B}GoPro MET").
        info.handler = tag("handler_name", in: st.pointee.metadata)?
            .trimmingCharacters(in: CharacterSet.whitespaces.union(.controlCharacters))
        if st.pointee.nb_frames > 0 { info.frameCount = Int(st.pointee.nb_frames) }

        switch par.codec_type {
        case AVMEDIA_TYPE_VIDEO:
            let format = AVPixelFormat(rawValue: par.format)
            if let name = av_get_pix_fmt_name(format) { info.pixelFormat = String(cString: name) }
            if let desc = av_pix_fmt_desc_get(format) { info.bitDepth = Int(desc.pointee.comp.0.depth) }
            info.width = Int(par.width)
            info.height = Int(par.height)
            let sar = av_guess_sample_aspect_ratio(context, st, nil)
            info.sampleAspectRatio = sar.num > 0 && sar.den > 0 ? Rational(sar) : nil
            let rotation = displayRotation(of: st)
            info.rotation = rotation
            let quarterTurn = info.isRotatedQuarterTurn
            info.displayWidth = quarterTurn ? info.height : info.width
            info.displayHeight = quarterTurn ? info.width : info.height
            info.realFrameRate = Rational(st.pointee.r_frame_rate)
            info.averageFrameRate = Rational(st.pointee.avg_frame_rate)
            info.variableFrameRate = pacing[index]
            info.fieldOrder = Self.fieldOrderName(par.field_order)
            info.colorPrimaries = String(cString: av_color_primaries_name(par.color_primaries))
            info.colorTransfer = String(cString: av_color_transfer_name(par.color_trc))
            info.colorSpace = String(cString: av_color_space_name(par.color_space))
            info.colorRange = String(cString: av_color_range_name(par.color_range))
            switch par.color_trc {
            case AVCOL_TRC_SMPTE2084: info.hdr = "PQ"
            case AVCOL_TRC_ARIB_STD_B67: info.hdr = "HLG"
            default: info.hdr = nil
            }
            var sideSize: Int = 0
            info.dolbyVision = av_stream_get_side_data(st, AV_PKT_DATA_DOVI_CONF, &sideSize) != nil
            info.attachedPicture = (st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC) != 0
        case AVMEDIA_TYPE_AUDIO:
            var layout = par.ch_layout
            info.channels = Int(layout.nb_channels)
            var buffer = [CChar](repeating: 0, count: 128)
            if av_channel_layout_describe(&layout, &buffer, buffer.count) >= 0 {
                info.channelLayout = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            }
            info.sampleRate = Int(par.sample_rate)
        default:
            break
        }
        return info
    }

    /// Rotation in degrees from the stream's display matrix (ffprobe's sign), 0 without one.
    func displayRotation(of st: UnsafeMutablePointer<AVStream>) -> Double {
        var size: Int = 0
        guard let data = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 36 else { return 0 }
        let degrees = data.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_get($0) }
        guard degrees.isFinite else { return 0 }
        let rounded = degrees.rounded()
        return rounded == 0 ? 0 : rounded // no "-0"
    }

    /// Reads up to a few hundred video packets and decides, per video stream, whether frame
    /// durations vary. Phones record variable frame rate; r_frame_rate alone hides it.
    private func scanVideoPacing(maxPackets: Int = 400) throws -> [Int: Bool] {
        let videoIndexes = Set(allStreams.filter { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO }.map { Int($0.pointee.index) })
        guard !videoIndexes.isEmpty else { return [:] }
        var timestamps: [Int: [Int64]] = [:]
        var videoPackets = 0
        // Other streams' packets change neither stopping condition, so they are skipped unseen.
        try forEachPacket(streams: videoIndexes, rewinding: true) { packet in
            let p = packet.pointer.pointee
            let pts = p.pts != LibAVStatus.noTimestamp ? p.pts : p.dts
            if pts != LibAVStatus.noTimestamp { timestamps[packet.streamIndex, default: []].append(pts) }
            videoPackets += 1
            if timestamps.values.allSatisfy({ $0.count >= maxPackets }) && timestamps.count == videoIndexes.count { return .stop }
            return videoPackets < maxPackets * 2 ? .next : .stop
        }
        return timestamps.mapValues { FramePacing.isVariable(timestamps: $0, isPrefix: $0.count >= maxPackets) }
    }

    private func identifyingTags(streams: [StreamInfo]) -> [IdentifyingTag] {
        var found = dictionaryEntries(context.pointee.metadata).compactMap { key, value in
            IdentifyingTag.classify(key: key, value: value, scope: "format", formatLevel: true)
        }
        for st in allStreams {
            let scope = "stream \(st.pointee.index)"
            found += dictionaryEntries(st.pointee.metadata).compactMap { key, value in
                IdentifyingTag.classify(key: key, value: value, scope: scope, formatLevel: false)
            }
        }
        // Data tracks (GoPro GPMF telemetry, Apple timed metadata, timecode) can carry GPS per frame.
        for info in streams where info.type == .data {
            found.append(IdentifyingTag(kind: .telemetry, key: "data track", value: info.handler ?? info.codec, scope: "stream \(info.index)"))
        }
        return found
    }

    func tag(_ key: String, in dict: OpaquePointer?) -> String? {
        guard let entry = av_dict_get(dict, key, nil, 0) else { return nil }
        return String(cString: entry.pointee.value)
    }

    static func mediaType(_ type: AVMediaType) -> StreamInfo.MediaType {
        switch type {
        case AVMEDIA_TYPE_VIDEO: .video
        case AVMEDIA_TYPE_AUDIO: .audio
        case AVMEDIA_TYPE_SUBTITLE: .subtitle
        case AVMEDIA_TYPE_DATA: .data
        case AVMEDIA_TYPE_ATTACHMENT: .attachment
        default: .unknown
        }
    }

    static func fieldOrderName(_ order: AVFieldOrder) -> String {
        switch order {
        case AV_FIELD_PROGRESSIVE: "progressive"
        case AV_FIELD_TT: "tt"
        case AV_FIELD_BB: "bb"
        case AV_FIELD_TB: "tb"
        case AV_FIELD_BT: "bt"
        default: "unknown"
        }
    }
}

/// Deciding constant vs variable frame rate from presentation timestamps.
public enum FramePacing {
    /// Variable when the gaps between consecutive frames (in display order) differ from the
    /// typical gap by more than a tick of timestamp rounding and 2% of a frame (a 29.97 fps
    /// clip in a 1/600 time base alternates 20 and 21 ticks and is still constant).
    /// `isPrefix`: the timestamps are the first packets of a longer stream in decode order; with
    /// B-frames the latest few presentation times are missing their neighbours, so they are left out.
    public static func isVariable(timestamps: [Int64], isPrefix: Bool = false) -> Bool {
        let sorted = Array(timestamps.sorted().dropLast(isPrefix ? 16 : 0))
        let gaps = zip(sorted.dropFirst(), sorted).map { $0 - $1 }.filter { $0 > 0 }
        guard gaps.count >= 2 else { return false }
        let typical = gaps.sorted()[gaps.count / 2]
        let tolerance = max(1, typical / 50)
        return gaps.contains { abs($0 - typical) > tolerance }
    }
}

extension IdentifyingTag {
    /// Recognises identifying keys across QuickTime, MP4 and Android spellings.
    static func classify(key: String, value: String, scope: String, formatLevel: Bool) -> IdentifyingTag? {
        let k = key.lowercased()
        let kind: Kind
        if k.contains("location") || k.contains("gps") || k.contains("xyz") {
            kind = .gps
        } else if k.contains("serial") || k.contains("camera.identifier") || k.contains("uuid") {
            kind = .serial
        } else if k == "make" || k.hasPrefix("make-") || k.hasSuffix(".make") {
            kind = .make
        } else if k == "model" || k.hasPrefix("model-") || k.hasSuffix(".model") {
            kind = .model
        } else if k.contains("software") || k.contains("firmware") || k == "com.android.version" || (formatLevel && k.hasPrefix("encoder")) {
            kind = .software
        } else if k.contains("creationdate") || k == "date" || k.hasPrefix("date-") || k == "creation_time" {
            kind = .date
        } else if ["artist", "author", "copyright", "owner", "com.apple.quicktime.author", "com.apple.quicktime.artist"].contains(k) {
            kind = .owner
        } else {
            return nil
        }
        return IdentifyingTag(kind: kind, key: key, value: value, scope: scope)
    }
}
