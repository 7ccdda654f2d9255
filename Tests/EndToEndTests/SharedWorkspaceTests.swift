import Foundation
import Testing
import TestSupport

/// A node that loses the shared workspace's mount (its mount point is left empty) while it
/// renders: it stops claiming, releases its job without using a try, the other node finishes
/// everything, a restart on the bare mount point is refused, and once the mount is back the node
/// works again. Two `watch` nodes on the PostgreSQL cluster `make test` started; the "mount" is a
/// symbolic link one node reaches the workspace through, swapped for an empty folder.
@Suite(.serialized) struct SharedWorkspaceTests {
    @Test func aNodeThatLosesTheMountHoldsOffAndCostsNoJobATry() throws {
        let store = try TestPostgres.freshDatabase("lost_mount")
        let env = ["MEDIAORCH_STORE": store]
        let scratch = try TestPaths.scratch("shared-workspace")
        let workspace = scratch.appendingPathComponent("nfs-export")
        let mountPoint = scratch.appendingPathComponent("alpha-mount")
        try FileManager.default.createDirectory(at: workspace.appendingPathComponent("inbox"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: mountPoint, withDestinationURL: workspace)

        func start(_ node: String, _ root: URL, log: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: TestPaths.mediaorch)
            p.arguments = ["watch", "--workspace", root.path, "--node", node, "--templates", TestPaths.jobs.path, "--no-http",
                           "--stable-seconds", "1", "--lease", "6", "--staging", scratch.appendingPathComponent("staging-\(node)").path]
            p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
            FileManager.default.createFile(atPath: scratch.appendingPathComponent(log).path, contents: nil)
            p.standardError = try FileHandle(forWritingTo: scratch.appendingPathComponent(log))
            try p.run()
            return p
        }
        func json(_ arguments: [String]) throws -> Any {
            let run = try ExternalTool.run(TestPaths.mediaorch, arguments + ["--json", "--workspace", workspace.path], environment: env)
            try #require(run.status == 0, "mediaorch \(arguments.joined(separator: " ")) --json: \(run.stderr)")
            return try JSONSerialization.jsonObject(with: run.stdout)
        }
        func jobs() throws -> [[String: Any]] { try json(["jobs", "list"]) as? [[String: Any]] ?? [] }
        func held(by node: String) throws -> [String] {
            ((try json(["nodes"]) as? [[String: Any]]) ?? []).first { $0["name"] as? String == node }?["jobs"] as? [String] ?? []
        }
        func waitFor(_ seconds: Double, _ check: () throws -> Bool) throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline { if try check() { return true }; Thread.sleep(forTimeInterval: 0.2) }
            return false
        }
        func log(_ name: String) -> String { (try? String(contentsOf: scratch.appendingPathComponent(name), encoding: .utf8)) ?? "" }

        // Clips long enough to be caught rendering; beta starts only once alpha holds one.
        let long = try Fixtures.make("shared-workspace-12s.mp4", ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi",
                                                                  "-i", Fixtures.speech, "-t", "12", "-c:v", "libx264", "-preset", "ultrafast",
                                                                  "-c:a", "aac", "-shortest"])
        var alpha = try start("alpha", mountPoint, log: "alpha.log")
        defer { for p in [alpha] where p.isRunning { p.terminate(); p.waitUntilExit() } }
        for n in 0..<3 {
            let data = try Data(contentsOf: URL(fileURLWithPath: long)) + Data([UInt8(n)])
            try data.write(to: workspace.appendingPathComponent("inbox/.clip\(n).mp4.part"))
            try FileManager.default.moveItem(at: workspace.appendingPathComponent("inbox/.clip\(n).mp4.part"),
                                             to: workspace.appendingPathComponent("inbox/clip\(n).mp4"))
        }
        #expect(try waitFor(60) { try !held(by: "alpha").isEmpty }, "alpha took a job: \(log("alpha.log").suffix(2000))")
        let beta = try start("beta", workspace, log: "beta.log")
        defer { if beta.isRunning { beta.terminate(); beta.waitUntilExit() } }
        let heldJob = try #require(try held(by: "alpha").first)

        // The mount goes: alpha's mount point is an empty folder now.
        try FileManager.default.removeItem(at: mountPoint)
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: false)
        #expect(try waitFor(30) { log("alpha.log").contains("workspace unreachable: not claiming jobs") }, "\(log("alpha.log").suffix(2000))")
        #expect(try waitFor(30) { try held(by: "alpha").isEmpty }, "alpha let its job go")
        #expect(try waitFor(300) {
            let all = try jobs()
            return all.count >= 3 && all.allSatisfy { $0["state"] as? String == "succeeded" }
        }, "beta finished every job: \((try? jobs())?.map { "\($0["id"] ?? "") \($0["state"] ?? "") \($0["last_error"] ?? "")" } ?? [])")
        let detail = try json(["jobs", "show", heldJob]) as? [String: Any]
        let attempts = (detail?["attempts"] as? [[String: Any]]) ?? []
        let alphas = attempts.filter { ($0["worker"] as? String)?.hasPrefix("alpha:") == true }
        #expect(!alphas.isEmpty && alphas.allSatisfy { $0["outcome"] as? String == "released" }, "alpha's attempt was released, not failed: \(attempts)")
        let job = detail?["job"] as? [String: Any]
        let released = attempts.filter { $0["outcome"] as? String == "released" }.count
        #expect(job?["max_attempts"] as? Int == 4 + released, "each release gave its try back: \(job ?? [:])")
        #expect(!attempts.contains { $0["outcome"] as? String == "failed" }, "\(attempts)")
        #expect(try jobs().allSatisfy { ($0["attempts"] as? Int ?? 9) <= 2 }, "no job burned tries on the node without its mount")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint.path).isEmpty, "nothing was written into the bare mount point")

        // A restart on the bare mount point is refused, saying why.
        alpha.terminate()
        alpha.waitUntilExit()
        let refused = try ExternalTool.run(TestPaths.mediaorch, ["watch", "--workspace", mountPoint.path, "--node", "alpha", "--no-http"], environment: env)
        #expect(refused.status != 0 && refused.stderr.contains("is the shared workspace mounted"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint.path).isEmpty)

        // The mount comes back: alpha works again.
        try FileManager.default.removeItem(at: mountPoint)
        try FileManager.default.createSymbolicLink(at: mountPoint, withDestinationURL: workspace)
        alpha = try start("alpha", mountPoint, log: "alpha-again.log")
        beta.terminate()
        beta.waitUntilExit()
        let data = try Data(contentsOf: URL(fileURLWithPath: long)) + Data([9])
        try data.write(to: workspace.appendingPathComponent("inbox/.clip9.mp4.part"))
        try FileManager.default.moveItem(at: workspace.appendingPathComponent("inbox/.clip9.mp4.part"), to: workspace.appendingPathComponent("inbox/clip9.mp4"))
        #expect(try waitFor(300) {
            try jobs().contains { $0["source_name"] as? String == "clip9.mp4" && $0["template"] as? String == "twitter-reply" && $0["state"] as? String == "succeeded" }
        }, "alpha, its mount back, ingested and rendered a new clip: \(log("alpha-again.log").suffix(2000))")
    }
}
