import Foundation
import Testing
import TestSupport

/// `mediaorch probe` as a producer runs it: JSON on stdout, or one line naming the file on stderr.
@Suite struct ProbeCommandTests {
    @Test func printsJSONForAPhoneClip() throws {
        let result = try ExternalTool.run(TestPaths.mediaorch, ["probe", TestPaths.shared("iphone_rotated.mov")])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let streams = try #require(json["streams"] as? [[String: Any]])
        let video = try #require(streams.first { $0["type"] as? String == "video" })
        #expect(video["rotation"] as? Double == -90)
        #expect(video["display_width"] as? Int == 320)
        #expect(video["display_height"] as? Int == 568)
        let tags = try #require(json["identifying_metadata"] as? [[String: Any]])
        #expect(tags.contains { $0["kind"] as? String == "gps" })
    }

    @Test func brokenFilesExitNonZeroWithOneLine() throws {
        let dir = try TestPaths.scratch("probe-cli")
        let empty = dir.appendingPathComponent("zero.mp4").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let text = dir.appendingPathComponent("ticket.mp4").path
        _ = FileManager.default.createFile(atPath: text, contents: Data("{ not media }".utf8))
        for path in [empty, text] {
            let result = try ExternalTool.run(TestPaths.mediaorch, ["probe", path])
            let name = URL(fileURLWithPath: path).lastPathComponent
            #expect(result.status != 0)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(result.stderr)")
            #expect(lines.first?.contains(name) == true, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}
