import ArgumentParser
import Foundation
import SyncConfig
import SyncHost

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat", abstract: "Write a remote file to standard output.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "CONNECTOR:ACCOUNT/path, local:/path or a local path.")
    var remote: String

    @Option(help: "Start at this byte.")
    var offset: Int64 = 0

    @Option(help: "Write at most this many bytes.")
    var count: Int64?

    func run() throws {
        try reportingErrors {
            guard offset >= 0, (count ?? 0) >= 0 else { throw ConfigError("--offset and --count must not be negative") }
            let spec = try RemoteSpec.parse(remote)
            let session = try global.resolver().open(spec)
            defer { session.close() }
            let reader = try session.openReader(spec.path, offset: offset, length: count)
            defer { reader.close() }
            signal(SIGPIPE, SIG_IGN)  // a closed pipe (| head) ends the copy quietly below
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
            defer { buffer.deallocate() }
            while true {
                let n = try reader.read(into: buffer)
                if n == 0 { break }
                var done = 0
                while done < n {
                    let w = write(1, buffer.baseAddress! + done, n - done)
                    if w < 0 {
                        if errno == EINTR { continue }
                        if errno == EPIPE { return }
                        throw ConnectorError(
                            .internal, "writing to standard output: \(String(cString: strerror(errno)))")
                    }
                    done += w
                }
            }
        }
    }
}
