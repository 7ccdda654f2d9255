import CAV

/// The re-encoder of a smart cut's head or tail: libx264 or libx265 set to the camera's stream
/// (profile, level, size, pixel format and range, colour, time base), writing its parameter sets
/// under ids of its own so its pictures and the camera's share one track.
final class SmartCutReencoder {
    /// What the joined record and the decode times need to know of an encoder before it encodes.
    struct Header: Equatable {
        /// Its parameter sets, with their NAL types.
        var parameterSets: [ParameterSet]
        /// Pictures the encoder decodes ahead of showing them (its B-frame delay).
        var reorderDelay: Int
    }

    let encoder: StreamEncoder
    let header: Header
    /// The presentation times this part re-encodes.
    let range: Range<Int64>
    private let renumbering: HEVCRenumbering?
    private var encoded: [SmartCutEncodedPicture] = []
    private let packet: Packet

    /// `hdr10`: a PQ camera's messages as x265 parameters, for libx265 to write on its pictures too.
    init(ids: SmartCutIDs, camera: SmartCutCamera, range: Range<Int64>, stream: UnsafeMutablePointer<AVStream>, decoder: StreamDecoder,
         hdr10: [String], rendition: Rendition, outputName: String) throws {
        self.range = range
        packet = try Packet(file: outputName)
        let par = stream.pointee.codecpar.pointee
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        let decodedFormat = decoder.context.pointee.pix_fmt
        let (codecName, options) = switch camera {
        case .avc: ("libx264", Self.x264Options(par, ids: ids, rendition: rendition))
        case .hevc: ("libx265", Self.x265Options(par, rendition: rendition, tenBit: decodedFormat == AV_PIX_FMT_YUV420P10LE, hdr10: hdr10))
        }
        encoder = try StreamEncoder(codecName: codecName, outputName: outputName, options: options) { ctx in
            ctx.pointee.width = par.width
            ctx.pointee.height = par.height
            ctx.pointee.pix_fmt = [AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV420P10LE].contains(decodedFormat) ? decodedFormat : AV_PIX_FMT_YUV420P
            ctx.pointee.time_base = stream.pointee.time_base
            ctx.pointee.framerate = rate.num > 0 ? rate : AVRational(num: 30, den: 1)
            ctx.pointee.sample_aspect_ratio = par.sample_aspect_ratio.num > 0 ? par.sample_aspect_ratio : AVRational(num: 1, den: 1)
            ctx.pointee.color_primaries = par.color_primaries
            ctx.pointee.color_trc = par.color_trc
            ctx.pointee.colorspace = par.color_space
            ctx.pointee.color_range = par.color_range == AVCOL_RANGE_JPEG || decodedFormat == AV_PIX_FMT_YUVJ420P ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
            ctx.pointee.thread_count = 0
        }
        let extradata = Array(UnsafeBufferPointer(start: encoder.context.pointee.extradata, count: Int(encoder.context.pointee.extradata_size)))
        let units = extradata.withUnsafeBufferPointer { H264Bitstream.annexBUnits($0) }
        let parameterSets: [ParameterSet]
        switch camera {
        case .avc:
            guard let sps = units.first(where: { H264Bitstream.sequenceParameterSetID(Array($0)) == ids.sequence }),
                  let pps = units.first(where: { H264Bitstream.pictureParameterSetID(Array($0)) == ids.picture }) else {
                throw TranscodeError(.processing, file: outputName, "libx264 did not write its parameter sets under id \(ids.sequence)")
            }
            parameterSets = [ParameterSet(type: H264Bitstream.sequenceParameterSet, unit: Array(sps)),
                             ParameterSet(type: H264Bitstream.pictureParameterSet, unit: Array(pps))]
            renumbering = nil
        case .hevc:
            do {
                let renumbered = try HEVCRenumbering(encoderHeader: units, ids: ids)
                parameterSets = renumbered.parameterSets
                renumbering = renumbered
            } catch let error as HEVCSyntax.Unsupported {
                throw TranscodeError(.processing, file: outputName, error.description)
            }
        }
        header = Header(parameterSets: parameterSets, reorderDelay: Int(encoder.context.pointee.has_b_frames))
    }

