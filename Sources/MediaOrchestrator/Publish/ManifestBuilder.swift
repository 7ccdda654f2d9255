import Foundation
import Transcode

/// manifest.json's content for one job: what was made from which source, for which ticket, the
/// post draft, and whether a person may post it (and if not, why). The render child collects the
/// outputs; this decides what the manifest says about them.
struct ManifestBuilder {
    let jobId: String?
    let template: JobTemplate
    let ticket: Ticket?
    let captions: JobCaptions

    var outputs: [Manifest.Output] = []
    var thumbnails: [Manifest.Thumbnail] = []
    var captionFiles: [Manifest.Captions] = []
    var stageSeconds: [String: Double] = [:]
    /// The reply was rendered while its upload arrived and taken over by the job.
    var renderedWhileArriving = false

    init(jobId: String?, template: JobTemplate, ticket: Ticket?, captions: JobCaptions) {
        (self.jobId, self.template, self.ticket, self.captions) = (jobId, template, ticket, captions)
    }

    /// Why a person must not post it yet: no recorded consent, an output breaking X's rules.
    var notReadyReasons: [String] {
        var reasons: [String] = []
        if ticket?.speaker?.consent != true {
            reasons.append(ticket == nil ? "no ticket: the speaker's consent is not recorded" : "the ticket does not record the speaker's consent")
        }
        for output in outputs where !output.validation.passed {
            reasons.append("\(output.path) breaks X's rules")
        }
        return reasons
    }

    /// The reply text (handle, the template's words, the petition URL) and alt text for X.
    func postDraft(for reply: Manifest.Output) -> Manifest.PostDraft {
        let words = template.postText ?? "Thank you for speaking out — but outrage is not enough: #TakeAction and sign the petition"
        let text = [ticket?.replyTo?.handle, words, template.endCard?.petitionUrl].compactMap { $0 }.joined(separator: " ")
        let who = [ticket?.speaker?.name, ticket?.speaker?.camp.map { "in \($0) camp" }].compactMap { $0 }.joined(separator: " ")
        var alt = "Video reply" + (who.isEmpty ? "" : " from \(who)")
        if let first = captions.burned?.track.cues.first?.text { alt += ", who says: “\(first)”" }
        return Manifest.PostDraft(inReplyToTweetId: ticket?.replyTo?.tweetId, text: text, altText: alt, totalBytes: reply.bytes)
    }

    /// The manifest for `source` (probed from the original) whose SHA-256 is `sourceSha256`.
    func build(source: MediaInfo, sourceSha256: String) -> Manifest {
        let video = source.videoStreams.first, audio = source.audioStreams.first
        let reasons = notReadyReasons
        return Manifest(
            jobId: jobId, template: template.name, createdAt: Date(),
            source: .init(name: source.file, sha256: sourceSha256, container: source.container, duration: source.duration, bytes: source.size,
                          video: video.map { "\($0.codec) \($0.displayWidth ?? 0)x\($0.displayHeight ?? 0)" },
                          audio: audio.map { "\($0.codec) \($0.channelLayout ?? "") \($0.sampleRate ?? 0) Hz" },
                          identifyingTagsRemoved: source.identifyingMetadata.map { "\($0.key) (\($0.scope))" }),
            ticket: ticket, outputs: outputs, thumbnails: thumbnails, captions: captionFiles, stageSeconds: stageSeconds,
            postDraft: outputs.first { $0.role == "reply" }.map(postDraft(for:)),
            readyToPost: reasons.isEmpty, notReadyReasons: reasons,
            madeFrom: ticket?.clip?.role == .proxy ? .proxy : .original, renderedWhileArriving: renderedWhileArriving ? true : nil)
    }
}
