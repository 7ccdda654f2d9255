import CAV
import Foundation

/// An editors' cut between two times at camera quality: every whole GOP in between is copied
/// packet for packet, and only the pictures from the in point to the first keyframe and from the
/// last keyframe to the out point are re-encoded, by libx264 (H.264) or libx265 (HEVC) set to the
/// camera's profile, level, size, pixel format and range, colour and time base. The encoder's
/// parameter sets get ids of their own and join the camera's in the one avcC or hvcC record, so
/// the joins play anywhere an MP4 plays. The sound is re-encoded (AAC), exact to the sample.
/// Sources that cannot be joined safely are refused with a reason before anything is written
/// (`SmartCutRefusal`); the caller re-encodes them in full.
public final class SmartCutter {
    public struct Report: Sendable, Codable {
        public var duration: Double
        public var width: Int
        public var height: Int
        /// The camera's own rate, kept (its timestamps are copied).
        public var frameRate: Rational
        /// "h264" or "hevc", and the camera's profile, both kept.
        public var codec: String
        public var profile: String
        /// "HLG" or "PQ" for an HDR camera stream, kept; nil for SDR.
        public var hdr: String?
        /// The camera's Dolby Vision record was left out: its re-encoded pictures carry no RPU, so
        /// the cut is plain HLG everywhere rather than switching looks at the joins.
        public var dolbyVisionLeftOut: Bool
        /// A PQ camera's HDR10 messages (mastering display, content light level) were given to
        /// libx265, which wrote them with its pictures too.
        public var hdr10MessagesKept: Bool
        public var pictures: Int
        public var copiedPackets: Int
        public var copiedSeconds: Double
        public var reencodedPictures: Int
        public var reencodedSeconds: Double
        public var validation: ValidationReport
    }

    /// Why this source's video cannot be smart cut at all, or nil when it may be.
    public static func reasonNotToSmartCut(_ info: MediaInfo) -> String? {
        guard let video = RenderPlan.mainVideoStream(in: info) else { return "no video stream" }
        guard ["h264", "hevc"].contains(video.codec) else { return "video is \(video.codec), not H.264 or HEVC" }
        let formats = video.codec == "hevc" ? ["yuv420p", "yuvj420p", "yuv420p10le"] : ["yuv420p", "yuvj420p"]
        guard formats.contains(video.pixelFormat ?? "") else {
            return "video is \(video.pixelFormat ?? "of an unknown pixel format"), not \(video.codec == "hevc" ? "8- or 10-bit" : "8-bit") 4:2:0"
        }
        // HDR HEVC keeps one look across the joins: x265 writes the camera's transfer (HLG, PQ)
        // in its parameter sets, and for PQ the camera's HDR10 messages with its pictures.
        if video.isHDR, video.codec != "hevc" { return "video is HDR H.264: only HEVC's HDR is joined" }
        guard ["progressive", "unknown", nil].contains(video.fieldOrder) else { return "video is interlaced" }
        if let sar = video.sampleAspectRatio, sar.isKnown, sar.num != sar.den { return "pixels are not square (\(sar))" }
        guard min(video.displayWidth ?? 0, video.displayHeight ?? 0) <= 1080 else { return "larger than 1080 on the short side" }
        if video.codec == "hevc" {
            guard ["Main", "Main 10"].contains(video.profile ?? "") else { return "HEVC profile \(video.profile ?? "unknown") has no matching x265 profile" }
        } else {
            guard x264Profile(video.profile) != nil else { return "H.264 profile \(video.profile ?? "unknown") has no matching x264 profile" }
        }
        return nil
    }

    static func x264Profile(_ name: String?) -> String? {
        switch name {
        case "Baseline", "Constrained Baseline": return "baseline"
        case "Main": return "main"
        case "High": return "high"
        default: return nil
        }
    }

    private let inputPath: String
    private let outputPath: String
    private let trim: Trim
    private let rendition: Rendition
    private let cancellation: CancellationFlag
    private let progress: (@Sendable (RenderProgress) -> Void)?

    public init(input: String, output: String, trim: Trim, rendition: Rendition = .editorsCut,
                cancellation: CancellationFlag = CancellationFlag(), progress: (@Sendable (RenderProgress) -> Void)? = nil) {
        inputPath = input
        outputPath = output
        self.trim = trim
        self.rendition = rendition
        self.cancellation = cancellation
        self.progress = progress
    }