    static func x264Options(_ par: AVCodecParameters, ids: SmartCutIDs, rendition: Rendition) -> [String: String] {
        var options = ["preset": rendition.x264Preset, "crf": String(rendition.crf),
                       "profile": SmartCutter.x264Profile(avcodec_profile_name(par.codec_id, par.profile).map { String(cString: $0) }) ?? "high",
                       "x264-params": (["sps-id=\(ids.sequence)", "open-gop=0", "scenecut=0"] + rendition.x264Tuning).joined(separator: ":")]
        if par.level > 0 { options["level"] = "\(par.level / 10).\(par.level % 10)" }
        return options
    }

    /// libx265 kept to the syntax `HEVCSyntax` rewrites: one slice per picture without entry
    /// points (no wavefront), no weighted prediction, no delimiters and no SEI but HDR10's (which
    /// it writes with each keyframe), IDR keyframes only. HEVC's level is 30 times its number (4.1 is 123).
    static func x265Options(_ par: AVCodecParameters, rendition: Rendition, tenBit: Bool, hdr10: [String]) -> [String: String] {
        var parameters = ["log-level=none", "open-gop=0", "scenecut=0", "keyint=1000", "wpp=0", "weightp=0", "weightb=0",
                          "info=0", "hash=0", "aud=0", "repeat-headers=0"] + hdr10
        if par.level > 0 { parameters.append("level-idc=\(par.level / 30).\(par.level % 30 / 3)") }
        return ["preset": rendition.x264Preset, "crf": String(rendition.crf), "profile": tenBit ? "main10" : "main",
                "x265-params": parameters.joined(separator: ":")]
    }

    /// Takes what the encoder has ready: its pictures' slices (and x264's SEI, x265's HDR10
    /// messages) as NAL units, the parameter sets and delimiters it repeats left out (they are in the record).
    func collect() throws {
        while try encoder.receive(into: packet) {
            defer { packet.unref() }
            let p = packet.bytes
            let annexB = p.count >= 4 && p[0] == 0 && p[1] == 0 && (p[2] == 1 || (p[2] == 0 && p[3] == 1))
            guard let units = annexB ? H264Bitstream.annexBUnits(p) : H264Bitstream.lengthPrefixedUnits(p, lengthSize: 4) else {
                throw TranscodeError(.processing, file: encoder.name, "an encoded picture could not be split into NAL units")
            }
            var kept: [ArraySlice<UInt8>] = []
            if let renumbering {
                for unit in units {
                    if HEVCSyntax.carriesHDR10Message(unit) { kept.append(unit); continue }
                    guard HEVCSyntax.sliceTypes.contains(HEVCSyntax.type(unit)) else { continue }
                    do { kept.append(try renumbering.slice(unit)[...]) } catch let error as HEVCSyntax.Unsupported {
                        throw TranscodeError(.processing, file: encoder.name, error.description)
                    }
                }
            } else {
                kept = units.filter { ![H264Bitstream.sequenceParameterSet, H264Bitstream.pictureParameterSet, 9].contains($0.first! & 0x1F) }
            }
            encoded.append(SmartCutEncodedPicture(units: kept, pts: packet.pointer.pointee.pts,
                                                  isKey: (packet.pointer.pointee.flags & AV_PKT_FLAG_KEY) != 0))
        }
    }

    /// Flushes the encoder: every picture of this part, in decode order.
    func finish() throws -> [SmartCutEncodedPicture] {
        try encoder.send(nil)
        try collect()
        defer { encoded = [] }
        return encoded
    }
}

struct SmartCutEncodedPicture {
    var units: [ArraySlice<UInt8>]
    var pts: Int64
    var isKey: Bool
}
