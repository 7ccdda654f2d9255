import Foundation

/// Makes a job's outputs for one clip (its template's reply, thumbnails, editors' cut, caption
/// sidecars) in one folder, manifest.json last: in a render child for the queue (the folder is the
/// attempt's staging folder), or in `mediaorch process` (staged inside --out, see runStaged).
public struct JobExecutor: Sendable {
    public var input: String
    public var outputFolder: String
    public var ticket: Ticket?
    public var template: JobTemplate
    /// Limits the job to these outputs (`--outputs`); nil makes every output of the template.
    public var onlyOutputs: [JobTemplate.Output]?
    /// Overrides the ticket's trim.
    public var trim: Trim?
    public var progress: (@Sendable (String, RenderProgress) -> Void)?
    /// Where the ticket's caption files are (the ticket's own folder).
    public var captionsFolder: String = "."
    /// The queue's job id, for the manifest.
    public var jobId: String?
    /// The source's SHA-256 when the caller knows it (the queue hashed it at ingest).
    public var sourceSha256: String?
    public var cancellation = CancellationFlag()
    /// Set when `input` is an upload still arriving (a render made while it arrives): the reply
    /// reads it as it grows, and the source's hash comes from that reading.
    public var growing: GrowingFile?
    /// An arriving/<upload id> folder whose reply the job may take over (takeOverArrivingReply).
    var takeOverFrom: String?
    /// Called with the reply's render report (a render made while the upload arrives records it).
    var onReplyRendered: (@Sendable (RenderReport) -> Void)?

    public init(input: String, outputFolder: String, ticket: Ticket?, template: JobTemplate) {
        self.input = input
        self.outputFolder = outputFolder
        self.ticket = ticket
        self.template = template
    }

    public func run() throws -> Manifest {
        let folder = URL(fileURLWithPath: outputFolder)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw OrchestratorError(subject: outputFolder, "cannot create the output folder: \(error.localizedDescription)", permanent: false)
        }
        let captions = try JobCaptions.load(ticket: ticket, folder: captionsFolder)
        // Hash the original beside the render instead of before it: the reply must not wait.
        let digest = growing == nil ? BackgroundDigest(path: input, known: sourceSha256) : nil
        var manifest = ManifestBuilder(jobId: jobId, template: template, ticket: ticket, captions: captions)
        var sourceInfo: MediaInfo? = nil
        // Whatever order a template lists them in, the reply (and its thumbnails) come first.
        let outputs = JobTemplate.Output.allCases.filter { template.outputs.contains($0) && (onlyOutputs?.contains($0) ?? true) }
        if outputs.contains(.thumbnails) && !outputs.contains(.reply) {
            throw OrchestratorError(subject: template.name, "thumbnails come from the reply's own decode: ask for reply,thumbnails")
        }
        if growing != nil && outputs.contains(.bts) {
            throw OrchestratorError(subject: template.name, "the editors' cut is made from the whole original, not while it arrives: ask for reply,thumbnails")
        }

