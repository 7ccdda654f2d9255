import ArgumentParser
import Foundation
import MediaOrchestrator

struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Bearer tokens for the HTTP API and dashboard: add, list, revoke. Only their hashes are stored.",
        subcommands: [Add.self, List.self, Revoke.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token and print it once; it cannot be shown again.")
        @OptionGroup var options: WorkspaceOption
        @Option(help: "admin (everything, and may post a reply without recorded consent, giving a reason), producer (everything else), editor (read jobs, download outputs, ask for bts cuts), uploader (upload and see its camp's requests and receipts), viewer (read only).")
        var role: AccessRole
        @Option(help: "Who or what holds it (default: ROLE-ID).") var name: String?
        @Option(help: "For an uploader: the one camp it sees requests of and uploads for (a field team's token).") var camp: String?

        func run() throws {
            try reportingFailures {
                let (token, record) = try options.open().1.addToken(role: role, name: name, camp: camp)
                print(token)
                let scope = record.camp.map { ", camp \($0)" } ?? ""
                FileHandle.standardError.write(Data("token '\(record.name)' (\(record.role.rawValue)\(scope), id \(record.id)) made; it is shown only now\n".utf8))
            }
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var options: WorkspaceOption
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingFailures {
                let tokens = try options.open().1.tokens()
                if json {
                    struct Listed: Encodable { let id: String; let name: String; let role: AccessRole; let camp: String?; let createdAt: Date; let lastUsedAt: Date? }
                    print(try JSONCoding.string(tokens.map {
                        Listed(id: $0.id, name: $0.name, role: $0.role, camp: $0.camp, createdAt: Date(timeIntervalSince1970: $0.createdAt),
                               lastUsedAt: $0.lastUsedAt.map(Date.init(timeIntervalSince1970:)))
                    }))
                    return
                }
                print("ID        ROLE      CREATED               LAST USED             CAMP          NAME")
                for t in tokens {
                    let created = Date(timeIntervalSince1970: t.createdAt).formatted(.iso8601)
                    let used = t.lastUsedAt.map { Date(timeIntervalSince1970: $0).formatted(.iso8601) } ?? "never"
                    print("\(t.id)  \(t.role.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(created)  \(used.padding(toLength: 20, withPad: " ", startingAt: 0))  \((t.camp ?? "all").padding(toLength: 12, withPad: " ", startingAt: 0))  \(t.name)")
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name or id; it stops working at its next request.")
        @OptionGroup var options: WorkspaceOption
        @Argument(help: "Token name or id.") var token: String

        func run() throws {
            try reportingFailures {
                try options.open().1.revokeToken(token)
                print("\(token): revoked")
            }
        }
    }
}

extension AccessRole: ExpressibleByArgument {}
