import Foundation
import ServiceLifecycle

/// For `mediaorch watch --until-idle` (the demo, scripts): ends the service group once the inbox
/// holds no uploads and no job is queued, running or waiting for a retry.
public struct IdleExitService: Service {
    let workspace: Workspace
    let store: JobStore
    let settle: TimeInterval

    public init(workspace: Workspace, store: JobStore, settle: TimeInterval = 2) {
        self.workspace = workspace
        self.store = store
        self.settle = settle
    }

    public func run() async throws {
        var idleSince: Date? = nil
        while !Task.isShuttingDownGracefully {
            try await Task.sleep(for: .milliseconds(250))
            // A clip waiting for its captions is still an upload in the inbox, so the group waits too.
            let inbox = workspace.inbox.path
            let uploads = (try? await BlockingWork.run { try FileManager.default.contentsOfDirectory(atPath: inbox).filter(InboxScanner.isCandidate) }) ?? []
            let store = self.store
            let counts = try? await BlockingWork.run { try store.countsByState() }
            let busy = counts.map { $0[.queued, default: 0] + $0[.running, default: 0] + $0[.failed, default: 0] > 0 } ?? true
            if uploads.isEmpty && !busy {
                idleSince = idleSince ?? Date()
                if Date().timeIntervalSince(idleSince!) >= settle { return } // returning ends the group gracefully
            } else {
                idleSince = nil
            }
        }
    }
}
