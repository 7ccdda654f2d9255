/// The one error type of the Captioning module: which file, which line, what is wrong
/// ("abu.en.srt line 12: bad timestamp '00:00:0X,100'").
public struct CaptionError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    /// 1-based line number, when the problem sits on one line.
    public let line: Int?
    public let reason: String

    public init(file: String, line: Int? = nil, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String {
        if let line { return "captions \(file) line \(line): \(reason)" }
        return "captions \(file): \(reason)"
    }
}
