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

    /// Creates the folders if missing.
    public func prepare() throws {
        for folder in [inbox, archive, outbox, staging, uploads] {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw OrchestratorError(file: folder.path, "cannot create the workspace folder: \(error.localizedDescription)", permanent: false)
            }
        }
    }

    /// The job store: `store` (a `--store` value), else MEDIAORCH_STORE, else the config file's
    /// `store`, else jobs.sqlite in this workspace.
    public func openStore(_ store: String? = nil, retryPolicy: RetryPolicy = RetryPolicy()) throws -> JobStore {
        try prepare()
        return try JobStore(location: try StoreLocation.locate(store, workspace: self), retryPolicy: retryPolicy)
    }

    /// The job's outbox folder; job ids are made by the store from hex and template names only.
    public func outbox(for jobId: String) throws -> URL {
        guard TemplateLibrary.isValidName(jobId) else { throw OrchestratorError(file: jobId, "is not a job id") }
        return outbox.appendingPathComponent(jobId)
    }

    /// A plain file name inside `folder`; anything with a path in it is refused.
    public static func child(_ name: String, of folder: URL) throws -> URL {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("\0") else {
            throw OrchestratorError(file: name, "is not a plain file name")
        }
        return folder.appendingPathComponent(name)
    }
}
