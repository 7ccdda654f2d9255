import Foundation
import Hummingbird

/// The files of one job's outbox folder, for Hummingbird's FileMiddleware (which brings Range,
/// If-Range, ETag and content types). Only a plain, visible, regular file directly inside the
/// folder is served: no sub-paths, no hidden temporaries, no symbolic links (one planted in
/// outbox/ must not lead out of it).
struct OutputFolderFiles: FileProvider {
    struct FileAttributes: FileMiddlewareFileAttributes, Sendable {
        let isFolder: Bool
        let size: Int
        let modificationDate: Date
    }
    typealias FileIdentifier = String

    let folder: URL
    let fileIO = FileIO()

    func getFileIdentifier(_ path: String) -> String? { // blocking: FileMiddleware calls it; two lstats of a local outbox
        let name = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard let url = Self.servable(name, in: folder) else { return nil }
        return url.path
    }

    func getAttributes(id path: String) async throws -> FileAttributes? {
        try await BlockingWork.run {
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            return FileAttributes(isFolder: false, size: Int(info.st_size), modificationDate: Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec)))
        }
    }

    func loadFile(id path: String, context: some RequestContext) async throws -> ResponseBody {
        try await fileIO.loadFile(path: path, context: context)
    }

    func loadFile(id path: String, range: ClosedRange<Int>, context: some RequestContext) async throws -> ResponseBody {
        try await fileIO.loadFile(path: path, range: range, context: context)
    }

    /// The file `name` inside `folder` if it may be served: a plain visible name, and both the
    /// folder and the file real (not links).
    static func servable(_ name: String, in folder: URL) -> URL? { // blocking: callers run it off the cooperative pool
        guard !name.hasPrefix("."), let url = try? Workspace.child(name, of: folder) else { return nil }
        var info = stat()
        guard lstat(folder.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR,
              lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return url
    }

    /// Every servable file, by name.
    static func list(_ folder: URL) -> [(name: String, bytes: Int)] { // blocking: callers run it off the cooperative pool
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        return names.compactMap { name in
            guard let url = servable(name, in: folder) else { return nil }
            var info = stat()
            lstat(url.path, &info)
            return (name, Int(info.st_size))
        }
    }

    /// Content types FileMiddleware does not know by extension.
    static let extraMediaTypes: [String: MediaType] = [
        "srt": MediaType(type: .application, subType: "x-subrip"),
        "ass": MediaType(type: .text, subType: "x-ssa"),
        "vtt": MediaType(type: .text, subType: "vtt"),
    ]

    static func contentType(of name: String) -> String {
        let ext = URL(fileURLWithPath: name).pathExtension.lowercased()
        return (extraMediaTypes[ext] ?? MediaType.getMediaType(forExtension: ext))?.description ?? "application/octet-stream"
    }
}
