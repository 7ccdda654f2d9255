import Foundation
import Transcode

extension JobExecutor {
    /// What the reply's render depends on besides the source's bytes: the template (its settings,
    /// card and captions style), the trim, and the captions asked for. A reply rendered while its
    /// upload arrived is taken over only when this matches the job's.
    func replyKey() throws -> String {
        struct Key: Encodable {
            var template: JobTemplate
            var trim: Trim?
            var captions: [Ticket.CaptionFile]?
        }
        let encoder = JSONCoding.encoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(Key(template: template, trim: trim ?? ticket?.trim, captions: ticket?.captions))
        return ContentDigest.sha256(bytes: data)
    }

    /// The reply (and its thumbnails) rendered while the upload arrived, moved into this job's
    /// folder when it was made from the same bytes for the same render; nil otherwise (then the
    /// job renders it as usual). `sourceSha256` is the job's, hashed at ingest.
    func takeOverArrivingReply(from folder: String, into output: URL) throws -> RenderReport? {
        let arriving = ArrivingRender(folder: URL(fileURLWithPath: folder))
        guard let done = arriving.finished(), let sourceSha256, done.sourceSha256 == sourceSha256,
              done.replyKey == (try replyKey()) else { return nil }
        var report = done.report
        let files = [report.output] + report.thumbnails.map(\.path)
        for file in files {
            let name = URL(fileURLWithPath: file).lastPathComponent
            let from = arriving.render.appendingPathComponent(name).path, to = output.appendingPathComponent(name).path
            // A hard link: the rendered bytes stay where they are until the arriving folder is swept.
            unlink(to)
            guard link(from, to) == 0 || (try? FileManager.default.copyItem(atPath: from, toPath: to)) != nil else { return nil }
        }
        report.output = output.appendingPathComponent(URL(fileURLWithPath: report.output).lastPathComponent).path
        report.thumbnails = report.thumbnails.map { var t = $0; t.path = output.appendingPathComponent(URL(fileURLWithPath: t.path).lastPathComponent).path; return t }
        // The probe made while the bytes arrived saw only the first fragment's length.
        report.source = try Demuxer(path: input, cancellation: cancellation).probe(framePacing: false)
        return report
    }

    /// A reply made while its upload arrived planned by the length the phone declared: checked
    /// against the whole file's pictures, so a phone that said wrong never gets a reply cut short
    /// or padded (the job then renders it from the whole file).
    /// Read through the file the render read (its name may have moved on to the inbox and the
    /// archive by now), once it is whole.
    static func checkDeclaredLength(of file: GrowingFile, declared: Double, cancellation: CancellationFlag) throws {
        _ = try file.wholeSha256(cancellation: cancellation)
        let whole = try Demuxer(path: file.path, cancellation: cancellation, growing: file)
        let info = try whole.probe(framePacing: false)
        guard let video = info.videoStreams.first else { return }
        let end = try whole.endTime(ofStream: video.index, rewinding: false) ?? 0
        let actual = end - (video.startTime ?? 0)
        guard abs(actual - declared) <= 0.15 else {
            throw OrchestratorError(subject: file.fileName,
                                    "its pictures last \(String(format: "%.2f", actual)) s, not the \(String(format: "%.2f", declared)) s the phone declared")
        }
    }
}
