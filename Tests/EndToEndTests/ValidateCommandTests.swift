import Foundation
import Testing
import TestSupport

@Suite struct ValidateCommandTests {
    @Test func namesTheRulesARotatedPhoneClipBreaks() throws {
        let result = try ExternalTool.run(TestPaths.mediaorch, ["validate", TestPaths.shared("iphone_rotated.mov")])
        #expect(result.status != 0)
        #expect(result.text.contains("FAIL MP4 container"), "\(result.text)")
        #expect(result.text.contains("FAIL H.264 High profile"))
        #expect(result.text.contains("FAIL no rotation left in the display matrix"))
        #expect(result.stderr.contains("iphone_rotated.mov") && result.stderr.contains("no GPS"), "\(result.stderr)")
    }

    @Test func passesAReplyTheProductMade() throws {
        let (render, folder) = try renderReply(TestPaths.sample("shatila_landscape.mp4"), name: "validate-ok")
        #expect(render.status == 0, "\(render.stderr)")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["validate", "--json", replyPath(in: folder)])
        #expect(result.status == 0, "\(result.text)")
        let json = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let checks = try #require(json["checks"] as? [[String: Any]])
        #expect(checks.count >= 15)
        #expect(checks.filter { $0["severity"] as? String == "required" }.allSatisfy { $0["passed"] as? Bool == true })
    }
}
