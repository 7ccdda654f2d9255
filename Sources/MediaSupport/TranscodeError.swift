/// The one error type of file and media work (Transcode, and the hashing and durable files both
/// modules use from here). Every message names the file and says in words what is wrong, so a
/// producer can act on it without reading libav's error numbers.
public struct TranscodeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; the job runner uses it to decide whether a retry can help.
    public enum Kind: String, Sendable, Codable {
        /// The input is not something we can read (empty, not media, truncated, no video). Retrying won't help.
        case badInput = "bad_input"
        /// The input is readable but breaks a rule of the output (too long, too short, ...).
        case rejected
        /// Writing an output failed (disk full, permission): may succeed later.
        case output
        /// libav failed inside the pipeline on an input it had opened.
        case processing
        /// The output was written but does not pass its own verification.
        case verification
        /// The caller asked to stop.
        case cancelled
    }

    public let kind: Kind
    /// The file the message is about (the input, or the output being written).
    public let file: String
    /// A plain-words reason, without the file name.
    public let reason: String

    public init(_ kind: Kind, file: String, _ reason: String) {
        self.kind = kind
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }

    /// True when trying the same input again cannot succeed.
    public var isPermanent: Bool {
        switch kind {
        case .badInput, .rejected, .verification: true
        case .output, .processing, .cancelled: false
        }
    }
}

extension TranscodeError {
    /// libav could not allocate `what` ("a packet", "the aac encoder"): the machine ran short of
    /// memory, which is no fault of the file, so a later try may succeed.
    public static func outOfMemory(allocating what: String, file: String) -> TranscodeError {
        TranscodeError(.processing, file: file, "out of memory allocating \(what)")
    }
}
