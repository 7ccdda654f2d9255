/// Who a bearer token speaks for. Producers run the command centre; an admin is a producer who
/// may also decide, with a written reason, to post a reply without the speaker's recorded
/// consent; editors pull cuts; field teams that cannot mount the inbox only upload; a wall
/// screen only watches.
public enum AccessRole: String, Sendable, Codable, CaseIterable {
    case admin, producer, editor, uploader, viewer

    public var permissions: Set<Permission> {
        switch self {
        case .admin: Set(Permission.allCases)
        case .producer: Set(Permission.allCases).subtracting([.overrideConsent])
        case .editor: [.readJobs, .downloadOutputs, .requestCuts]
        // A field team: its camp's open requests (the tweet's text, never footage) and uploads.
        case .uploader: [.upload, .seeOpenRequests]
        // Outputs show the people filmed: a screen that only watches gets the queue, not the footage.
        case .viewer: [.readJobs]
        }
    }

    public func may(_ permission: Permission) -> Bool { permissions.contains(permission) }
}

/// One kind of thing an HTTP request can do; every API route names the one it needs.
public enum Permission: String, Sendable, CaseIterable {
    /// List and show jobs, follow their progress, read the metrics.
    case readJobs
    /// Retry and cancel.
    case controlJobs
    /// Download a job's outputs.
    case downloadOutputs
    /// Ask for a behind-the-scenes cut of an archived original.
    case requestCuts
    /// Put a clip, its ticket and its captions into the inbox.
    case upload
    /// Make and cancel reply requests.
    case manageRequests
    /// Record that a ready reply was posted, and where.
    case markPosted
    /// See the open requests of one's camp (a field token) or of every camp.
    case seeOpenRequests
    /// See the webhook endpoints (never their secrets) and every delivery's status.
    case seeWebhooks
    /// Mark a reply posted although its speaker's consent is not recorded, giving a reason.
    case overrideConsent
}
