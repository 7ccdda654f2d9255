import Foundation
import MediaOrchestrator

/// `make bench` part: the job store's own cost per job — enqueue, claim with a lease, one
/// heartbeat, finish — for 1,000 no-op jobs in a fresh SQLite file (WAL, fsync as in production).
/// With a second argument (a workspace folder) the store is made there and kept: the HTTP
/// benchmark lists those jobs.
@main
struct StoreBench {
    static func main() throws {
        let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 1000
        let keep = CommandLine.arguments.dropFirst(2).first.map { URL(fileURLWithPath: $0) }
        let folder = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("mediaorch-store-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: folder) } }
        let store = try JobStore(path: folder.appendingPathComponent("jobs.sqlite").path)
        let start = Date()
        for i in 0..<count {
            let sha = String(format: "%012x", i) + String(repeating: "0", count: 52) // ids use the first 12 hex digits
            try store.enqueue(.init(sourceName: "clip\(i).mp4", sourceSha256: sha, archivePath: "archive/clip\(i).mp4",
                                    template: "twitter-reply", priority: .realtime))
        }
        let queued = Date()
        var done = 0
        while let claim = try store.claim(worker: "bench", lease: 30) {
            _ = try store.renew(claim, lease: 30)
            try store.finish(claim, .succeeded)
            done += 1
        }
        let end = Date()
        let total = end.timeIntervalSince(start)
        print(String(format: "store: %d no-op jobs in %.3f s: enqueue %.2f ms/job, claim+heartbeat+finish %.2f ms/job, %.2f ms/job in all",
                     done, total, queued.timeIntervalSince(start) * 1000 / Double(count),
                     end.timeIntervalSince(queued) * 1000 / Double(max(1, done)), total * 1000 / Double(max(1, done))))
    }
}
