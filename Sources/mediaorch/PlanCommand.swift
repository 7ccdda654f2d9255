import ArgumentParser
import MediaOrchestrator

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print, as JSON, what the reply render would do to a clip (size, rate, filters, encoder settings) without rendering."
    )

    @Argument(help: "The raw clip.")
    var file: String

    @Option(help: "Job template name from Jobs/.")
    var template: String = TemplateLibrary.defaultTemplate

    @Option(help: "Folder of job templates.")
    var templates: String?

    @Option(help: "Seconds from the start of the clip to begin at.")
    var trimStart: Double?

    @Option(help: "Seconds from the start of the clip to end at.")
    var trimEnd: Double?

    func run() throws {
        LibAVLogging.setVerbose(false)
        try reportingFailures {
            let template = try TemplateLibrary(folder: templates).load(template)
            let trim = (trimStart != nil || trimEnd != nil) ? Trim(start: trimStart ?? 0, end: trimEnd) : nil
            let request = RenderRequest(input: file, output: "/dev/null", trim: trim, rendition: template.reply)
            print(try JSONOutput.string(try ReplyRenderer(request).plan()))
        }
    }
}
