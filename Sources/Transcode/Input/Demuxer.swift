import CAV
import Foundation

/// An uploaded file opened as media, and only as media: the one place a file is opened for
/// reading packets. It owns the AVFormatContext (freed in deinit, and only there), decides the
/// container before libav opens anything (a playlist, concat script, SDP or picture is refused,
/// since those make libav read other files), restricts libav to the file protocol, ties every
/// blocking libav call to a cancellation flag, and tells end of file from a read error in every
/// packet loop. Not Sendable: one thread reads it at a time.
public final class Demuxer {
    let context: UnsafeMutablePointer<AVFormatContext>
    public let path: String
    /// The name producers recognise ("abu.mp4"), used in every message.
    public let fileName: String
    /// Kept alive as long as the context: libav calls back into it from blocking calls.
    private let interrupt: InterruptCheck
    /// Why packet reading stopped early, when it did (a damaged file), for the messages that follow.
    public internal(set) var readError: String?
    /// A file still arriving is read through libav's custom I/O; kept as long as the context.
    private let growingIO: GrowingFileIO?

    /// The containers phones, cameras, screen recorders and browsers write. Anything else that
    /// libav would open (concat scripts, HLS/DASH playlists, SDP, image sequences, text) can make
    /// it read other files or the network, so it is refused before opening.
    public static let containerWhitelist = ["mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "mpegts", "avi", "dv",
                                            "flv", "asf", "mpeg", "ogg"]