        for output in outputs {
            switch output {
            case .thumbnails:
                continue // made by the reply's pass
            case .bts:
                // After the reply: an editors' cut never delays a reply. The job's trim cuts the
                // bts only when the job makes no reply (the bts-cut template).
                let started = Date()
                let output = try makeEditorsCut(folder: folder, captions: captions, cut: outputs.contains(.reply) ? nil : (trim ?? ticket?.trim))
                sourceInfo = sourceInfo ?? output.source
                manifest.stageSeconds["bts"] = Date().timeIntervalSince(started)
                manifest.outputs.append(output.manifest)
            case .reply:
                let path = folder.appendingPathComponent("reply.mp4").path
                let trim = self.trim ?? ticket?.trim
                var request = try replyRequest(output: path, captions: captions)
                if outputs.contains(.thumbnails) {
                    request.thumbnails = [ThumbnailSpec(path: folder.appendingPathComponent("thumb.jpg").path),
                                          ThumbnailSpec(path: folder.appendingPathComponent("thumb-640.jpg").path, width: 640),
                                          ThumbnailSpec(path: folder.appendingPathComponent("thumb-320.jpg").path, width: 320)]
                }
                if let report = self.progress {
                    request.progress = { @Sendable progress in report("reply", progress) }
                }
                let report: RenderReport
                if let takeOverFrom, let arrived = try takeOverArrivingReply(from: takeOverFrom, into: folder) {
                    report = arrived
                    manifest.renderedWhileArriving = true
                } else {
                    report = try ClipRenderer(request).render()
                }
                onReplyRendered?(report)
                sourceInfo = report.source
                manifest.thumbnails = report.thumbnails.map {
                    Manifest.Thumbnail(path: URL(fileURLWithPath: $0.path).lastPathComponent, width: $0.width, height: $0.height,
                                       bytes: $0.bytes, time: $0.time)
                }
                manifest.stageSeconds["reply"] = report.seconds
                let clipDuration = report.duration - (request.endCard?.duration ?? 0)
                manifest.captionFiles = try writeCaptionSidecars(captions, folder: folder, offset: trim?.start ?? 0, clipDuration: clipDuration,
                                                          width: report.width, height: report.height, burnedScript: report.burnedScript)
                manifest.outputs.append(Manifest.Output(
                    role: "reply", path: "reply.mp4", bytes: Self.size(of: path), sha256: try ContentDigest.sha256(path: path), duration: report.duration,
                    width: report.width, height: report.height, frameRate: Int(report.frameRate.value.rounded()),
                    videoCodec: "h264 High", audioCodec: "aac LC 48 kHz stereo", validation: report.validation,
                    exactFrameRate: report.frameRate.fraction))
            }
        }

