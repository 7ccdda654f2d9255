import Foundation
import Testing
import TestSupport

/// Several machines on one PostgreSQL: scripts/multinode-chaos.py runs three `watch` nodes on
/// the cluster `make test` started and one shared workspace, drops 20 clips, SIGKILLs nodes at
/// random, pauses one past its lease while it holds a job, restarts PostgreSQL mid-run, and
/// checks the store and the workspace (its checks are listed in its output).
@Suite(.serialized) struct MultiNodeTests {
    @Test func threeNodesOnOnePostgreSQLLoseNoClipAndRenderNoneTwiceThroughKillsPausesAndARestart() throws {
        _ = try TestPostgres.serverAddress() // says how to run it when the cluster is missing
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/multinode-chaos.py").path
        let run = try ExternalTool.run("python3", [script, TestPaths.mediaorch, "--clips", "20", "--kills", "6", "--timeout", "600"])
        #expect(run.status == 0, "\(run.text.suffix(6000))\n\(run.stderr.suffix(2000))")
        #expect(run.text.contains("11 checks passed, 0 failed"), "\(run.text.suffix(3000))")
    }
}
