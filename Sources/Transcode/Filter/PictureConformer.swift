import CAV

/// Keeps every decoded picture the size and format the filter graph was built for. A stream can
/// change its picture size mid-clip (a browser's recorder adapting to the link, a camera switch),
/// and a damaged one can claim to: libavfilter's filters are configured for one size, and some
/// (`colorspace`, `bwdif`) corrupt memory when handed another. Such a picture is scaled back to
/// the graph's size, as the ffmpeg command line would rebuild its graph; one no camera could film
/// is refused as damage.
final class PictureConformer {
    private let width: Int32
    private let height: Int32
    private let format: AVPixelFormat
    private let fileName: String
    private var scaler: OpaquePointer? = nil
    private let converted: Frame
    /// Pictures that had to be converted (for the log; a steady stream of them means the
    /// container's size is not the stream's).
    private(set) var conformed = 0

    init(width: Int32, height: Int32, format: AVPixelFormat, fileName: String) throws {
        (self.width, self.height, self.format, self.fileName) = (width, height, format, fileName)
        converted = try Frame(file: fileName)
    }

    deinit { sws_freeContext(scaler) }

    /// `frame` itself when it already has the graph's size and format; else a converted picture
    /// with the same timing and colour properties (and `frame` is emptied).
    func conform(_ frame: Frame) throws -> Frame {
        let f = frame.pointer.pointee
        if f.width == width && f.height == height && f.format == format.rawValue { return frame }
        guard (16...8192).contains(f.width), (16...8192).contains(f.height), f.format >= 0 else {
            throw TranscodeError(.badInput, file: fileName,
                                 "a picture of \(f.width)x\(f.height) mid-clip (the clip's pictures are \(width)x\(height)) is beyond any camera's: the file is damaged")
        }
        scaler = sws_getCachedContext(scaler, f.width, f.height, AVPixelFormat(f.format), width, height, format,
                                      SWS_BICUBIC, nil, nil, nil)
        guard scaler != nil else {
            throw TranscodeError(.badInput, file: fileName, "a picture of \(f.width)x\(f.height) mid-clip cannot be converted to the clip's \(width)x\(height)")
        }
        converted.unref()
        converted.pointer.pointee.width = width
        converted.pointer.pointee.height = height
        converted.pointer.pointee.format = format.rawValue
        guard av_frame_get_buffer(converted.pointer, 0) >= 0 else {
            throw TranscodeError(.processing, file: fileName, "no memory for a \(width)x\(height) picture")
        }
        var status = av_frame_copy_props(converted.pointer, frame.pointer)
        if status >= 0 { status = sws_scale_frame(scaler, converted.pointer, frame.pointer) }
        guard status >= 0 else {
            throw TranscodeError(.badInput, file: fileName, "a picture of \(f.width)x\(f.height) mid-clip cannot be converted: \(libavErrorText(status))")
        }
        frame.unref()
        conformed += 1
        return converted
    }
}
