// One line on stderr for every failure a user can cause, and exit status 1 (2 is usage, from ArgumentParser).

import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

func printError(_ message: String) {
    writeStandardError("maskscope: " + message + "\n")
}

/// write(2) on descriptor 2: unbuffered, and no shared FILE* state to reason about.
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
}

/// Runs a command body, turning thrown errors into one stderr line and exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError(String(describing: error))
        throw ExitCode(1)
    }
}
