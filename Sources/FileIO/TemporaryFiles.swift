// Temporary files that a killed run (SIGKILL, power loss) left beside its outputs.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum TemporaryFiles {
    /// Removes `<destination>.tmp-XXXXXX` for each of `destinations` and returns the removed paths.
    /// Only the temporary files of the given destinations are touched, never anything else in the
    /// folder (another shard of the same run may be writing its own there right now). Each folder is
    /// listed once, so this is linear in the folder sizes.
    @discardableResult
    public static func removeStale(for destinations: [String]) -> [String] {
        var byFolder: [String: Set<String>] = [:]
        for path in destinations {
            let folder = parentDirectory(of: path)
            let name = folder.isEmpty ? path : String(path.dropFirst(folder == "/" ? 1 : folder.count + 1))
            byFolder[folder, default: []].insert(name)
        }
        var removed: [String] = []
        for (folder, names) in byFolder {
            for entry in directoryEntries(folder.isEmpty ? "." : folder) {
                guard let destination = destinationName(ofTemporary: entry), names.contains(destination) else { continue }
                let path = folder.isEmpty ? entry : (folder == "/" ? "/" : folder + "/") + entry
                var info = stat()
                guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                if unlink(path) == 0 { removed.append(path) }
            }
        }
        return removed.sorted()
    }

    /// `name` without `.tmp-XXXXXX` when it has exactly that shape (six characters of mkstemp's alphabet).
    public static func destinationName(ofTemporary name: String) -> String? {
        let suffixLength = AtomicFile.temporarySuffix.count + 6
        guard name.count > suffixLength else { return nil }
        let cut = name.index(name.endIndex, offsetBy: -suffixLength)
        let tail = name[cut...]
        guard tail.hasPrefix(AtomicFile.temporarySuffix) else { return nil }
        let random = tail.dropFirst(AtomicFile.temporarySuffix.count)
        guard random.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return String(name[..<cut])
    }

    static func directoryEntries(_ folder: String) -> [String] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
