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

    @OptionGroup var options: JobOptions

    @Option(help: "Make only these outputs, comma-separated (reply, thumbnails, bts).")
    var outputs: String?

    @Flag(help: "Let libav print its own diagnostics to stderr.")
    var verbose = false

    @Option(help: "Render the clip while another program still writes it (a fragmented MP4 or WebM), planning by this declared length in seconds (checked once it is whole). The file is whole once FILE.length holds its size in bytes.")
    var arrivingDuration: Double?

    @Option(help: "With --arriving-duration: seconds without a new byte before the render gives up.")
    var arrivingStallSeconds: Double = 30

    func run() throws {
        LibAVLogging.setVerbose(verbose)
        try reportingFailures {
            let job = try makeJob()
            let interrupt = SignalCancellation(cancelling: job.cancellation)
            defer { interrupt.stop() }
            let manifest: Manifest
            do { manifest = try job.runStaged() } catch {
                // An error about an output (bts.mp4, a thumbnail) is still said of the clip it came from.
                let clip = URL(fileURLWithPath: file).lastPathComponent
                if "\(error)".hasPrefix(clip + ": ") { throw error }
                throw OrchestratorError(subject: clip, "\(error)", permanent: isPermanentFailure(error))
            }
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

    private func makeJob() throws -> JobExecutor {
        var job = try options.job(input: file, outputFolder: out)
        if let outputs {
            job.onlyOutputs = try outputs.split(separator: ",").map { name in
                guard let output = JobTemplate.Output(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown output '\(name)'; known: \(JobTemplate.Output.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return output
            }
        }
        job.progress = { role, progress in ProgressDisplay.show(role: role, progress) }
        if let seconds = arrivingDuration {
            guard seconds.isFinite, (0.1...600).contains(seconds) else { throw ValidationError("--arriving-duration is the clip's seconds, 0.1 to 600") }
            guard arrivingStallSeconds.isFinite, (0.1...3600).contains(arrivingStallSeconds) else { throw ValidationError("--arriving-stall-seconds is 0.1 to 3600") }
            let arrival = FileArrival(path: file)
            job.growing = try GrowingFile(path: file, stallLimit: arrivingStallSeconds, declaredDuration: seconds, look: { arrival.look() })
            job.onlyOutputs = (job.onlyOutputs ?? job.template.outputs).filter { $0 != .bts }
        }
        return job
    }
}
