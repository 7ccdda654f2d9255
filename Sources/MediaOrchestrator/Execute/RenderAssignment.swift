import Foundation
import Transcode

/// One attempt at one job, as the service hands it to a render child (`mediaorch render-attempt`)
/// on its standard input: everything the child needs, nothing it must look up in the store.
public struct RenderAssignment: Sendable, Codable {
    public var jobId: String
    public var attempt: Int
    /// The archived original.
    public var input: String
    /// The attempt's own folder; the child writes every output and the manifest there and nowhere else.
    public var stagingFolder: String
    public var ticketJson: String?
    public var template: String
    /// `--templates` / MEDIAORCH_TEMPLATES of the service, which override the built-in templates by name.
    public var templatesFolder: String?
    public var trim: Trim?
    public var onlyOutputs: [JobTemplate.Output]?
    /// Where the ticket's caption files are (beside the archived original).
    public var captionsFolder: String
    public var sourceSha256: String?
    /// The child caps its own data size (RLIMIT_DATA) at this many MiB before it opens anything.
    public var memoryCapMegabytes: Int?
    /// Set when `input` is an upload still arriving: the reply is rendered as it grows.
    var arrival: Arrival? = nil
    /// An arriving/<upload id> folder whose reply, rendered while the upload arrived, the job takes
    /// over when it was made from the same bytes for the same render.
    var takeOverFrom: String? = nil

    struct Arrival: Sendable, Codable {
        /// The upload's record (uploads/<id>.info), which says how far it has arrived.
        var recordPath: String
        /// The pictures' length as the phone declared it.
        var declaredDuration: Double
        /// Seconds without a new byte after which the render gives up.
        var stallSeconds: Double
    }
}

/// What a render child writes to its standard output, one JSON object a line.
public enum RenderChildMessage: Sendable, Codable {
    case progress(stage: String, RenderProgress)
    /// The staging folder is complete; `manifestSha256` is the hash of its manifest.json.
    case succeeded(manifestSha256: String, readyToPost: Bool, stageSeconds: [String: Double])
    /// `peakDataKB`: the child's own highest data size (what its memory cap counts), sampled
    /// every few milliseconds: the parent's slower look can miss a quick climb to the cap.
    case failed(reason: String, permanent: Bool, cancelled: Bool, peakDataKB: Int?)
}
