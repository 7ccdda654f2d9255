import ArgumentParser
import Foundation
import MediaOrchestrator

struct WebhooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Signed POSTs to other tools (a chat room, a spreadsheet) on \(WebhookEndpoint.eventTypes.joined(separator: ", ")).",
        subcommands: [Add.self, List.self, Remove.self, Deliveries.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an endpoint; prints its signing secret (whsec_…), shown only now.")
        @OptionGroup var options: WorkspaceOption
        @Argument(help: "The address that receives the POSTs (https://…).") var url: String
        @Option(help: "Events it wants, comma-separated (default: all).") var events: String?

        func run() throws {
            try reportingFailures {
                let endpoint = try options.open().1.addWebhook(url: url, events: events?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                print(endpoint.secret)
                FileHandle.standardError.write(Data("webhook \(endpoint.id) → \(endpoint.url) (\(endpoint.events)); verify deliveries with this secret (Standard Webhooks)\n".utf8))
            }
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var options: WorkspaceOption

        func run() throws {
            try reportingFailures {
                for endpoint in try options.open().1.webhooks() { print("\(endpoint.id)  \(endpoint.events)  \(endpoint.url)") }
            }
        }
    }

    struct Remove: ParsableCommand {
        @OptionGroup var options: WorkspaceOption
        @Argument(help: "Webhook id or address.") var webhook: String

        func run() throws {
            try reportingFailures {
                try options.open().1.removeWebhook(webhook)
                print("\(webhook): removed")
            }
        }
    }

    struct Deliveries: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent deliveries and how each went.")
        @OptionGroup var options: WorkspaceOption
        @Option(help: "pending, delivered or failed.") var state: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                let deliveries = try options.open().1.webhookDeliveries(state: state)
                if json { print(try JSONCoding.string(deliveries)); return }
                for d in deliveries {
                    let status = d.lastStatus.map(String.init) ?? "-"
                    print("\(d.id)  \(d.event.padding(toLength: 15, withPad: " ", startingAt: 0))  \(d.state.padding(toLength: 9, withPad: " ", startingAt: 0))  tries \(d.attempts)  last \(status)\(d.lastError.map { "  \($0)" } ?? "")")
                }
            }
        }
    }
}
