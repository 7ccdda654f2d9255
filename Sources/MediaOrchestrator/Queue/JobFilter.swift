import Foundation

/// What a producer narrows the job list to; every field left nil matches everything.
public struct JobFilter: Sendable, Equatable {
    public var state: JobState?
    public var template: String?
    /// The ticket's `speaker.camp`, compared without case.
    public var camp: String?
    /// Jobs created or changed at or after this time.
    public var since: Date?
    /// At most this many, newest first (a screen that runs for months need not load them all).
    public var limit: Int?

    public init(state: JobState? = nil, template: String? = nil, camp: String? = nil, since: Date? = nil, limit: Int? = nil) {
        self.state = state
        self.template = template
        self.camp = camp
        self.since = since
        self.limit = limit
    }
}
