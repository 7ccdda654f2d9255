import CSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Nothing half-written is ever visible: outputs are written under a hidden temporary name in
/// the destination folder, fsynced, then renamed into place (rename is atomic within a folder).
public enum DurableFile {
    /// A hidden sibling of `finalPath` for writing ("/out/.reply.mp4.partial-1234").
    public static func temporaryPath(for finalPath: String) -> String {
        let url = URL(fileURLWithPath: finalPath)
        let name = ".\(url.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    public static func sync(path: String, name: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TranscodeError(.output, file: name, "cannot reopen to flush: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw TranscodeError(.output, file: name, "fsync failed: \(String(cString: strerror(errno)))") }
    }

    /// Renames into place and fsyncs the folder so the rename itself survives a power cut.
    public static func moveIntoPlace(temporary: String, as finalPath: String) throws {
        let name = URL(fileURLWithPath: finalPath).lastPathComponent
        guard rename(temporary, finalPath) == 0 else {
            throw TranscodeError(.output, file: name, "cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
        try syncFolder(of: finalPath)
    }

    /// Moves `from` to `to` only when nothing is at `to`; false when something is (EEXIST). Where
    /// the filesystem cannot rename without replacing (NFS, some FUSE), a hard link then an unlink
    /// gives the same guarantee. The folder is fsynced after.
    public static func moveWithoutReplacing(_ from: String, to: String) throws -> Bool {
        let name = URL(fileURLWithPath: to).lastPathComponent
        if mo_rename_noreplace(from, to) != 0 {
            if errno == EEXIST { return false }
            guard [EINVAL, ENOSYS, EOPNOTSUPP].contains(errno) else {
                throw TranscodeError(.output, file: name, "cannot move into place: \(String(cString: strerror(errno)))")
            }
            guard link(from, to) == 0 else {
                if errno == EEXIST { return false }
                throw TranscodeError(.output, file: name, "cannot move into place: \(String(cString: strerror(errno)))")
            }
            unlink(from)
        }
        try syncFolder(of: to)
        return true
    }

    /// fsyncs the folder holding `path`, so a new name in it survives a power cut.
    public static func syncFolder(of path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(folder, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Writes data durably: temporary file, fsync, rename.
    public static func write(_ data: Data, to finalPath: String) throws {
        let temporary = temporaryPath(for: finalPath)
        let name = URL(fileURLWithPath: finalPath).lastPathComponent
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            try sync(path: temporary, name: name)
            try moveIntoPlace(temporary: temporary, as: finalPath)
        } catch {
            unlink(temporary)
            throw error as? TranscodeError ?? TranscodeError(.output, file: name, "cannot write: \(error.localizedDescription)")
        }
    }

    /// Puts the folder `staged` at `destination` in one atomic step: a plain rename when nothing
    /// is there, else an exchange, after which `staged` holds the folder that was replaced (for
    /// the caller to remove). Readers see the old folder or the new one, never a mix.
    /// Returns true when an old folder was swapped out to `staged`.
    public static func replaceFolder(_ destination: String, with staged: String) throws -> Bool {
        let name = URL(fileURLWithPath: destination).lastPathComponent
        if rename(staged, destination) == 0 {
            try syncFolder(of: destination)
            return false
        }
        guard errno == EEXIST || errno == ENOTEMPTY else {
            throw TranscodeError(.output, file: name, "cannot move the finished folder into place: \(String(cString: strerror(errno)))")
        }
        if mo_rename_exchange(staged, destination) == 0 {
            try syncFolder(of: destination)
            return true
        }
        // NFS and some FUSE filesystems cannot exchange: move the old folder aside, then rename
        // the new one in (a moment with no folder, never a mix of old and new files).
        guard [EINVAL, ENOSYS, EOPNOTSUPP, EXDEV].contains(errno) else {
            throw TranscodeError(.output, file: name, "cannot swap in the finished folder: \(String(cString: strerror(errno)))")
        }
        let aside = URL(fileURLWithPath: destination).deletingLastPathComponent()
            .appendingPathComponent(".replaced-\(name)-\(UInt32.random(in: 0...UInt32.max))").path
        guard rename(destination, aside) == 0 else {
            throw TranscodeError(.output, file: name, "cannot move the earlier folder aside: \(String(cString: strerror(errno)))")
        }
        guard rename(staged, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(aside, destination) // put the earlier outputs back
            throw TranscodeError(.output, file: name, "cannot move the finished folder into place: \(reason)")
        }
        try syncFolder(of: destination)
        guard rename(aside, staged) == 0 else { return false } // the caller removes `staged` when true
        return true
    }
}

/// The life of a worker process started by another.
public enum ChildProcessLifetime {
    /// Ends this process (SIGKILL) as soon as its parent dies, and at once if it already has.
    public static func endWithParent(startedBy parent: Int32) {
        _ = mo_die_with_parent()
        if getppid() != parent { kill(getpid(), SIGKILL) }
    }
}
