import ArgumentParser
import Foundation
import MediaOrchestrator

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "For producers: list, show, retry and cancel jobs; record a reply as posted.",
        subcommands: [List.self, Show.self, Retry.self, Cancel.self, Posted.self]
    )


    struct List: ParsableCommand {
        @OptionGroup var options: WorkspaceOption
        @Option(help: "Only jobs in this state (\(JobState.allCases.map(\.rawValue).joined(separator: ", "))).")
        var state: JobState?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                let jobs = try options.open().1.list(state: state)
                if json { print(try JSONCoding.string(jobs)); return }
                print("\("JOB".padding(toLength: 34, withPad: " ", startingAt: 0)) \("STATE".padding(toLength: 10, withPad: " ", startingAt: 0)) TRIES  SOURCE / LAST ERROR")
                for job in jobs {
                    let line = "\(job.id.padding(toLength: 34, withPad: " ", startingAt: 0)) \(job.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(job.attempts)/\(job.maxAttempts)    \(job.sourceName)"
                    print(line + (job.state == .succeeded ? "" : job.lastError.map { "\n    \($0)" } ?? ""))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        @OptionGroup var options: WorkspaceOption
        @Argument(help: "Job id.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                let (ws, store) = try options.open()
                let job = try store.requireJob(id)
                let attempts = try store.attempts(of: id)
                if json {
                    struct Detail: Encodable { let job: JobRecord; let attempts: [AttemptRecord]; let outbox: String }
                    print(try JSONCoding.string(Detail(job: job, attempts: attempts, outbox: try ws.outbox(for: id).path)))
                    return
                }
                print("job \(job.id): \(job.state.rawValue), template \(job.template), source \(job.sourceName)")
                print("original: \(ws.archived(job.archivePath).path)  sha256 \(job.sourceSha256)")
                print("outbox: \(try ws.outbox(for: id).path)")
                for a in attempts {
                    let when = Date(timeIntervalSince1970: a.startedAt).formatted(.iso8601)
                    let took = a.endedAt.map { String(format: "%.1f s", $0 - a.startedAt) } ?? "running"
                    print("  attempt \(a.number) on \(a.worker) at \(when), \(took): \(a.outcome ?? "running")\(a.error.map { " — \($0)" } ?? "")")
                }
            }
        }
    }

    struct Retry: ParsableCommand {
        @OptionGroup var options: WorkspaceOption
        @Argument(help: "Job id.") var id: String
        @Option(help: "A corrected captions file; it replaces the one of the same name the ticket names.")
        var captions: String?
        @Option(help: "New in point (seconds).") var trimStart: Double?
        @Option(help: "New out point (seconds).") var trimEnd: Double?

        func run() throws {
            try reportingFailures {
                let (ws, store) = try options.open()
                let replacement = try captions.map { path in
                    JobControl.CaptionReplacement(name: URL(fileURLWithPath: path).lastPathComponent,
                                                  data: try Data(contentsOf: URL(fileURLWithPath: path)))
                }
                try JobControl(workspace: ws, store: store).retry(id, captions: replacement.map { [$0] } ?? [],
                                                                  trimStart: trimStart, trimEnd: trimEnd)
                print("\(id): queued again")
            }
        }
    }

    struct Cancel: ParsableCommand {
        @OptionGroup var options: WorkspaceOption
        @Argument(help: "Job id.") var id: String

        func run() throws {
            try reportingFailures {
                let (ws, store) = try options.open()
                try JobControl(workspace: ws, store: store).cancel(id)
                print("\(id): cancelled")
            }
        }
    }

    struct Posted: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that a ready reply was posted on X, and where; its request (if any) becomes posted.")
        @OptionGroup var options: WorkspaceOption
        @Argument(help: "Job id.") var id: String
        @Argument(help: "The posted reply's address (https://x.com/HANDLE/status/ID).") var url: String
        @Option(help: "Who posted it (default: the user running this).") var by: String?
        @Option(name: .customLong("consent-override"),
                help: "Post a reply whose speaker's consent is not recorded: the reason, kept with the reply and its request.")
        var consentOverride: String?

        func run() throws {
            try reportingFailures {
                let (ws, store) = try options.open()
                let poster = by ?? ProcessInfo.processInfo.environment["USER"] ?? "command line"
                let job = try JobControl(workspace: ws, store: store).markPosted(id, url: url, by: poster, consentOverride: consentOverride)
                print("\(id): posted at \(job.postedUrl ?? url) by \(job.postedBy ?? poster)")
            }
        }
    }
}

extension JobState: ExpressibleByArgument {}
