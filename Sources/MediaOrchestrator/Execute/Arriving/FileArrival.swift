import Foundation
import Transcode

/// How far a file being written by another program has arrived, for `mediaorch process
/// --arriving-duration`: every byte written so far counts (the writer appends whole pieces), and
/// the file is whole once FILE.length holds its size in bytes. A recorder or a copy still running
/// can be rendered as it grows; the fuzzer delivers damaged files this way.
public struct FileArrival: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var lengthPath: String { path + ".length" }

    public func look() -> ArrivalState {
        var info = stat()
        guard stat(path, &info) == 0 else { return .abandoned("the file was removed") }
        if let text = try? String(contentsOfFile: lengthPath, encoding: .utf8) {
            guard let length = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), length >= 0 else {
                return .abandoned("\(URL(fileURLWithPath: lengthPath).lastPathComponent) does not hold a length in bytes")
            }
            return .complete(length: length)
        }
        return .arriving(acknowledged: Int64(info.st_size))
    }
}
