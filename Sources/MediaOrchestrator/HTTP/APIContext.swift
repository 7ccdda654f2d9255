import Foundation

/// What every route needs: the workspace and its store, the live activity, the link signer.
struct APIContext: Sendable {
    let workspace: Workspace
    let store: JobStore
    let activity: JobActivity
    let links: DownloadLinks
    /// Free space on the workspace's disk; nil when not watched (tests of single routes).
    var disk: DiskSpaceGuard? = nil
    /// What one token may upload at once and in a day.
    var allowance = UploadAllowance()
    var control: JobControl { JobControl(workspace: workspace, store: store) }

    func view(of job: JobRecord, withThumbnail: Bool) -> JobView {
        var thumbnail: String? = nil
        // A bts cut has no thumbnails of its own: it shows the reply's it was cut from.
        for owner in [job.id, job.parentId].compactMap({ $0 }) where withThumbnail && thumbnail == nil {
            guard let folder = try? workspace.outbox(for: owner) else { continue }
            thumbnail = ["thumb-320.jpg", "thumb.jpg"].first { OutputFolderFiles.servable($0, in: folder) != nil }
                .map { links.sign(path: Self.outputPath(job: owner, name: $0)) }
        }
        return JobView(job: job, progress: job.state == .running ? activity.progress(of: job.id) : nil, thumbnailURL: thumbnail)
    }

    func outputs(of id: String) -> [OutputView] {
        guard let folder = try? workspace.outbox(for: id) else { return [] }
        return OutputFolderFiles.list(folder).map { file in
            OutputView(name: file.name, bytes: file.bytes, contentType: OutputFolderFiles.contentType(of: file.name),
                       url: links.sign(path: Self.outputPath(job: id, name: file.name)))
        }
    }

    static func outputPath(job: String, name: String) -> String {
        "/api/jobs/\(job)/outputs/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name)"
    }
}

extension APIContext {
    /// Runs store work (SQLite may wait on a lock) on the blocking thread pool, never on the
    /// cooperative pool that serves every other request.
    func inStore<T: Sendable>(_ body: @escaping @Sendable (JobStore) throws -> T) async throws -> T {
        let store = self.store
        return try await BlockingWork.run { try body(store) }
    }
}