    /// With `growing`, the file is one still arriving (`path` is its path): reads wait for its
    /// bytes instead of ending at its current size.
    public init(path: String, cancellation: CancellationFlag? = nil, growing: GrowingFile? = nil) throws {
        _ = LibAVProcess.defaults
        self.path = path
        let name = URL(fileURLWithPath: path).lastPathComponent
        fileName = name
        interrupt = InterruptCheck(cancellation: cancellation)
        let format: UnsafePointer<AVInputFormat>
        if let growing {
            format = try Self.container(head: try Self.head(of: growing, cancellation: cancellation), name: name)
            growingIO = try GrowingFileIO(GrowingFileCursor(file: growing, cancellation: cancellation))
        } else {
            try Self.checkIsAFile(path, name: name)
            format = try Self.container(of: path, name: name)
            growingIO = nil
        }

        // Built before the context, so nothing can throw between allocating it and handing it to
        // avformat_open_input, which frees it itself when it fails.
        // A file still arriving is probed on its first two seconds, not five: its render should start.
        let options = try LibAVDictionary([("format_whitelist", Self.containerWhitelist.joined(separator: ",")),
                                           ("protocol_whitelist", "file")] + (growing == nil ? [] : [("analyzeduration", "2000000")]), file: name)
        guard let allocated = avformat_alloc_context() else {
            throw TranscodeError.outOfMemory(allocating: "a demuxer", file: name)
        }
        allocated.pointee.interrupt_callback = AVIOInterruptCB(callback: demuxerInterruptCallback,
                                                              opaque: Unmanaged.passUnretained(interrupt).toOpaque())
        if let growingIO {
            // Freed by this object (GrowingFileIO), never by libav: CUSTOM_IO says so.
            allocated.pointee.pb = growingIO.context
            allocated.pointee.flags |= mo_avfmt_flag_custom_io()
            // Read as a stream: a seekable MP4 would walk every fragment to the end before its
            // first packet, and a Matroska file would jump to its cues at the end. A second pass
            // (an HDR source's first picture) then cannot go back, and says so.
            growingIO.context.pointee.seekable = 0
        }
        var ctx: UnsafeMutablePointer<AVFormatContext>? = allocated
        let opened = avformat_open_input(&ctx, path, format, &options.pointer)
        guard opened >= 0, let ready = ctx else {
            if let failure = growingIO?.cursor.failure { throw failure }
            // An interrupted read surfaces as whatever the demuxer makes of a short read.
            if opened == mo_averror_exit() || interrupt.isCancelled { throw TranscodeError(.cancelled, file: name, "cancelled") }
            throw Self.openFailure(path: path, name: name, code: opened)
        }
        // From here on the context is this object's: every failure below throws after `context`
        // is set, so deinit (which runs once an object is fully initialised) is the only free.
        context = ready

        // Stream-info probing decodes a few frames; one thread each is plenty and keeps a render's
        // peak memory from holding a second set of frame-threading buffers.
        let streamCount = Int(ready.pointee.nb_streams)
        let probeOptions = LibAVDictionaryArray(count: max(streamCount, 1))
        for i in 0..<streamCount { try probeOptions.set("threads", "1", at: i, file: name) }
        let found = probeOptions.pointers.withUnsafeMutableBufferPointer { avformat_find_stream_info(ready, $0.baseAddress) }
        if let failure = growingIO?.cursor.failure { throw failure }
        if found == mo_averror_exit() || interrupt.isCancelled { throw TranscodeError(.cancelled, file: name, "cancelled") }
        guard found >= 0 else {
            throw TranscodeError(.badInput, file: name, "could not read the streams: \(libavErrorText(found))")
        }
        guard nb_streams > 0 else {
            throw TranscodeError(.badInput, file: name, "contains no audio or video streams")
        }
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&owned)
    }

    var nb_streams: Int { Int(context.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        context.pointee.streams[index]!
    }

    /// Every stream, in container order.
    var allStreams: [UnsafeMutablePointer<AVStream>] { (0..<nb_streams).map(stream) }

    /// The container's short names as libav knows them ("mov,mp4,m4a,3gp,3g2,mj2").
    public var containerName: String { String(cString: context.pointee.iformat.pointee.name) }

    /// Seconds, or nil when the container does not say (live WebM recordings).
    public var duration: Double? {
        let d = context.pointee.duration
        guard d != LibAVStatus.noTimestamp, d > 0 else { return nil }
        return Double(d) / Double(mo_time_base())
    }

    // MARK: Reading packets

    /// The one packet loop: goes to `start`, then reads packet after packet and lends each one of
    /// `streams` (every stream when nil) to `body`, dropping its payload when `body` returns or
    /// throws. Reading stops when `body` answers `.stop`, at the end of the file, or at a read
    /// error in a damaged file (what was read until then stays usable, as in `read(into:)`).
    /// With `cancellation`, the flag is checked before each read; with `rewinding`, the reader goes
    /// back to the first packet afterwards, for the next pass (not when the loop throws).
    /// Returns why reading stopped early (`readError` as it stood before any rewind), or nil.
    @discardableResult
    func forEachPacket(from start: PacketLoopStart = .current, streams: Set<Int>? = nil, cancellation: CancellationFlag? = nil,
                       rewinding: Bool = false, _ body: (Packet) throws -> PacketLoopAction) throws -> String? {
        switch start {
        case .current: break
        case .time(let seconds): seek(to: seconds)
        case .keyframe(let index, let dts): try seek(stream: index, toKeyframeAtOrBefore: dts)
        }
        let packet = try Packet(file: fileName)
        while true {
            if let cancellation, cancellation.isCancelled { throw TranscodeError(.cancelled, file: fileName, "cancelled") }
            guard try read(into: packet) else { break }
            defer { packet.unref() }
            if let streams, !streams.contains(packet.streamIndex) { continue }
            if try body(packet) == .stop { break }
        }
        let stoppedEarly = readError
        if rewinding { try rewind() }
        return stoppedEarly
    }

    /// Reads the next packet into `packet`. False at the end of the readable data: the end of the
    /// file, or a read error in a damaged file (what was read until then stays usable, as the
    /// ffmpeg CLI treats it; `readError` says why). Throws only when cancelled. The step of
    /// `forEachPacket`, which every pass over the file goes through.
    func read(into packet: Packet) throws -> Bool {
        // The callback only runs when libav really waits on I/O; a buffered read would not see it.
        if interrupt.isCancelled { throw TranscodeError(.cancelled, file: fileName, "cancelled") }
        var retries = 0
        while true {
            let status = av_read_frame(context, packet.pointer)
            if status >= 0 { return true }
            if status == LibAVStatus.endOfFile { return false }
            // A file still arriving that stalled or was abandoned: not a damaged file's end.
            if let failure = growingIO?.cursor.failure { throw failure }
            if status == mo_averror_exit() || interrupt.isCancelled {
                throw TranscodeError(.cancelled, file: fileName, "cancelled")
            }
            if status == LibAVStatus.tryAgain && retries < 100 { retries += 1; continue }
            readError = readError ?? libavErrorText(status)
            return false
        }
    }

    /// Back to the first packet, for a second pass over the file. Throws when the container
    /// cannot go back (then a second pass would silently read nothing).
    func rewind() throws {
        readError = nil
        var status = av_seek_frame(context, -1, 0, AVSEEK_FLAG_BACKWARD)
        if status < 0 { status = avformat_seek_file(context, -1, Int64.min, 0, 0, 0) }
        if status < 0 {
            throw TranscodeError(.badInput, file: fileName, "cannot go back to the start of the file: \(libavErrorText(status))")
        }
    }

    /// To the keyframe at or before `seconds`; a failed seek leaves the reader where it was (the
    /// caller then drops what comes before the in point by timestamp).
    func seek(to seconds: Double) {
        let target = ticks(seconds, in: mo_time_base_q())
        avformat_seek_file(context, -1, Int64.min, target, target, 0)
    }

    // MARK: Opening

    private static func checkIsAFile(_ path: String, name: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            // Missing is the upload's fault; anything else (EIO, a stale network mount) may pass.
            if errno == ENOENT { throw TranscodeError(.badInput, file: name, "file not found") }
            throw TranscodeError(.output, file: name, "cannot be read now: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw TranscodeError(.badInput, file: name, (st.st_mode & S_IFMT) == S_IFDIR ? "is a folder, not a media file" : "is not a regular file")
        }
        guard st.st_size > 0 else {
            throw TranscodeError(.badInput, file: name, "file is empty (0 bytes)")
        }
    }

    /// The first bytes of a file still arriving, as many as `container` looks at (fewer when
    /// the whole file is shorter), waiting for them.
    private static func head(of growing: GrowingFile, cancellation: CancellationFlag?) throws -> Data {
        let wanted = 1 << 20
        let readable = try growing.waitFor(Int64(wanted), cancellation: cancellation)
        guard readable > 0 else { throw TranscodeError(.badInput, file: growing.fileName, "file is empty (0 bytes)") }
        var head = Data(count: Int(min(readable, Int64(wanted))))
        let count = head.count
        let got = try head.withUnsafeMutableBytes { try growing.read(into: $0.baseAddress!, count: count, at: 0, cancellation: cancellation) }
        return head.prefix(got)
    }

    /// Decides the container from the file's first bytes, as libav would, without opening it.
    private static func container(of path: String, name: String) throws -> UnsafePointer<AVInputFormat> {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TranscodeError(.output, file: name, "cannot be opened for reading now (\(String(cString: strerror(errno))))")
        }
        defer { try? handle.close() }
        return try container(head: (try? handle.read(upToCount: 1 << 20)) ?? Data(), name: name)
    }

    private static func container(head: Data, name: String) throws -> UnsafePointer<AVInputFormat> {
        // libav's probes read up to AVPROBE_PADDING_SIZE (64) bytes past the end: pad with zeros.
        var buffer = [UInt8](head)
        buffer.append(contentsOf: [UInt8](repeating: 0, count: 64))
        var score: Int32 = 0
        let format: UnsafePointer<AVInputFormat>? = buffer.withUnsafeMutableBufferPointer { bytes in
            name.withCString { cName in
                var probe = AVProbeData(filename: cName, buf: bytes.baseAddress, buf_size: Int32(head.count), mime_type: nil)
                return av_probe_input_format3(&probe, 1, &score)
            }
        }
        guard let format else {
            throw TranscodeError(.badInput, file: name, "not a media file libav can read (its first bytes match no known container)")
        }
        let short = String(cString: format.pointee.name)
        guard short.split(separator: ",").contains(where: { containerWhitelist.contains(String($0)) }) else {
            throw TranscodeError(.badInput, file: name, "is \(describe(refused: short, format: format)), not a video: only video containers are opened")
        }
        return format
    }

    /// Plain words for a refused container.
    private static func describe(refused short: String, format: UnsafePointer<AVInputFormat>) -> String {
        switch short {
        case "concat": return "an ffconcat script (a list of other files)"
        case "hls", "applehttp": return "an HLS playlist"
        case "dash": return "a DASH manifest"
        case "sdp", "rtsp", "rtp": return "a network stream description (SDP)"
        case "tty": return "a text file"
        default:
            if short.hasPrefix("image2") || short.hasSuffix("_pipe") { return "a still image (\(short))" }
            let long = format.pointee.long_name.map { String(cString: $0) } ?? short
            return "a \(long) file (\(short))"
        }
    }

    private static func openFailure(path: String, name: String, code: Int32) -> TranscodeError {
        if let layout = ISOBaseMediaLayout(path: path) {
            if !layout.hasMovieBox {
                return TranscodeError(.badInput, file: name,
                    "MP4 has no moov atom (its index): the upload is incomplete or the file was cut before it was finished")
            }
            if layout.missingBytes > 0 {
                return TranscodeError(.badInput, file: name,
                    "MP4 is truncated: \(layout.missingBytes) bytes missing at the end (\(libavErrorText(code)))")
            }
        }
        if code == LibAVStatus.outOfMemory {
            return TranscodeError(.badInput, file: name,
                "damaged: its index claims more memory than any real clip needs (over \(LibAVProcess.largestAllocation >> 20) MiB at once)")
        }
        return TranscodeError(.badInput, file: name,
            "not a media file libav can read (\(libavErrorText(code)))")
    }
}

