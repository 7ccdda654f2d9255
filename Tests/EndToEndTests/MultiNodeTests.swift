import Foundation
import Testing
import TestSupport

/// Several machines on one PostgreSQL: scripts/multinode-chaos.py runs three `watch` nodes on
/// one shared workspace, drops 20 clips, SIGKILLs nodes at random, pauses one past its lease
/// while it holds a job, restarts PostgreSQL mid-run, and checks the store and the workspace (its
/// checks are listed in its output). It restarts the server, so it gets a cluster of its own
/// (scripts/with-postgres.sh), not the one `make test` shares between the other tests: on the
/// shared one, the restart cut the other tests' commands off mid-query.
@Suite(.serialized) struct MultiNodeTests {
    @Test func threeNodesOnOnePostgreSQLLoseNoClipAndRenderNoneTwiceThroughKillsPausesAndARestart() throws {
        let scripts = TestPaths.packageRoot.appendingPathComponent("scripts")
        let run = try ExternalTool.run(scripts.appendingPathComponent("with-postgres.sh").path,
                                       ["python3", scripts.appendingPathComponent("multinode-chaos.py").path, TestPaths.mediaorch,
                                        "--clips", "20", "--kills", "6", "--timeout", "600"])
        #expect(run.status == 0, "\(run.text.suffix(6000))\n\(run.stderr.suffix(2000))")
        #expect(run.text.contains("11 checks passed, 0 failed"), "\(run.text.suffix(3000))")
    }
}
