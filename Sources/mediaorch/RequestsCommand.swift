import ArgumentParser
import Foundation
import MediaOrchestrator

struct RequestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests",
        abstract: "For the command centre: ask a camp to film a reply to a tweet; list and cancel requests.",
        subcommands: [Add.self, List.self, Cancel.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a reply request and print its id.")
        @OptionGroup var options: WorkspaceOption
        @Option(help: "The tweet's address, as copied from X (x.com or twitter.com).") var tweetUrl: String
        @Option(help: "The tweet's text, so the camp knows what it answers.") var text: String
        @Option(help: "The camp that films the reply.") var camp: String
        @Option(help: "Caption languages wanted, comma-separated, the burned-in one first (default: en).") var languages: String?
        @Option(help: "realtime (default), normal or background.") var priority: String?
        @Option(help: "A note for the field team.") var note: String?
        @Option(help: "When the reply is worthless, ISO 8601 with a zone (2026-12-01T18:00:00Z).") var deadline: String?

        func run() throws {
            try reportingFailures {
                let priority = try priority.map { raw in
                    guard let parsed = Ticket.Priority(rawValue: raw) else { throw ValidationError("--priority is realtime, normal or background") }
                    return parsed
                }
                let new = NewReplyRequest(tweetUrl: tweetUrl, tweetText: text, camp: camp,
                                          languages: languages?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                          priority: priority, note: note, deadline: deadline)
                let made = try options.open().1.createRequest(new, by: ProcessInfo.processInfo.environment["USER"] ?? "command line")
                print(made.id)
                FileHandle.standardError.write(Data("request \(made.id): reply to \(made.handle) (\(made.tweetUrl)), filmed in \(made.camp)\n".utf8))
            }
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var options: WorkspaceOption
        @Option(help: "Only this camp's.") var camp: String?
        @Option(help: "Only requests in this state (\(ReplyRequestState.allCases.map(\.rawValue).joined(separator: ", "))).") var state: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                let states = try state.map { raw in
                    guard let parsed = ReplyRequestState(rawValue: raw) else { throw ValidationError("--state is one of \(ReplyRequestState.allCases.map(\.rawValue).joined(separator: ", "))") }
                    return [parsed]
                }
                let requests = try options.open().1.requests(RequestFilter(camp: camp, states: states))
                if json { print(try JSONCoding.string(requests)); return }
                print("REQUEST          STATE      CAMP          DEADLINE              REPLY TO / JOB")
                for r in requests {
                    let deadline = r.deadline.map { Date(timeIntervalSince1970: $0).formatted(.iso8601) } ?? "none"
                    print("\(r.id.padding(toLength: 16, withPad: " ", startingAt: 0)) \(r.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(r.camp.padding(toLength: 13, withPad: " ", startingAt: 0)) \(deadline.padding(toLength: 20, withPad: " ", startingAt: 0))  \(r.handle) \(r.jobId ?? "")")
                }
            }
        }
    }

    struct Cancel: ParsableCommand {
        @OptionGroup var options: WorkspaceOption
        @Argument(help: "Request id.") var id: String

        func run() throws {
            try reportingFailures {
                try options.open().1.cancelRequest(id)
                print("\(id): cancelled")
            }
        }
    }
}
