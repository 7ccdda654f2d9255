import ArgumentParser
import Foundation
import MediaOrchestrator

struct ProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Run one job without a queue: write the template's outputs and manifest.json into --out."
    )

    @Argument(help: "The raw clip.")
    var file: String

    @Option(help: "Folder for the outputs and manifest.json (created if missing).")
    var out: String

    @Option(help: "The clip's ticket (clip.job.json).")
    var ticket: String?

    @Option(help: "Job template name from Jobs/ (default: the ticket's, else twitter-reply).")
    var template: String?

    @Option(help: "Folder of job templates (default: ./Jobs or MEDIAORCH_TEMPLATES).")
    var templates: String?

    @Option(help: "Make only these outputs, comma-separated (reply, thumbnails).")
    var outputs: String?

    @Option(help: "Seconds from the start of the clip to begin the reply at.")
    var trimStart: Double?

    @Option(help: "Seconds from the start of the clip to end the reply at.")
    var trimEnd: Double?

    @Flag(help: "Let libav print its own diagnostics to stderr.")
    var verbose = false

    func run() throws {
        LibAVLogging.setVerbose(verbose)
        try reportingFailures {
            let ticket = try self.ticket.map(Ticket.load(path:))
            let library = TemplateLibrary(folder: templates)
            let job = try makeJob(ticket: ticket, template: try library.load(template ?? ticket?.template ?? TemplateLibrary.defaultTemplate))
            let interrupt = InterruptHandler(cancelling: job.cancellation)
            defer { interrupt.stop() }
            let manifest = try job.run()
            ProgressDisplay.finish()
            for output in manifest.outputs {
                print("\(output.role): \(URL(fileURLWithPath: out).appendingPathComponent(output.path).path) "
                      + "(\(output.width)x\(output.height), \(String(format: "%.2f", output.duration)) s, \(output.bytes) bytes)")
                for warning in output.validation.warnings { print("  recommendation not met: \(warning.summary)") }
            }
            for thumbnail in manifest.thumbnails {
                print("thumbnail: \(URL(fileURLWithPath: out).appendingPathComponent(thumbnail.path).path) (\(thumbnail.width)x\(thumbnail.height), from \(String(format: "%.2f", thumbnail.time)) s)")
            }
            for captions in manifest.captions {
                print("captions (\(captions.language)\(captions.burned ? ", burned in" : "")): \(URL(fileURLWithPath: out).appendingPathComponent(captions.path).path)")
                for finding in captions.findings { print("  \(finding.severity.rawValue): \(finding.description)") }
            }
            print("manifest: \(URL(fileURLWithPath: out).appendingPathComponent("manifest.json").path)")
            if !manifest.readyToPost { print("not ready to post: \(manifest.notReadyReasons.joined(separator: "; "))") }
        }
    }

    private func makeJob(ticket: Ticket?, template: JobTemplate) throws -> SingleJob {
        var job = SingleJob(input: file, outputFolder: out, ticket: ticket, template: template)
        if let ticketPath = self.ticket {
            job.captionsFolder = URL(fileURLWithPath: ticketPath).deletingLastPathComponent().path
        }
        if let outputs {
            job.onlyOutputs = try outputs.split(separator: ",").map { name in
                guard let output = JobTemplate.Output(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown output '\(name)'; known: \(JobTemplate.Output.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return output
            }
        }
        if trimStart != nil || trimEnd != nil {
            job.trim = Trim(start: trimStart ?? 0, end: trimEnd)
        }
        job.progress = { role, progress in ProgressDisplay.show(role: role, progress) }
        return job
    }
}