/// Where a packet loop (`Demuxer.forEachPacket`) starts reading.
enum PacketLoopStart {
    /// Where the last read left off: the first packet for a file just opened or rewound.
    case current
    /// The keyframe at or before `seconds` (`seek(to:)`: when the seek fails, reading goes on from
    /// where it was and the caller drops what comes before by timestamp).
    case time(Double)
    /// The keyframe at or before `dts`, in ticks of stream `stream`'s time base
    /// (`seek(stream:toKeyframeAtOrBefore:)`: throws when the seek fails).
    case keyframe(stream: Int, atOrBefore: Int64)
}

/// What a packet loop's body asks for once it has handled a packet.
enum PacketLoopAction {
    /// Read the next packet.
    case next
    /// Read no more.
    case stop
}

/// What libav's interrupt callback asks: should the blocking call give up now?
final class InterruptCheck: Sendable {
    private let cancellation: CancellationFlag?
    init(cancellation: CancellationFlag?) { self.cancellation = cancellation }
    var isCancelled: Bool { cancellation?.isCancelled ?? false }
}

/// libav calls this from inside blocking reads; non-zero makes the call return AVERROR_EXIT.
private func demuxerInterruptCallback(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque else { return 0 }
    return Unmanaged<InterruptCheck>.fromOpaque(opaque).takeUnretainedValue().isCancelled ? 1 : 0
}
