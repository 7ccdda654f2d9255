import Foundation

/// The marker segments of a JPEG file, read byte by byte (an oracle independent of libjpeg).
public struct JPEGMarkers {
    public let markers: [UInt8]
    public let width: Int
    public let height: Int

    public init(_ data: Data) throws {
        let b = [UInt8](data)
        guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { throw OracleError("not a JPEG (no SOI)") }
        var markers: [UInt8] = [0xD8]
        var i = 2, width = 0, height = 0
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { throw OracleError("bad marker at byte \(i)") }
            let marker = b[i + 1]
            markers.append(marker)
            if marker == 0xDA || marker == 0xD9 { break } // start of scan: entropy-coded data follows
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            if (0xC0...0xC2).contains(marker) {
                height = Int(b[i + 5]) << 8 | Int(b[i + 6])
                width = Int(b[i + 7]) << 8 | Int(b[i + 8])
            }
            i += 2 + length
        }
        self.markers = markers
        self.width = width
        self.height = height
    }

    public var isProgressive: Bool { markers.contains(0xC2) }
    /// APP1 (EXIF/XMP) through APP15, or a comment.
    public var hasMetadata: Bool { markers.contains { (0xE1...0xEF).contains($0) || $0 == 0xFE } }
}