    /// Writes the cut into a temporary file, verifies it, then renames it into place.
    public func cut() throws -> Report {
        let outputName = URL(fileURLWithPath: outputPath).lastPathComponent
        let temporary = DurableFile.temporaryPath(for: outputPath)
        defer { unlink(temporary) }

        let input = try Demuxer(path: inputPath, cancellation: cancellation)
        let info = try input.probe(framePacing: false)
        if let reason = Self.reasonNotToSmartCut(info) { throw SmartCutRefusal(reason: reason) }
        let video = RenderPlan.mainVideoStream(in: info)!
        // The same checks, length and sound chain as a full re-encode of the cut.
        let audioPlan = try RenderPlan.make(info: info, videoEnd: { try input.endTime(ofStream: video.index) }, trim: trim, rendition: rendition)
        let stream = input.stream(video.index)
        let timeBase = stream.pointee.time_base
        let camera = try SmartCutCamera(stream)
        let hdr10 = video.hdr == "PQ" ? try input.firstPicture(of: video.index, HDRMessages.init(picture:))?.x265Parameters ?? [] : []

        input.keepOnly(streams: [video.index])
        let packets = try scan(input, stream: video.index, camera: camera)
        let inTicks = ticks(audioPlan.sourceStart, in: timeBase)
        let outTicks = ticks(audioPlan.sourceStart + audioPlan.duration, in: timeBase)
        let plan = try SmartCutPlan.make(packets: packets, in: inTicks, out: outTicks)

        // Ids no camera set uses, for the head's and the tail's encoders.
        let ids = try camera.freeIDs(parts: 2)
        let decoder = try StreamDecoder(stream: stream, fileName: input.fileName, threads: Int32(ProcessInfo.processInfo.activeProcessorCount))
        func reencoder(_ ids: SmartCutIDs, _ range: Range<Int64>) throws -> SmartCutReencoder {
            try SmartCutReencoder(ids: ids, camera: camera, range: range, stream: stream, decoder: decoder, hdr10: hdr10,
                                  rendition: rendition, outputName: outputName)
        }
        // One encoder open at a time (libx265 at 1080x1920 holds about 150 MB): the record needs
        // the tail's parameter sets before anything is written, so they come from an encoder
        // opened and freed at once, and the one that later encodes the tail must write the same.
        let tailHeader = plan.tailPictures > 0 ? try reencoder(ids[1], plan.tail).header : nil
        var head = plan.headPictures > 0 ? try reencoder(ids[0], plan.head) : nil
        var tail: SmartCutReencoder? = nil
        let record = camera.joined(with: [head?.header, tailHeader].compactMap { $0 }.flatMap(\.parameterSets))
        let delay = max(plan.copiedReorderDelay, head?.header.reorderDelay ?? 0, tailHeader?.reorderDelay ?? 0)

        let muxer = try Muxer(path: temporary, outputName: outputName)
        let videoOut = try muxer.addStream(copying: stream)
        try muxer.setExtradata(record, stream: videoOut)
        let origin = plan.pictures[0]
        let sound = try CutSound(input: input, plan: audioPlan, rendition: rendition, origin: Double(origin) * av_q2d(timeBase),
                                 muxer: muxer, outputName: outputName)
        try muxer.writeHeader()
        input.keepOnly(streams: Set([video.index] + (audioPlan.audioStream.map { [$0] } ?? [])))

        var writer = VideoWriter(plan: plan, delay: delay, origin: origin, muxer: muxer, stream: videoOut, lengthSize: camera.lengthSize, outputName: outputName)
        var meter = ProgressMeter(duration: audioPlan.duration, report: progress)
        let index = Dictionary(uniqueKeysWithValues: packets.enumerated().map { ($1.pts, $0) })
        let frame = try Frame(file: input.fileName)
        var videoDone = false, firstRead: Int? = nil
        var audioReached = audioPlan.audioStream == nil ? Double.infinity : -Double.infinity

        func finishHead() throws {
            guard let part = head else { return }
            try decoder.send(nil)
            try receivePictures(into: part)
            decoder.restart()
            for encoded in try part.finish() { try writer.write(encoded) }
            head = nil
        }
        func startTail() throws -> SmartCutReencoder? {
            try finishHead()
            if tail == nil, let tailHeader {
                let part = try reencoder(ids[1], plan.tail)
                guard part.header == tailHeader else {
                    throw TranscodeError(.processing, file: outputName, "smart cut: the tail's encoder wrote other parameter sets than it did before")
                }
                tail = part
            }
            return tail
        }
        func receivePictures(into part: SmartCutReencoder?) throws {
            while try decoder.receive(into: frame) {
                defer { frame.unref() }
                let pts = frame.pointer.pointee.best_effort_timestamp
                guard let part, part.range.contains(pts), plan.pictureIndex(pts) != nil else { continue }
                frame.pts = pts
                frame.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE
                try part.encoder.send(frame)
                try part.collect()
            }
        }

        // Reads on until the pictures are done (never before the first packet) and the sound is a
        // second past the cut's end, or to the end of the readable file.
        func readOn() -> PacketLoopAction { !videoDone || audioReached < audioPlan.duration + 1.0 ? .next : .stop }
        try input.forEachPacket(from: .keyframe(stream: video.index, atOrBefore: packets[plan.decodeFrom].dts),
                                cancellation: cancellation) { packet in
            if packet.streamIndex == audioPlan.audioStream {
                audioReached = max(audioReached, try sound.push(packet))
                return readOn()
            }
            guard packet.streamIndex == video.index, !videoDone, let i = index[packet.pointer.pointee.pts] else { return readOn() }
            if firstRead == nil {
                firstRead = i
                // The seek went past the IDR the head decodes from: the head would lose pictures.
                if i > plan.decodeFrom { throw TranscodeError(.processing, file: input.fileName, "smart cut: seeking missed the keyframe before the in point") }
            }
            guard i >= plan.decodeFrom else { return readOn() }
            if i < plan.copied.lowerBound {
                try decoder.send(packet)
                try receivePictures(into: head)
            } else if plan.copied.contains(i) {
                try finishHead()
                try writer.copy(packet)
            } else {
                let part = try startTail()
                try decoder.send(packet)
                try receivePictures(into: part)
            }
            if i >= plan.lastNeeded || i + 1 == packets.count { videoDone = true }
            meter.update(position: writer.position(timeBase))
            try sound.keepPace(with: writer.position(timeBase))
            return readOn()
        }
        try finishHead()
        if let part = tail {
            try decoder.send(nil)
            try receivePictures(into: part)
            for encoded in try part.finish() { try writer.write(encoded) }
        }
        guard writer.written > 0 else { throw TranscodeError(.badInput, file: input.fileName, "no picture of the cut could be read") }
        try sound.finish()
        try muxer.finish()
        meter.update(position: audioPlan.duration, force: true)

        let validation = try OutputValidator(path: temporary, displayName: outputName, profile: .editorsCut).moveIntoPlaceIfValid(as: outputPath)
        let copiedSeconds = Double(plan.copied.reduce(Int64(0)) { $0 + packets[$1].duration }) * av_q2d(timeBase)
        let total = Double(plan.length) * av_q2d(timeBase)
        let rate = video.averageFrameRate.flatMap { $0.isKnown ? $0 : nil } ?? video.realFrameRate ?? Rational(0, 1)
        return Report(duration: total, width: video.displayWidth ?? 0, height: video.displayHeight ?? 0, frameRate: rate,
                      codec: video.codec, profile: video.profile ?? "", hdr: video.hdr, dolbyVisionLeftOut: video.dolbyVision == true, hdr10MessagesKept: !hdr10.isEmpty,
                      pictures: writer.written, copiedPackets: plan.copied.count, copiedSeconds: copiedSeconds,
                      reencodedPictures: writer.written - plan.copied.count, reencodedSeconds: max(0, total - copiedSeconds),
                      validation: validation)
    }

