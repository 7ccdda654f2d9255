import ArgumentParser
import MediaOrchestrator

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print, as JSON, what the reply render would do to a clip (size, rate, filter graphs, encoder settings) without rendering."
    )

    @Argument(help: "The raw clip.")
    var file: String

    @OptionGroup var options: JobOptions

    func run() throws {
        LibAVLogging.setVerbose(false)
        try reportingFailures {
            let job = try options.job(input: file, outputFolder: "/dev/null")
            let request = try job.replyRequest(output: "/dev/null", captions: try JobCaptions.load(ticket: job.ticket, folder: job.captionsFolder))
            print(try JSONCoding.string(try ClipRenderer(request).plan()))
        }
    }
}
