import ArgumentParser
import MediaOrchestrator

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Print a media file's streams, rotation, frame rate, colour, audio layout and identifying tags as JSON."
    )

    @Argument(help: "The media file to inspect.")
    var file: String

    @Flag(help: "Let libav print its own diagnostics to stderr.")
    var verbose = false

    func run() throws {
        LibAVLogging.setVerbose(verbose)
        try reportingFailures {
            let info = try Demuxer(path: file).probe()
            print(try JSONCoding.string(info))
        }
    }
}
