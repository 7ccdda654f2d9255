import ArgumentParser
import Foundation
import MediaOrchestrator

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print, as JSON, what the reply render would do to a clip (size, rate, filter graphs, encoder settings) without rendering."
    )

    @Argument(help: "The raw clip.")
    var file: String

    @Option(help: "The clip's ticket (clip.job.json).")
    var ticket: String?

    @Option(help: "Job template name from Jobs/ (default: the ticket's, else twitter-reply).")
    var template: String?

    @Option(help: "Folder of job templates.")
    var templates: String?

    @Option(help: "Seconds from the start of the clip to begin at.")
    var trimStart: Double?

    @Option(help: "Seconds from the start of the clip to end at.")
    var trimEnd: Double?

    func run() throws {
        LibAVLogging.setVerbose(false)
        try reportingFailures {
            let ticket = try self.ticket.map(Ticket.load(path:))
            let template = try TemplateLibrary(folder: templates).load(template ?? ticket?.template ?? TemplateLibrary.defaultTemplate)
            var job = SingleJob(input: file, outputFolder: "/dev/null", ticket: ticket, template: template)
            if trimStart != nil || trimEnd != nil { job.trim = Trim(start: trimStart ?? 0, end: trimEnd) }
            let folder = self.ticket.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "."
            let request = try job.replyRequest(output: "/dev/null", captions: try JobCaptions.load(ticket: ticket, folder: folder))
            print(try JSONOutput.string(try ReplyRenderer(request).plan()))
        }
    }
}
