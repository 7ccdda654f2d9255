import Foundation

/// Runs a program to completion and captures what it printed.
public struct ExternalTool {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: String
        public var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes while the program runs so a chatty one cannot block on a full pipe.
        let errData = LockedBox(Data())
        let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData.value, as: UTF8.self))
    }
}

/// A value one thread sets and another waits for.
final class LockedBox<T>: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var stored: T
    private var written = false
    init(_ value: T) { stored = value }
    func set(_ value: T) { lock.lock(); stored = value; written = true; lock.unlock() }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return written }
}
