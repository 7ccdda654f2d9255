import ArgumentParser
import Foundation
import MediaOrchestrator

/// The options that describe one job, shared by `process` and `plan`.
struct JobOptions: ParsableArguments {
    @Option(help: "The clip's ticket (clip.job.json); its caption files sit beside it.")
    var ticket: String?

    @Option(help: "Job template name: a built-in one (Jobs/) or one in --templates (default: the ticket's, else twitter-reply).")
    var template: String?

    @Option(help: "Folder of job templates that replace the built-in ones of the same name (default: MEDIAORCH_TEMPLATES).")
    var templates: String?

    @Option(help: "Seconds from the start of the clip to begin at (the reply's, or the bts cut's in point).")
    var trimStart: Double?

    @Option(help: "Seconds from the start of the clip to end at.")
    var trimEnd: Double?

    /// The ticket, template, trim and caption folder, as one job.
    func job(input: String, outputFolder: String) throws -> JobExecutor {
        let ticket = try self.ticket.map(Ticket.load(path:))
        let template = try TemplateLibrary(folder: templates).load(self.template ?? ticket?.template ?? TemplateLibrary.defaultTemplate)
        var job = JobExecutor(input: input, outputFolder: outputFolder, ticket: ticket, template: template)
        if trimStart != nil || trimEnd != nil { job.trim = Trim(start: trimStart ?? 0, end: trimEnd) }
        if let path = self.ticket { job.captionsFolder = URL(fileURLWithPath: path).deletingLastPathComponent().path }
        return job
    }
}
