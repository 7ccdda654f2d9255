import Foundation

/// Caption files arrive as UTF-8 with or without a BOM, or UTF-16 from Windows tools; line
/// endings CRLF, LF or CR. This turns the bytes into lines of text.
enum CaptionTextDecoding {
    static func lines(of data: Data, file: String) throws -> [String] {
        let bytes = [UInt8](data.prefix(4))
        var text: String?
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            text = String(data: data.dropFirst(3), encoding: .utf8)
        } else if bytes.starts(with: [0xFF, 0xFE]) {
            text = String(data: data.dropFirst(2), encoding: .utf16LittleEndian)
        } else if bytes.starts(with: [0xFE, 0xFF]) {
            text = String(data: data.dropFirst(2), encoding: .utf16BigEndian)
        } else if bytes.count >= 2 && bytes[1] == 0 && bytes[0] != 0 {
            text = String(data: data, encoding: .utf16LittleEndian) // UTF-16 without a BOM
        } else if bytes.count >= 2 && bytes[0] == 0 && bytes[1] != 0 {
            text = String(data: data, encoding: .utf16BigEndian)
        } else {
            text = String(data: data, encoding: .utf8)
        }
        guard let text else {
            throw CaptionError(file: file, "is not UTF-8 or UTF-16 text: save it as UTF-8")
        }
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return normalised.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
