import CAV
import Foundation

/// JPEG through libjpeg-turbo directly (not libav's mjpeg encoder): progressive, quality 85,
/// JFIF only — no EXIF, XMP or comments.
enum JPEGEncoder {
    static func encode(rgb frame: Frame, quality: Int32 = 85, fileName: String) throws -> Data {
        let f = frame.pointer.pointee
        guard f.format == AV_PIX_FMT_RGB24.rawValue, let rows = mo_frame_plane(frame.pointer, 0) else {
            throw TranscodeError(.processing, file: fileName, "thumbnail frame is not RGB24")
        }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = mo_jpeg_encode_rgb(rows, f.width, f.height, mo_frame_linesize(frame.pointer, 0), quality, 1,
                                        &buffer, &size, &message, message.count)
        defer { free(buffer) }
        guard status == 0, let buffer else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw TranscodeError(.processing, file: fileName, "libjpeg could not encode the thumbnail: \(text)")
        }
        return Data(bytes: buffer, count: Int(size))
    }
}