    /// Every video packet's timestamps and whether it starts a closed GOP: a demux-only pass.
    private func scan(_ input: Demuxer, stream index: Int, camera: SmartCutCamera) throws -> [SourcePacket] {
        var packets: [SourcePacket] = []
        // The refusal below needs the read error before a rewind clears it: this pass rewinds itself.
        try input.forEachPacket { packet in
            if cancellation.isCancelled { throw TranscodeError(.cancelled, file: input.fileName, "cancelled") }
            let p = packet.pointer.pointee
            guard packet.streamIndex == index else { return .next }
            guard p.pts != LibAVStatus.noTimestamp, p.dts != LibAVStatus.noTimestamp else {
                throw SmartCutRefusal(reason: "a video packet has no timestamp")
            }
            let isKey = (p.flags & AV_PKT_FLAG_KEY) != 0
            let isIDR = isKey && camera.startsAfresh(packet.bytes)
            packets.append(SourcePacket(pts: p.pts, dts: p.dts, duration: p.duration, isKey: isKey, isIDR: isIDR))
            return .next
        }
        if let error = input.readError { throw SmartCutRefusal(reason: "the file cannot be read to its end (\(error))") }
        try input.rewind()
        return packets
    }
}

/// Writes the cut's video packets in decode order, with decode times that stay ordered across the joins.
private struct VideoWriter {
    let plan: SmartCutPlan
    let delay: Int
    let origin: Int64
    let muxer: Muxer
    let stream: Int
    let lengthSize: Int
    let outputName: String
    private(set) var written = 0
    private var lastPTS: Int64 = 0