        if let growing, let declared = growing.declaredDuration {
            try Self.checkDeclaredLength(of: growing, declared: declared, cancellation: cancellation)
        }
        let source = try sourceInfo ?? Demuxer(path: input).probe()
        let made = manifest.build(source: source, sourceSha256: try growing?.wholeSha256(cancellation: cancellation) ?? digest!.result())
        try DurableFile.write(try JSONCoding.encoder().encode(made), to: folder.appendingPathComponent("manifest.json").path)
        return made
    }

    /// The reply render this job asks for: the template's settings, the trim, the burned-in
    /// captions and the end card. `mediaorch plan` shows the same request without rendering.
    public func replyRequest(output: String, captions: JobCaptions) throws -> RenderRequest {
        let trim = self.trim ?? ticket?.trim
        var request = RenderRequest(input: input, output: output, trim: trim, rendition: template.reply, cancellation: cancellation)
        request.growing = growing
        request.endCard = try endCardVisual()
        request.burnIn = burnIn(captions.burned, trimStart: trim?.start ?? 0, card: template.endCard,
                                cardLanguage: captions.burned?.language ?? captions.languages.first?.language)
        return request
    }

    /// Makes the ASS script to burn in once the output's shape is known: the captions re-timed to
    /// the render's trim, and the end card's words after the clip. Nil when there is nothing to burn.
    private func burnIn(_ burned: JobCaptions.Language?, trimStart: Double, card: EndCardTemplate?,
                        cardLanguage: String?) -> (@Sendable (RenderGeometry) -> String)? {
        guard burned != nil || card != nil else { return nil }
        let style = template.captions ?? CaptionStyle()
        return { geometry in
            var script = ASSScript(width: geometry.width, height: geometry.height, captionStyle: style)
            if let burned { script.addCaptions(burned.track.retimed(offset: trimStart, duration: geometry.clipDuration)) }
            if let card { script.addEndCard(card, language: cardLanguage, start: geometry.clipDuration) }
            return script.text
        }
    }

    /// bts.mp4: the camera's own pictures copied untouched when they already suit editors and no
    /// cut or captions are asked for; a cut between two times made smart (the camera's GOPs
    /// copied, the ends re-encoded) when the camera's stream can be joined; otherwise re-encoded
    /// upright at a constant rate, the manifest saying why.
    private func makeEditorsCut(folder: URL, captions: JobCaptions, cut: Trim?) throws -> (manifest: Manifest.Output, source: MediaInfo) {
        let path = folder.appendingPathComponent("bts.mp4").path
        let rendition = template.bts ?? .editorsCut
        let source = try Demuxer(path: input).probe()
        let burn = template.btsCaptions == true ? captions.burned : nil
        if cut == nil, burn == nil, StreamCopyRemuxer.reasonToReencode(source) == nil,
           let copied = try copyForEditors(to: path) {
            let probe = try Demuxer(path: path).probe()
            let v = probe.videoStreams.first, a = probe.audioStreams.first
            return (try btsOutput(path, duration: copied.duration, width: v?.displayWidth ?? 0, height: v?.displayHeight ?? 0,
                                  frameRate: v?.averageFrameRate, videoCodec: Self.copyDescription(v),
                                  audioCodec: a.map { "\($0.codec) (copied)" } ?? "none", validation: copied.validation), source)
        }
        var fullReencodeReason: String? = nil
        if let cut {
            let asked = template.btsSmartCut == false ? "the template asks for a full re-encode (bts_smart_cut: false)" : nil
            if let reason = asked ?? (burn != nil ? "captions are burned in" : SmartCutter.reasonNotToSmartCut(source)) {
                fullReencodeReason = reason
            } else {
                switch try smartCut(to: path, cut: cut, rendition: rendition) {
                case .success(let report):
                    return (try btsOutput(path, duration: report.duration, width: report.width, height: report.height, frameRate: report.frameRate,
                                          videoCodec: Self.smartCutDescription(report, crf: rendition.crf),
                                          audioCodec: "aac LC 48 kHz stereo \(rendition.audioBitrateKbps) kb/s", validation: report.validation,
                                          cut: .init(method: .smart, copiedPackets: report.copiedPackets, copiedSeconds: report.copiedSeconds,
                                                     reencodedPictures: report.reencodedPictures, reencodedSeconds: report.reencodedSeconds)), source)
                case .failure(let refusal):
                    fullReencodeReason = refusal.reason
                }
            }
        }
        var request = RenderRequest(input: input, output: path, trim: cut, rendition: rendition, cancellation: cancellation)
        request.validation = .editorsCut
        request.burnIn = burnIn(burn, trimStart: cut?.start ?? 0, card: nil, cardLanguage: nil)
        request.progress = btsProgress
        let report = try ClipRenderer(request).render()
        return (try btsOutput(path, duration: report.duration, width: report.width, height: report.height, frameRate: report.frameRate,
                              videoCodec: "h264 High (re-encoded, CRF \(rendition.crf))", audioCodec: "aac LC 48 kHz stereo \(rendition.audioBitrateKbps) kb/s",
                              validation: report.validation, cut: fullReencodeReason.map { .init(method: .reencoded, reason: $0) }), report.source)
    }

    /// What a copied bts's video is, for the manifest: "hevc Main 10 HLG (copied from the camera,
    /// its Dolby Vision record kept)", "h264 High (copied from the camera)".
    static func copyDescription(_ video: StreamInfo?) -> String {
        guard let video else { return "no video (copied from the camera)" }
        let kind = [video.codec, video.profile, video.hdr].compactMap { $0 }.joined(separator: " ")
        return "\(kind) (copied from the camera\(video.dolbyVision == true ? ", its Dolby Vision record kept" : ""))"
    }

    /// What a smart cut's video is, for the manifest: "hevc Main 10 HLG (smart cut: …)".
    static func smartCutDescription(_ report: SmartCutter.Report, crf: Int) -> String {
        let encoder = report.codec == "hevc" ? "libx265" : "libx264"
        let messages = report.hdr10MessagesKept ? ", with the camera's HDR10 messages" : ""
        let dolbyVision = report.dolbyVisionLeftOut ? "; the camera's Dolby Vision record left out, so it plays as \(report.hdr ?? "HDR") everywhere" : ""
        return "\(report.codec) \(report.profile)\(report.hdr.map { " \($0)" } ?? "") (smart cut: camera's GOPs copied, ends re-encoded by \(encoder) at CRF \(crf)\(messages)\(dolbyVision))"
    }

    /// bts.mp4 in the manifest, however it was made: its size and digest read from the file.
    private func btsOutput(_ path: String, duration: Double, width: Int, height: Int, frameRate: Rational?, videoCodec: String,
                           audioCodec: String, validation: ValidationReport, cut: Manifest.CutMethod? = nil) throws -> Manifest.Output {
        Manifest.Output(role: "bts", path: "bts.mp4", bytes: Self.size(of: path), sha256: try ContentDigest.sha256(path: path), duration: duration,
                        width: width, height: height, frameRate: Int((frameRate?.value ?? 0).rounded()), videoCodec: videoCodec, audioCodec: audioCodec,
                        validation: validation, exactFrameRate: frameRate?.fraction, cut: cut)
    }

    /// The bts cut's progress, reported under its role.
    private var btsProgress: (@Sendable (RenderProgress) -> Void)? {
        guard let report = self.progress else { return nil }
        return { @Sendable progress in report("bts", progress) }
    }

    /// The smart cut, or why it could not be made: a source it refuses, or a failure of its own
    /// (then the full re-encode gets its chance, and a failure of that names the clip).
    private func smartCut(to path: String, cut: Trim, rendition: Rendition) throws -> Result<SmartCutter.Report, SmartCutRefusal> {
        do {
            return .success(try SmartCutter(input: input, output: path, trim: cut, rendition: rendition,
                                            cancellation: cancellation, progress: btsProgress).cut())
        } catch let refusal as SmartCutRefusal {
            return .failure(refusal)
        } catch let error as TranscodeError where error.kind != .cancelled {
            return .failure(SmartCutRefusal(reason: "the smart cut failed (\(error.reason))"))
        }
    }

    /// The camera's packets copied untouched, or nil when they cannot be (a damaged upload's
    /// corrupt packets, timestamps no MP4 may hold): then the cut is re-encoded from what decodes,
    /// and a failure of that names the clip.
    private func copyForEditors(to path: String) throws -> (duration: Double, validation: ValidationReport)? {
        do {
            return try StreamCopyRemuxer(input: input, output: path).remux(cancellation: cancellation)
        } catch let error as TranscodeError where error.kind != .cancelled {
            return nil
        }
    }

    /// The template's end card with its files resolved inside the template's folder.
    private func endCardVisual() throws -> EndCardVisual? {
        guard let card = template.endCard else { return nil }
        return EndCardVisual(duration: card.durationSeconds, backgroundColor: card.backgroundColor,
                             backgroundImage: try card.backgroundImage.map(template.asset),
                             logo: try card.logo.map(template.asset), sound: try card.sound.map(template.asset))
    }

    /// captions.<lang>.srt for every language, re-timed to the output; captions.<lang>.ass for the
    /// burned one (its exact styling, for editors who re-burn).
    private func writeCaptionSidecars(_ captions: JobCaptions, folder: URL, offset: Double, clipDuration: Double,
                                      width: Int, height: Int, burnedScript: String?) throws -> [Manifest.Captions] {
        let rules = CaptionLayoutRules.forFrame(width: width, height: height)
        return try captions.languages.enumerated().map { index, language in
            let safeLanguage = language.language.filter { $0.isLetter || $0.isNumber || $0 == "-" }
            let name = "captions.\(safeLanguage.isEmpty ? "und" : safeLanguage).srt"
            let cues = language.track.retimed(offset: offset, duration: clipDuration)
            try DurableFile.write(Data(SubRipWriter.text(cues).utf8), to: folder.appendingPathComponent(name).path)
            var styled: String? = nil
            if index == captions.burnedIndex, let burnedScript {
                styled = "captions.\(safeLanguage.isEmpty ? "und" : safeLanguage).ass"
                try DurableFile.write(Data(burnedScript.utf8), to: folder.appendingPathComponent(styled!).path)
            }
            let shifted = CaptionTrack(file: language.track.file, cues: language.track.cues.map { cue in
                var c = cue; c.start -= offset; c.end -= offset; return c
            })
            let findings = language.track.findings + CaptionLinter.lint(shifted, rules: rules, clipDuration: clipDuration)
            return Manifest.Captions(language: language.language, source: language.sourceFile, path: name, burned: index == captions.burnedIndex,
                                     styledScript: styled, cues: cues.count, findings: findings)
        }
    }

    static func size(of path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
