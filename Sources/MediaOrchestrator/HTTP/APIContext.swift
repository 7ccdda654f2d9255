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

    func view(of job: JobRecord, withThumbnail: Bool) async -> JobView {
        await views(of: [job], withThumbnail: withThumbnail)[0]
    }

    /// Jobs as the API shows them; their thumbnails looked up (an lstat each) off the cooperative pool.
    func views(of jobs: [JobRecord], withThumbnail: Bool) async -> [JobView] {
        let thumbnails = withThumbnail ? ((try? await BlockingWork.run { [self] in
            Dictionary(jobs.compactMap { job in thumbnail(of: job).map { (job.id, $0) } }, uniquingKeysWith: { a, _ in a })
        }) ?? [:]) : [:]
        return jobs.map { JobView(job: $0, progress: $0.state == .running ? activity.progress(of: $0.id) : nil, thumbnailURL: thumbnails[$0.id]) }
    }

    /// A signed link to the job's thumbnail, if its outbox has one; a bts cut shows its reply's.
    private func thumbnail(of job: JobRecord) -> String? { // blocking: callers run it off the cooperative pool
        for owner in [job.id, job.parentId].compactMap({ $0 }) {
            guard let folder = try? workspace.outbox(for: owner) else { continue }
            if let name = ["thumb-320.jpg", "thumb.jpg"].first(where: { OutputFolderFiles.servable($0, in: folder) != nil }) {
                return links.sign(path: Self.outputPath(job: owner, name: name))
            }
        }
        return nil
    }

    /// The job's outputs with signed links, listed off the cooperative pool.
    func outputs(of id: String) async throws -> [OutputView] {
        guard let folder = try? workspace.outbox(for: id) else { return [] }
        let files = try await BlockingWork.run { OutputFolderFiles.list(folder) }
        return files.map { file in
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
