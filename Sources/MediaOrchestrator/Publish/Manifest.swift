import Foundation

/// manifest.json: written last and atomically into a job's folder — the "ready to post" signal.
public struct Manifest: Sendable, Codable {
    public static let currentVersion = 1

    /// What the command centre pastes and uploads: the reply text, alt text, and the fields X's
    /// media upload (INIT) asks for.
    public struct PostDraft: Sendable, Codable {
        public var inReplyToTweetId: String?
        public var text: String
        public var altText: String
        public var mediaType = "video/mp4"
        public var totalBytes: Int64
        public var mediaCategory = "tweet_video"
    }

    public struct Source: Sendable, Codable {
        public var name: String
        public var sha256: String
        public var container: String
        public var duration: Double?
        public var bytes: Int64
        public var video: String?
        public var audio: String?
        /// The identifying tags the source carried, as "key (scope)"; no output keeps them.
        public var identifyingTagsRemoved: [String]
    }

    public struct Output: Sendable, Codable {
        public var role: String
        /// Relative to the job folder.
        public var path: String
        public var bytes: Int64
        public var sha256: String
        public var duration: Double
        public var width: Int
        public var height: Int
        /// Rounded to whole pictures a second; `exactFrameRate` has the fraction ("30000/1001").
        public var frameRate: Int
        public var videoCodec: String
        public var audioCodec: String
        public var validation: ValidationReport
        public var exactFrameRate: String? = nil
        /// For an editors' cut between two times: how it was made.
        public var cut: CutMethod? = nil
    }

    /// How an editors' cut between two times was made: smart (the camera's GOPs copied, only the
    /// pictures before the first and after the last keyframe re-encoded) or re-encoded in full, and why.
    public struct CutMethod: Sendable, Codable {
        public enum Method: String, Sendable, Codable { case smart, reencoded }
        public var method: Method
        public var copiedPackets: Int?
        public var copiedSeconds: Double?
        public var reencodedPictures: Int?
        public var reencodedSeconds: Double?
        /// Why the cut was not made by copying, when it was re-encoded in full.
        public var reason: String?
    }

    public struct Thumbnail: Sendable, Codable {
        public var path: String
        public var width: Int
        public var height: Int
        public var bytes: Int
        /// Where in the reply the picture comes from (seconds).
        public var time: Double
    }

    public struct Captions: Sendable, Codable {
        public var language: String
        /// The file the ticket named.
        public var source: String
        /// The SRT sidecar for X's subtitle upload, re-timed to the output.
        public var path: String
        public var burned: Bool
        /// The ASS script that was burned in (burned language only).
        public var styledScript: String?
        public var cues: Int
        /// Parser and lint findings (warnings never stop a job).
        public var findings: [CaptionFinding]
    }

    public var manifestVersion = Manifest.currentVersion
    public var toolVersion = MediaOrchestratorVersion.current
    /// The queue's job id; nil for a `mediaorch process` run outside the queue.
    public var jobId: String?
    public var template: String
    public var createdAt: Date
    public var source: Source
    public var ticket: Ticket?
    public var outputs: [Output]
    public var thumbnails: [Thumbnail]
    public var captions: [Captions]
    /// Seconds spent per stage ("reply": 4.2).
    public var stageSeconds: [String: Double]
    public var postDraft: PostDraft?
    public var readyToPost: Bool
    /// Why a person must not post it yet (no recorded consent, a failed rule).
    public var notReadyReasons: [String]
    /// Where and when the command centre posted the reply, and who said so (added once posted).
    public var posted: Posted?
    /// What the outputs were made from: the camera's original, or a proxy the phone made and sent
    /// first (its editors' cut then comes from the original, in a job of its own).
    public var madeFrom: MadeFrom? = nil
    /// The reply was rendered while its upload was still arriving, and taken over by the job.
    public var renderedWhileArriving: Bool? = nil

    public enum MadeFrom: String, Sendable, Codable { case original, proxy }

    public struct Posted: Sendable, Codable, Equatable {
        public var url: String
        public var by: String
        public var at: Date
        /// How consent stood when it was posted (nil in manifests from before it was recorded).
        public var consent: Consent?
    }

    /// The speaker's consent to be posted: on the ticket, added later from the field (who,
    /// when), or overridden by an admin (who, why).
    public struct Consent: Sendable, Codable, Equatable {
        public enum Source: String, Sendable, Codable { case ticket, addedLater = "added_later", adminOverride = "admin_override" }
        public var source: Source
        public var by: String?
        public var at: Date?
        public var reason: String?
    }
}

public enum MediaOrchestratorVersion {
    public static let current = "0.4.0"
}