    init(plan: SmartCutPlan, delay: Int, origin: Int64, muxer: Muxer, stream: Int, lengthSize: Int, outputName: String) {
        self.plan = plan; self.delay = delay; self.origin = origin; self.muxer = muxer
        self.stream = stream; self.lengthSize = lengthSize; self.outputName = outputName
    }

    func position(_ timeBase: AVRational) -> Double { Double(lastPTS - origin) * av_q2d(timeBase) }

    /// A camera packet, its bytes untouched.
    mutating func copy(_ packet: Packet) throws {
        let pts = packet.pointer.pointee.pts
        let own = packet.pointer.pointee.duration
        try place(packet, pts: pts, duration: own > 0 ? own : plan.duration(ofPicture: pts))
    }

    /// A re-encoded picture, as a sample with the camera's length-prefix size.
    mutating func write(_ picture: SmartCutEncodedPicture) throws {
        guard let sample = H264Bitstream.sample(picture.units, lengthSize: lengthSize) else {
            throw TranscodeError(.processing, file: outputName, "a re-encoded picture's NAL unit is too long for the camera's \(lengthSize)-byte lengths")
        }
        let packet = try Packet(copying: sample, file: outputName)
        if picture.isKey { packet.pointer.pointee.flags |= AV_PKT_FLAG_KEY }
        try place(packet, pts: picture.pts, duration: plan.duration(ofPicture: picture.pts))
    }

    private mutating func place(_ packet: Packet, pts: Int64, duration: Int64) throws {
        let dts = plan.decodeTime(ofPacket: written, delay: delay)
        guard dts <= pts else {
            throw TranscodeError(.processing, file: outputName, "smart cut: a picture would be decoded after it is shown")
        }
        packet.pointer.pointee.pts = pts - origin
        packet.pointer.pointee.dts = dts - origin
        packet.pointer.pointee.duration = duration
        try muxer.write(packet, stream: stream)
        written += 1
        lastPTS = max(lastPTS, pts)
    }
}

/// The cut's sound: decoded, trimmed to the pictures' span and re-encoded as a full re-encode does it.
private final class CutSound {
    private let decoder: StreamDecoder?
    private let track: EncodedTrack
    private let frame: Frame
    /// Source time (seconds) of the cut's first picture: the sound's zero.
    private let origin: Double

    init(input: Demuxer, plan: RenderPlan, rendition: Rendition, origin: Double, muxer: Muxer, outputName: String) throws {
        self.origin = origin
        frame = try Frame(file: input.fileName)
        decoder = try plan.audioStream.map { try StreamDecoder(stream: input.stream($0), fileName: input.fileName) }
        let graph = try FilterGraph(sourceFilter: decoder.map { ("abuffer", Pipeline.audioSourceArguments($0)) },
                                    description: plan.audioGraph(sourceHasAudio: decoder != nil, card: nil),
                                    sinkFilter: "abuffersink", context: input.fileName)
        let encoder = try Pipeline.aacEncoder(rendition: rendition, outputName: outputName)
        graph.setOutputFrameSize(encoder.frameSize)
        track = try EncodedTrack(graph: graph, encoder: encoder, muxer: muxer)
    }

    /// Decodes a packet of sound, rebased so the cut's first picture is 0; returns the time reached.
    func push(_ packet: Packet) throws -> Double {
        guard let decoder else { return .infinity }
        try decoder.send(packet)
        return try receive()
    }

    /// Without a sound track the cut carries silence, made as far as the pictures have got.
    func keepPace(with position: Double) throws {
        if decoder == nil { try track.drain(until: position + 0.5) }
    }

    private func receive() throws -> Double {
        guard let decoder else { return .infinity }
        return try decoder.receiveRebased(into: frame, by: ticks(origin, in: decoder.timeBase)) { received, _ in
            try track.push(received, duration: received.soundDuration(in: decoder.timeBase))
        }
    }

    func finish() throws {
        if let decoder {
            try decoder.send(nil)
            _ = try receive()
        }
        try track.endInput()
    }
}
