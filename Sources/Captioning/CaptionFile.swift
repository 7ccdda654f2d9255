import Foundation

/// Reads a caption file by its extension (.srt or .vtt).
public enum CaptionFile {
    public static func load(path: String) throws -> CaptionTrack {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CaptionError(file: name, "file not found or unreadable")
        }
        return try parse(data, name: name)
    }

    public static func parse(_ data: Data, name: String) throws -> CaptionTrack {
        switch URL(fileURLWithPath: name).pathExtension.lowercased() {
        case "srt": return try SubRipParser.parse(data, file: name)
        case "vtt": return try WebVTTParser.parse(data, file: name)
        default:
            // Sniff: a WebVTT file says so on its first line.
            if String(decoding: data.prefix(16), as: UTF8.self).contains("WEBVTT") { return try WebVTTParser.parse(data, file: name) }
            return try SubRipParser.parse(data, file: name)
        }
    }
}
