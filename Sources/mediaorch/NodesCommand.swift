import ArgumentParser
import Foundation
import MediaOrchestrator

struct NodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "The `watch` processes on this store: up, stopped or lost, their last heartbeat, version, workers, current jobs, and which one leads maintenance."
    )

    @OptionGroup var options: WorkspaceOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try reportingFailures {
            let nodes = try options.open().1.nodes()
            if json {
                print(try JSONCoding.string(nodes))
                return
            }
            guard !nodes.isEmpty else {
                print("no node has run `mediaorch watch` on this store yet")
                return
            }
            print("NODE                  STATE    HEARTBEAT  VERSION  WORKERS  HOST          PID      JOBS")
            for node in nodes {
                let name = node.name + (node.leader ? " *" : "")
                let age = node.heartbeatAge < 120 ? String(format: "%.0f s ago", node.heartbeatAge) : String(format: "%.0f min ago", node.heartbeatAge / 60)
                print([name.padding(toLength: 20, withPad: " ", startingAt: 0), node.state.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0),
                       age.padding(toLength: 10, withPad: " ", startingAt: 0), node.version.padding(toLength: 7, withPad: " ", startingAt: 0),
                       String(node.workers).padding(toLength: 7, withPad: " ", startingAt: 0), node.host.padding(toLength: 12, withPad: " ", startingAt: 0),
                       String(node.pid).padding(toLength: 7, withPad: " ", startingAt: 0),
                       node.jobs.isEmpty ? "-" : node.jobs.joined(separator: ", ")].joined(separator: "  "))
            }
            print("* leads maintenance (rescuing lapsed leases, sweeping uploads, sending webhooks)")
        }
    }
}
