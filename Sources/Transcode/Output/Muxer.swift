import CAV
import Foundation

/// Writes an MP4 with the moov atom first (faststart) and nothing carried over from the source:
/// no tags, no side data, bitexact (no muxer version or creation time). Owns its AVFormatContext
/// (freed in deinit, and only there) and the file it writes (closed by `closeFile`, and only there).
final class Muxer {
    private let context: UnsafeMutablePointer<AVFormatContext>
    /// Per output stream, the time base its packets arrive in (an encoder's, or a copied stream's).
    private var sourceTimeBases: [AVRational] = []
    private var headerWritten = false
    let path: String
    private let outputName: String

    init(path: String, outputName: String) throws {
        self.path = path
        self.outputName = outputName
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        let status = avformat_alloc_output_context2(&ctx, nil, "mp4", path)
        guard status >= 0, let ctx else {
            throw TranscodeError(.output, file: outputName, "cannot create an MP4 muxer: \(libavErrorText(status))")
        }
        context = ctx
        ctx.pointee.flags |= AVFMT_FLAG_BITEXACT
    }

    deinit {
        closeFile()
        avformat_free_context(context)
    }

    /// Closes the output file (the AVIOContext `writeHeader` opened), when it is open: at the
    /// finish, or in deinit when the render stopped before it.
    private func closeFile() {
        if context.pointee.pb != nil { avio_closep(&context.pointee.pb) }
    }

    /// Adds a stream carrying `encoder`'s output; returns its index.
    func addStream(for encoder: StreamEncoder) throws -> Int {
        guard let stream = avformat_new_stream(context, nil) else {
            throw TranscodeError.outOfMemory(allocating: "the \(encoder.name) stream", file: outputName)
        }
        let status = avcodec_parameters_from_context(stream.pointee.codecpar, encoder.context)
        if status < 0 { throw TranscodeError(.output, file: outputName, "cannot describe the \(encoder.name) stream: \(libavErrorText(status))") }
        stream.pointee.time_base = encoder.timeBase
        sourceTimeBases.append(encoder.timeBase)
        return Int(stream.pointee.index)
    }

    /// Adds a stream whose packets are copied untouched from `source`, keeping its display matrix
    /// (which way up the picture goes) and, when every packet is the camera's, its Dolby Vision
    /// record (the packets carry the metadata that record announces); nothing else.
    func addStream(copying source: UnsafeMutablePointer<AVStream>, keepingDolbyVision: Bool = false) throws -> Int {
        guard let stream = avformat_new_stream(context, nil) else {
            throw TranscodeError.outOfMemory(allocating: "a copy of stream \(source.pointee.index)", file: outputName)
        }
        let status = avcodec_parameters_copy(stream.pointee.codecpar, source.pointee.codecpar)
        if status < 0 { throw TranscodeError(.output, file: outputName, "cannot copy stream \(source.pointee.index): \(libavErrorText(status))") }
        // MP4's own tags: avc1, and hvc1 for HEVC (parameter sets in the sample description
        // only), which QuickTime and Safari need and libav would otherwise write as hev1.
        stream.pointee.codecpar.pointee.codec_tag = source.pointee.codecpar.pointee.codec_id == AV_CODEC_ID_HEVC ? Self.hvc1 : 0
        stream.pointee.time_base = source.pointee.time_base
        var size: Int = 0
        if let matrix = av_stream_get_side_data(source, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 36,
           let copy = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, size) {
            copy.update(from: matrix, count: size)
        }
        if keepingDolbyVision, let record = av_stream_get_side_data(source, AV_PKT_DATA_DOVI_CONF, &size), size > 0,
           let copy = av_stream_new_side_data(stream, AV_PKT_DATA_DOVI_CONF, size) {
            copy.update(from: record, count: size)
            // libavformat 5.1 writes the dvcC/dvvC box only when allowed unofficial boxes.
            context.pointee.strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL
        }
        sourceTimeBases.append(source.pointee.time_base)
        return Int(stream.pointee.index)
    }

    private static let hvc1 = UInt32(UInt8(ascii: "h")) | UInt32(UInt8(ascii: "v")) << 8 | UInt32(UInt8(ascii: "c")) << 16 | UInt32(UInt8(ascii: "1")) << 24

    /// Replaces a stream's codec configuration (a smart cut's avcC with the re-encoder's parameter sets added).
    /// The new record is allocated before the old one is freed, so a failure leaves the stream as it was.
    func setExtradata(_ bytes: [UInt8], stream index: Int) throws {
        let par = context.pointee.streams[index]!.pointee.codecpar!
        guard let buffer = av_mallocz(bytes.count + Int(AV_INPUT_BUFFER_PADDING_SIZE))?.assumingMemoryBound(to: UInt8.self) else {
            throw TranscodeError.outOfMemory(allocating: "the codec configuration of stream \(index) (\(bytes.count) bytes)", file: outputName)
        }
        buffer.update(from: bytes, count: bytes.count)
        av_freep(&par.pointee.extradata)
        par.pointee.extradata = buffer
        par.pointee.extradata_size = Int32(bytes.count)
    }

    func writeHeader() throws {
        var status = avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE)
        if status < 0 { throw TranscodeError(.output, file: outputName, "cannot create \(path): \(libavErrorText(status))") }
        let options = try LibAVDictionary([("movflags", "+faststart")], file: outputName)
        status = avformat_write_header(context, &options.pointer)
        if status < 0 { throw TranscodeError(.output, file: outputName, "cannot write the MP4 header: \(libavErrorText(status))") }
        headerWritten = true
    }

    /// Writes a packet of stream `index`, rescaling from the time base its packets arrive in.
    func write(_ packet: Packet, stream index: Int) throws {
        packet.pointer.pointee.stream_index = Int32(index)
        packet.pointer.pointee.pos = -1
        av_packet_rescale_ts(packet.pointer, sourceTimeBases[index], context.pointee.streams[index]!.pointee.time_base)
        let status = av_interleaved_write_frame(context, packet.pointer)
        if status < 0 { throw TranscodeError(.output, file: outputName, "writing failed: \(libavErrorText(status))") }
    }

    /// Writes the trailer (with faststart, moves moov before mdat), closes and fsyncs the file.
    func finish() throws {
        guard headerWritten else { return }
        let status = av_write_trailer(context)
        closeFile()
        if status < 0 { throw TranscodeError(.output, file: outputName, "cannot finish the MP4: \(libavErrorText(status))") }
        try DurableFile.sync(path: path, name: outputName)
    }
}
