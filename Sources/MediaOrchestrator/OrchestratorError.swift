/// The one error type of the MediaOrchestrator module: tickets, templates, jobs. Like
/// TranscodeError, it names the file and says what is wrong in words a producer can act on.
public struct OrchestratorError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let reason: String
    /// True when retrying the same job cannot help (a bad ticket, an unknown template).
    public let isPermanent: Bool

    public init(file: String, _ reason: String, permanent: Bool = true) {
        self.file = file
        self.reason = reason
        self.isPermanent = permanent
    }

    public var description: String { "\(file): \(reason)" }
}
