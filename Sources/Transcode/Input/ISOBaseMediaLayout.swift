import Foundation

/// The top-level boxes of an MP4/MOV file, read straight from the bytes. libav only says
/// "Invalid data" for an MP4 whose moov never arrived; this tells an unfinished upload
/// (mdat present, no moov yet, or a box running past the end of the file) from a file that is not media.
public struct ISOBaseMediaLayout: Sendable {
    public struct Box: Sendable {
        public let type: String
        public let offset: UInt64
        public let size: UInt64
    }

    public let boxes: [Box]
    /// Bytes the last box claims beyond the end of the file (0 when the file is whole).
    public let missingBytes: UInt64

    public var hasMovieBox: Bool { boxes.contains { $0.type == "moov" } }
    public var hasMediaData: Bool { boxes.contains { $0.type == "mdat" } }
    public var isComplete: Bool { hasMovieBox && missingBytes == 0 }
    /// The moov (index) comes before the media data: players can start before the download ends.
    public var movieBoxFirst: Bool {
        guard let moov = boxes.firstIndex(where: { $0.type == "moov" }) else { return false }
        guard let mdat = boxes.firstIndex(where: { $0.type == "mdat" }) else { return true }
        return moov < mdat
    }

    /// Nil when the file does not start like an ISO base media file (no ftyp/moov/mdat/wide/free box first).
    public init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let fileSize = try? handle.seekToEnd() else { return nil }
        var boxes: [Box] = []
        var offset: UInt64 = 0
        var missing: UInt64 = 0
        let known: Set<String> = ["ftyp", "moov", "mdat", "free", "wide", "skip", "uuid", "meta", "pnot", "udta", "moof", "mfra", "sidx", "styp", "pdin"]
        while offset + 8 <= fileSize, boxes.count < 10_000 {
            guard (try? handle.seek(toOffset: offset)) != nil,
                  let header = try? handle.read(upToCount: 16), header.count >= 8 else { break }
            let bytes = [UInt8](header)
            var size = bytes[0..<4].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let type = String(decoding: bytes[4..<8], as: UTF8.self)
            if boxes.isEmpty && !known.contains(type) { return nil }
            if size == 1 {
                guard bytes.count >= 16 else { break }
                size = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            } else if size == 0 {
                size = fileSize - offset // box runs to the end of the file
            }
            guard size >= 8 else { break }
            boxes.append(Box(type: type, offset: offset, size: size))
            // Compared with what is left, never added: a damaged 64-bit size would overflow the sum.
            if size > fileSize - offset {
                missing = size - (fileSize - offset)
                break
            }
            offset += size
        }
        guard !boxes.isEmpty else { return nil }
        self.boxes = boxes
        self.missingBytes = missing
    }
}
