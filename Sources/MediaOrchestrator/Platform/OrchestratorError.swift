import Captioning
import Transcode

/// The one error type of the MediaOrchestrator module: tickets, templates, jobs, requests,
/// uploads. Like TranscodeError, it names what is wrong (a file, a job id, a field, an option)
/// and says why in words a producer can act on.
public struct OrchestratorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What the error is about: a file name, a job or request id, a JSON field, an option.
    public let subject: String
    public let reason: String
    /// True when retrying the same job cannot help (a bad ticket, an unknown template).
    public let isPermanent: Bool
    public let kind: Kind
    /// A short word a client tells cases apart by ("no-consent", "request-busy"): the HTTP API
    /// sends it as the Mediaorch-Reason header, so a page can say it in its worker's language.
    public private(set) var code: String? = nil

    /// What sort of wrong it is, so the HTTP API can answer 400, 404 or 409.
    public enum Kind: Sendable, Equatable {
        /// The request or the file is wrong.
        case invalid
        /// The job (or token) named does not exist.
        case notFound
        /// The thing exists but is in a state that does not allow it (retrying a running job).
        case conflict
        /// The caller may not do this (a camp's token uploading for another camp).
        case forbidden
        /// The caller has used up an allowance (uploads in flight, bytes a day): 429.
        case tooMany
    }

    public init(subject: String, _ reason: String, permanent: Bool = true, kind: Kind = .invalid) {
        self.subject = subject
        self.reason = reason
        self.isPermanent = permanent
        self.kind = kind
    }

    public var description: String { "\(subject): \(reason)" }

    public func coded(_ code: String) -> OrchestratorError {
        var coded = self
        coded.code = code
        return coded
    }
}

/// Whether retrying the same work can help, for any error the pipeline throws: bad input, a
/// refused clip or broken captions cannot be fixed by trying again; a full disk can. The job
/// runner's retries and the command line's exit status both go by this.
public func isPermanentFailure(_ error: any Error) -> Bool {
    if let e = error as? TranscodeError { return e.isPermanent }
    if let e = error as? OrchestratorError { return e.isPermanent }
    return error is CaptionError
}
