import Foundation
import Testing
import TestSupport

/// Thumbnails from the reply's own decode, encoded by libjpeg.
@Suite struct ThumbnailTests {
    @Test func threeProgressiveJPEGsWithoutMetadata() throws {
        let folder = try TestPaths.scratch("replies/thumbs")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", TestPaths.sample("kakuma_portrait.mov"), "--out", folder.path,
                                                              "--template", "twitter-reply", "--templates", TestPaths.jobs.path,
                                                              "--outputs", "reply,thumbnails"])
        #expect(result.status == 0, "\(result.stderr)")
        for (name, width, height) in [("thumb.jpg", 720, 1280), ("thumb-640.jpg", 640, 1138), ("thumb-320.jpg", 320, 568)] {
            let path = folder.appendingPathComponent(name).path
            let jpeg = try JPEGMarkers(Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(jpeg.width == width && jpeg.height == height, "\(name): \(jpeg.width)x\(jpeg.height)")
            #expect(jpeg.isProgressive, "\(name) is progressive")
            #expect(!jpeg.hasMetadata, "\(name) carries no EXIF, XMP or comment")
            let stream = try #require(try FFprobe.streams(path).first)
            #expect(stream.string("codec_name") == "mjpeg" && stream.int("width") == width)
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any]
        let thumbs = try #require(manifest?["thumbnails"] as? [[String: Any]])
        let time = try #require(thumbs.first?["time"] as? Double)
        #expect(time >= 1.0 && time <= 5.0, "taken away from the first and last second: \(time)")
    }

    /// Variance of the Laplacian of a grey image decoded by ffmpeg: the test's own sharpness measure.
    static func sharpness(ofImage path: String, width: Int = 160, height: Int = 90) throws -> Double {
        let r = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", path, "-vf", "scale=\(width):\(height)", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        let g = [UInt8](r.stdout)
        var values: [Double] = []
        for y in 1..<(height - 1) { for x in 1..<(width - 1) {
            let c = Double(g[y * width + x])
            values.append(Double(g[y * width + x - 1]) + Double(g[y * width + x + 1]) + Double(g[(y - 1) * width + x]) + Double(g[(y + 1) * width + x]) - 4 * c)
        } }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    }

    @Test func theStillComesFromTheSharpPartNotTheBlackOrBlurredOnes() throws {
        // 0–2 s black, 2–5 s the test card heavily blurred, 5–8 s the test card sharp.
        let input = try Fixtures.make("black-blur-sharp.mp4", [
            "-filter_complex", "color=black:s=1280x720:r=30:d=2[a];testsrc2=s=1280x720:r=30:d=3,gblur=sigma=25[b];"
                + "testsrc2=s=1280x720:r=30:d=3[c];[a][b][c]concat=n=3:v=1:a=0[v]",
            "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16"])
        let folder = try TestPaths.scratch("replies/thumb-pick")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", input, "--out", folder.path, "--template", "twitter-reply",
                                                              "--templates", TestPaths.jobs.path, "--outputs", "reply,thumbnails"])
        #expect(result.status == 0, "\(result.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any]
        let time = try #require((manifest?["thumbnails"] as? [[String: Any]])?.first?["time"] as? Double)
        #expect(time >= 5.0 && time <= 7.0, "picked at \(time) s")
        // Independently of the product's own score: the thumbnail is as sharp as the sharp part, far sharper than the blur.
        let frames = try TestPaths.scratch("frames-thumb")
        let blurred = frames.appendingPathComponent("blurred.png").path
        _ = try ExternalTool.run("ffmpeg", ["-v", "error", "-y", "-i", input, "-ss", "3.5", "-frames:v", "1", blurred])
        let thumb = try Self.sharpness(ofImage: folder.appendingPathComponent("thumb.jpg").path)
        let blur = try Self.sharpness(ofImage: blurred)
        #expect(thumb > 10 * blur, "thumbnail sharpness \(thumb) vs blurred \(blur)")
        let grey = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", folder.appendingPathComponent("thumb-320.jpg").path,
                                                   "-vf", "scale=32:18", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        let mean = [UInt8](grey.stdout).map(Double.init).reduce(0, +) / Double(max(1, grey.stdout.count))
        #expect(mean > 40, "not black: mean \(mean)")
    }
}
