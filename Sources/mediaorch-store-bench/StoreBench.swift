import Foundation
import MediaOrchestrator

/// `make bench` parts on the job store alone, with no-op jobs:
///
/// - `mediaorch-store-bench [COUNT [FOLDER]]`: the store's own cost per job (enqueue, claim with
///   a lease, one heartbeat, finish) for COUNT jobs in a fresh SQLite file (WAL, fsync as in
///   production). With FOLDER the store is made there and kept: the HTTP benchmark lists its jobs.
/// - `mediaorch-store-bench fill STORE COUNT`: queues COUNT no-op jobs in STORE (a postgres://
///   address or an SQLite path).
/// - `mediaorch-store-bench drain STORE WORKER [START-FILE]`: claims and finishes jobs until none is
///   left, as one node's worker would, and prints how many; waits for START-FILE to exist first,
///   so several drains (one per node) start together.
/// - `mediaorch-store-bench check STORE`: prints how many jobs succeeded and how many were
///   claimed more than once (must be 0).
@main
struct StoreBench {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "fill":
            let store = try JobStore(location: try StoreLocation.parse(arguments[1]))
            let count = Int(arguments[2]) ?? 1000
            let prefix = String(format: "%04x", UInt16.random(in: 0...UInt16.max))
            for i in 0..<count { try store.enqueue(noOp(i, prefix: prefix)) }
        case "drain":
            let store = try JobStore(location: try StoreLocation.parse(arguments[1]))
            if arguments.count > 3 { while !FileManager.default.fileExists(atPath: arguments[3]) { usleep(1000) } }
            var done = 0
            while let claim = try store.claim(worker: arguments[2], lease: 30) {
                try store.finish(claim, .succeeded)
                done += 1
            }
            print(done)
        case "check":
            let store = try JobStore(location: try StoreLocation.parse(arguments[1]))
            let jobs = try store.list()
            print("\(jobs.filter { $0.state == .succeeded }.count) \(jobs.filter { $0.attempts != 1 }.count)")
        default:
            try perJobCost(count: Int(arguments.first ?? "") ?? 1000, keep: arguments.dropFirst().first.map { URL(fileURLWithPath: $0) })
        }
    }

    /// A job nobody renders: ids come from the first 12 hex digits of the hash.
    static func noOp(_ i: Int, prefix: String = "") -> JobStore.NewJob {
        let sha = prefix + String(format: "%08x", i) + String(repeating: "0", count: 64 - 8 - prefix.count)
        return .init(sourceName: "clip\(i).mp4", sourceSha256: sha, archivePath: "archive/clip\(i).mp4", template: "twitter-reply", priority: .realtime)
    }

    static func perJobCost(count: Int, keep: URL?) throws {
        let folder = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("mediaorch-store-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: folder) } }
        let store = try JobStore(path: folder.appendingPathComponent("jobs.sqlite").path)
        let start = Date()
        for i in 0..<count { try store.enqueue(noOp(i)) }
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
