import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

@Suite struct WorkspaceTests {
    @Test func aConfigFileNamesTheRootRelativeToItself() throws {
        let folder = try TestPaths.scratch("config")
        let config = folder.appendingPathComponent("mediaorch.json")
        try Data(#"{ "workspace": "camp-uploads" }"#.utf8).write(to: config)
        #expect(Workspace.configuredRoot(configPath: config.path) == folder.appendingPathComponent("camp-uploads").path)
        #expect(Workspace.configuredRoot(configPath: folder.appendingPathComponent("missing.json").path) == nil)
        #expect(Workspace.locate("/srv/explicit").root.path == "/srv/explicit", "--workspace wins")
    }

    @Test func namesWithPathsAreRefused() throws {
        let inbox = URL(fileURLWithPath: "/ws/inbox")
        for bad in ["../archive/x.mp4", "/etc/passwd", "..", "a/b.srt", ""] {
            #expect(throws: OrchestratorError.self, "\(bad)") { try Workspace.child(bad, of: inbox) }
        }
        #expect(try Workspace.child("clip.mp4", of: inbox).path == "/ws/inbox/clip.mp4")
    }

    @Test func inboxScannerIgnoresPartialHiddenAndSidecarFiles() {
        for name in [".clip.mp4", "clip.mp4.part", "clip.job.json", "abu.en.srt", "layla.vtt", "x.crdownload", "~tmp.mov"] {
            #expect(!InboxScanner.isCandidate(name), "\(name)")
        }
        #expect(InboxScanner.isCandidate("clip.mp4") && InboxScanner.isCandidate("IMG_0042.MOV"))
    }
}
