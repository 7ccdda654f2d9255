import Foundation

/// A workspace: inbox/ (uploads land here), archive/ (originals, never modified or deleted),
/// outbox/<job-id>/ (outputs and manifest), staging/ (attempts being rendered), uploads/ (resumable
/// uploads still arriving), and the job store. Names from tickets, uploads and
/// requests are resolved only inside it.
public struct Workspace: Sendable {
    public let root: URL
    public var inbox: URL { root.appendingPathComponent("inbox") }
    public var archive: URL { root.appendingPathComponent("archive") }
    public var outbox: URL { root.appendingPathComponent("outbox") }
    /// Each render attempt's own folder, until its outputs are published into outbox/.
    public var staging: URL { root.appendingPathComponent("staging") }
    /// Resumable (tus) uploads still arriving: their bytes and records, until handed to the inbox.
    public var uploads: URL { root.appendingPathComponent("uploads") }
    /// Replies rendered while their upload arrives (ArrivingRender), one folder per upload.
    public var arriving: URL { root.appendingPathComponent("arriving") }
    /// One lock file per uploader, held while its files are given their names in the inbox (InboxPlacement).
    public var inboxLocks: URL { root.appendingPathComponent("inbox-locks") }
    /// Each token's count of bytes uploaded today (UploadAllowance).
    public var allowance: URL { root.appendingPathComponent("allowance") }
    /// Tickets and caption files that waited too long in the inbox for their clip (InboxOrphans).
    public var inboxOrphans: URL { root.appendingPathComponent("inbox-orphans") }
    public var storePath: String { root.appendingPathComponent("jobs.sqlite").path }

    /// `--workspace`, else MEDIAORCH_WORKSPACE, else the `workspace` of a config file
    /// (MEDIAORCH_CONFIG, else ./mediaorch.json), else ./workspace.
    public static func locate(_ explicit: String?) -> Workspace {
        let env = ProcessInfo.processInfo.environment
        let path = explicit ?? env["MEDIAORCH_WORKSPACE"] ?? configuredRoot(configPath: env["MEDIAORCH_CONFIG"] ?? "mediaorch.json") ?? "workspace"
        return Workspace(root: URL(fileURLWithPath: path).standardizedFileURL)
    }

    /// `{"workspace": "/srv/mediaorch"}`; a relative path is relative to the config file.
    static func configuredRoot(configPath: String) -> String? {
        struct Config: Decodable { var workspace: String? }
        guard let data = FileManager.default.contents(atPath: configPath),
              let root = (try? JSONDecoder().decode(Config.self, from: data))?.workspace else { return nil }
        if root.hasPrefix("/") { return root }
        return URL(fileURLWithPath: configPath).deletingLastPathComponent().appendingPathComponent(root).path
    }

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// A file that says "the workspace is here": on a shared workspace, its absence means the
    /// mount is missing (an empty mount point), and the node holds off (DiskSpaceGuard).
    public var marker: URL { root.appendingPathComponent(".mediaorch-workspace") }

    /// Whether the workspace folder is missing or empty: a new workspace, or a mount point
    /// whose filesystem is not mounted.
    public var isEmpty: Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).isEmpty
    }

    /// Creates the folders and the marker if missing.
    public func prepare() throws {
        for folder in [inbox, archive, outbox, staging, uploads, arriving] {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw OrchestratorError(subject: folder.path, "cannot create the workspace folder: \(error.localizedDescription)", permanent: false)
            }
        }
        if !FileManager.default.fileExists(atPath: marker.path) {
            try? DurableFile.write(Data("MediaOrchestrator workspace: its absence tells a node the shared mount is missing.\n".utf8), to: marker.path)
        }
    }

    /// The job store: `store` (a `--store` value), else MEDIAORCH_STORE, else the config file's
    /// `store`, else jobs.sqlite in this workspace.
    /// Only an SQLite store (a file in the workspace) makes the workspace's folders: with a shared
    /// store, a command run while the shared mount is missing must not fill the bare mount point
    /// (`watch` prepares the workspace itself, once it knows the mount is there).
    public func openStore(_ store: String? = nil, retryPolicy: RetryPolicy = RetryPolicy()) throws -> JobStore {
        let location = try StoreLocation.locate(store, workspace: self)
        if case .sqlite = location { try prepare() }
        return try JobStore(location: location, retryPolicy: retryPolicy)
    }

    /// An archived original as the store names it: relative to the workspace ("archive/…"), so
    /// nodes that mount a shared workspace at different paths find the same file; an absolute
    /// path (stores from before) is taken as it is.
    public func archived(_ stored: String) -> URL {
        stored.hasPrefix("/") ? URL(fileURLWithPath: stored) : root.appendingPathComponent(stored)
    }

    /// How the store names a file in this workspace: its path relative to the workspace.
    public func stored(_ url: URL) -> String {
        let path = url.standardizedFileURL.path, base = root.path + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    /// The job's outbox folder; job ids are made by the store from hex and template names only.
    public func outbox(for jobId: String) throws -> URL {
        guard TemplateLibrary.isValidName(jobId) else { throw OrchestratorError(subject: jobId, "is not a job id") }
        return outbox.appendingPathComponent(jobId)
    }

    /// A plain file name inside `folder`; anything with a path in it is refused.
    public static func child(_ name: String, of folder: URL) throws -> URL {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("\0") else {
            throw OrchestratorError(subject: name, "is not a plain file name")
        }
        return folder.appendingPathComponent(name)
    }
}
