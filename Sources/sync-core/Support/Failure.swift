import ArgumentParser
import Foundation
import SyncHost

/// Prints one line to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("sync-core: error: \(message)\n".utf8))
}

func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("sync-core: warning: \(message)\n".utf8))
}

/// Runs a command body and turns any error into one line on stderr and a documented exit code:
/// 2 for bad input or configuration, 1 for a failed operation.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ConfigError {
        printError(error.description)
        throw ExitCode(2)
    } catch let error as ConnectorError {
        printError(error.description)
        throw ExitCode(error.code == .invalidArgument ? 2 : 1)
    } catch let error as PluginProblem {
        printError(error.description)
        throw ExitCode(2)
    } catch {
        printError(String(describing: error))
        throw ExitCode(1)
    }
}
