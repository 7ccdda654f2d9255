import CAV
import Foundation

/// An opened media file: owns its AVFormatContext and closes it in deinit.
/// Not Sendable: one thread reads it at a time (the pipeline's own thread).
public final class MediaInput {
    let context: UnsafeMutablePointer<AVFormatContext>
    public let path: String
    /// The name producers recognise ("abu.mp4"), used in every message.
    public let fileName: String

    public init(path: String) throws {
        _ = LibAVLogging.quietByDefault
        self.path = path
        let name = URL(fileURLWithPath: path).lastPathComponent
        self.fileName = name

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TranscodeError(.badInput, file: name, "file not found")
        }
        guard !isDirectory.boolValue else {
            throw TranscodeError(.badInput, file: name, "is a folder, not a media file")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? -1
        guard size != 0 else {
            throw TranscodeError(.badInput, file: name, "file is empty (0 bytes)")
        }

        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        let opened = avformat_open_input(&ctx, path, nil, nil)
        guard opened >= 0, let ctx else {
            throw Self.openFailure(path: path, name: name, code: opened)
        }
        context = ctx
        // Stream-info probing decodes a few frames; one thread each is plenty and keeps a render's
        // peak memory from holding a second set of frame-threading buffers.
        let streamCount = Int(ctx.pointee.nb_streams)
        var probeOptions = [OpaquePointer?](repeating: nil, count: max(streamCount, 1))
        for i in 0..<streamCount { av_dict_set(&probeOptions[i], "threads", "1", 0) }
        let found = probeOptions.withUnsafeMutableBufferPointer { avformat_find_stream_info(ctx, $0.baseAddress) }
        for i in 0..<streamCount { av_dict_free(&probeOptions[i]) }
        guard found >= 0 else {
            // deinit does not run for a partially initialised object; close here.
            var owned: UnsafeMutablePointer<AVFormatContext>? = ctx
            avformat_close_input(&owned)
            throw TranscodeError(.badInput, file: name, "could not read the streams: \(libavErrorText(found))")
        }
        if nb_streams == 0 {
            var owned: UnsafeMutablePointer<AVFormatContext>? = ctx
            avformat_close_input(&owned)
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
        return TranscodeError(.badInput, file: name,
            "not a media file libav can read (\(libavErrorText(code)))")
    }
}
