import CAV
import Foundation

/// The editors' cut without re-encoding: the camera's own H.264/HEVC pictures and AAC sound,
/// packet for packet, into a fresh MP4 with no tags or data tracks — only the display matrix is
/// carried over, so the clip still shows upright.
public final class StreamCopyRemuxer {
    /// Why a clip cannot be copied as it is, or nil when it can.
    public static func reasonToReencode(_ info: MediaInfo) -> String? {
        guard let video = RenderPlan.mainVideoStream(in: info) else { return "no video stream" }
        guard ["h264", "hevc"].contains(video.codec) else { return "video is \(video.codec), not H.264 or HEVC" }
        guard video.bitDepth == 8 else { return "video is \(video.bitDepth ?? 0)-bit" }
        guard !video.isHDR else { return "video is HDR" }
        guard ["progressive", "unknown", nil].contains(video.fieldOrder) else { return "video is interlaced" }
        if let sar = video.sampleAspectRatio, sar.num != sar.den { return "pixels are not square (\(sar))" }
        guard video.variableFrameRate == false else { return "frame rate varies" }
        guard min(video.displayWidth ?? 0, video.displayHeight ?? 0) <= 1080 else { return "larger than 1080 on the short side" }
        if let audio = info.audioStreams.first, audio.codec != "aac" { return "audio is \(audio.codec), not AAC" }
        return nil
    }

    private let inputPath: String
    private let outputPath: String

    public init(input: String, output: String) {
        inputPath = input
        outputPath = output
    }

    /// Copies into a temporary file, verifies it, then renames it into place.
    public func remux(cancellation: CancellationFlag = CancellationFlag()) throws -> (duration: Double, validation: ValidationReport) {
        let outputName = URL(fileURLWithPath: outputPath).lastPathComponent
        let temporary = DurableFile.temporaryPath(for: outputPath)
        defer { unlink(temporary) }
        let input = try MediaInput(path: inputPath)
        let info = input.probe()
        if let reason = Self.reasonToReencode(info) {
            throw TranscodeError(.rejected, file: input.fileName, "cannot be copied untouched: \(reason)")
        }
        let video = RenderPlan.mainVideoStream(in: info)!.index
        let audio = info.audioStreams.first?.index
        let selected = [video] + (audio.map { [$0] } ?? [])
        input.keepOnly(streams: Set(selected))

        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        guard avformat_alloc_output_context2(&ctx, nil, "mp4", temporary) >= 0, let out = ctx else {
            throw TranscodeError(.output, file: outputName, "cannot create an MP4 muxer")
        }
        defer {
            if out.pointee.pb != nil { avio_closep(&out.pointee.pb) }
            avformat_free_context(out)
        }
        out.pointee.flags |= AVFMT_FLAG_BITEXACT
        var outputIndex: [Int: Int] = [:]
        for index in selected {
            let source = input.stream(index)
            guard let stream = avformat_new_stream(out, nil) else { fatalError("avformat_new_stream: out of memory") }
            avcodec_parameters_copy(stream.pointee.codecpar, source.pointee.codecpar)
            stream.pointee.codecpar.pointee.codec_tag = 0
            stream.pointee.time_base = source.pointee.time_base
            var size: Int = 0
            if let matrix = av_stream_get_side_data(source, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 36,
               let copy = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, size) {
                copy.update(from: matrix, count: size)
            }
            outputIndex[index] = Int(stream.pointee.index)
        }
        var status = avio_open(&out.pointee.pb, temporary, AVIO_FLAG_WRITE)
        if status < 0 { throw TranscodeError(.output, file: outputName, "cannot create \(temporary): \(libavErrorText(status))") }
        var options: OpaquePointer? = nil
        av_dict_set(&options, "movflags", "+faststart", 0)
        status = avformat_write_header(out, &options)
        av_dict_free(&options)
        if status < 0 { throw TranscodeError(.output, file: outputName, "cannot write the MP4 header: \(libavErrorText(status))") }

        // Both streams shift by the same amount, so they stay in sync and the earliest starts at 0.
        let origin = selected.map { info.streams[$0].startTime ?? 0 }.min() ?? 0
        let packet = Packet()
        while av_read_frame(input.context, packet.pointer) >= 0 {
            defer { packet.unref() }
            if cancellation.isCancelled { throw TranscodeError(.cancelled, file: input.fileName, "cancelled") }
            guard let target = outputIndex[packet.streamIndex] else { continue }
            let tb = input.stream(packet.streamIndex).pointee.time_base
            let shift = av_rescale_q(Int64((origin * Double(mo_time_base())).rounded()), mo_time_base_q(), tb)
            if packet.pointer.pointee.pts != LibAVStatus.noTimestamp { packet.pointer.pointee.pts -= shift }
            if packet.pointer.pointee.dts != LibAVStatus.noTimestamp { packet.pointer.pointee.dts -= shift }
            packet.pointer.pointee.stream_index = Int32(target)
            packet.pointer.pointee.pos = -1
            av_packet_rescale_ts(packet.pointer, tb, out.pointee.streams[target]!.pointee.time_base)
            status = av_interleaved_write_frame(out, packet.pointer)
            if status < 0 { throw TranscodeError(.output, file: outputName, "writing failed: \(libavErrorText(status))") }
        }
        status = av_write_trailer(out)
        avio_closep(&out.pointee.pb)
        if status < 0 { throw TranscodeError(.output, file: outputName, "cannot finish the MP4: \(libavErrorText(status))") }
        try DurableFile.sync(path: temporary, name: outputName)
        let validation = OutputValidator(path: temporary, displayName: outputName, profile: .editorsCut).validate()
        guard validation.passed else {
            throw TranscodeError(.verification, file: outputName, "the copy is not sound: \(validation.failures.map(\.summary).joined(separator: "; "))")
        }
        try DurableFile.publish(temporary: temporary, as: outputPath)
        return ((try? MediaInput(path: outputPath))?.duration ?? 0, validation)
    }
}
