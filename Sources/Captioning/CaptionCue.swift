/// One caption on screen: when, and what it says.
public struct CaptionCue: Sendable, Equatable, Codable {
    /// Seconds from the start of the clip.
    public var start: Double
    public var end: Double
    /// Plain text lines as authored (tags and entities resolved).
    public var lines: [String]
    /// The speaker from a WebVTT voice tag (<v Abu>), if any.
    public var voice: String?
    /// Vertical position from WebVTT's `line:` setting as a fraction of the frame height, if any.
    public var linePosition: Double?
    /// The line of the source file where this cue's timing sits, for messages.
    public var sourceLine: Int

    public init(start: Double, end: Double, lines: [String], voice: String? = nil, linePosition: Double? = nil, sourceLine: Int = 0) {
        self.start = start
        self.end = end
        self.lines = lines
        self.voice = voice
        self.linePosition = linePosition
        self.sourceLine = sourceLine
    }

    public var duration: Double { end - start }
    /// The text as one paragraph, for re-wrapping and reading-speed checks.
    public var text: String { lines.joined(separator: " ") }
}

/// Something worth a producer's look that does not stop a job.
public struct CaptionFinding: Sendable, Equatable, Codable {
    public enum Severity: String, Sendable, Codable { case warning, error }
    public var severity: Severity
    public var file: String
    public var line: Int?
    /// A short rule name ("reading-speed", "overlap", ...).
    public var rule: String
    public var message: String

    public init(_ severity: Severity, file: String, line: Int?, rule: String, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.rule = rule
        self.message = message
    }

    public var description: String {
        "captions \(file)\(line.map { " line \($0)" } ?? ""): \(message)"
    }
}

/// A parsed caption file: its cues in time order and what the parser noticed on the way.
public struct CaptionTrack: Sendable, Equatable {
    public var file: String
    public var cues: [CaptionCue]
    public var findings: [CaptionFinding]

    public init(file: String, cues: [CaptionCue], findings: [CaptionFinding] = []) {
        self.file = file
        self.cues = cues
        self.findings = findings
    }
}
