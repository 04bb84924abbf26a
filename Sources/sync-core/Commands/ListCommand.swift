import ArgumentParser
import Foundation
import SyncConfig
import SyncHost

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List a folder of a remote (size, modification time, path).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "CONNECTOR:ACCOUNT[/path], local:/path or a local path.")
    var remote: String

    @Flag(name: [.customShort("R"), .long], help: "List every entry below the folder.")
    var recursive = false

    @Flag(help: "One JSON object per entry.")
    var json = false

    func run() throws {
        try reportingErrors {
            let spec = try RemoteSpec.parse(remote)
            let session = try global.resolver().open(spec)
            defer { session.close() }
            let base = spec.path
            let root = try session.stat(base)
            let show: (Entry) -> Void = { entry in
                var relative = entry.path
                if !base.isEmpty, relative.hasPrefix(base + "/") { relative.removeFirst(base.count + 1) }
                if json {
                    var object: [String: Any] = [
                        "path": relative, "type": entry.isDirectory ? "dir" : "file", "size": entry.size ?? -1,
                    ]
                    if let m = entry.mtimeNanoseconds { object["mtime"] = formatTime(m) }
                    if let id = entry.id { object["id"] = id }
                    if !entry.hashes.isEmpty {
                        object["hashes"] = Dictionary(
                            uniqueKeysWithValues: entry.hashes.map { ($0.key.description, $0.value) })
                    }
                    printJSONLine(object)
                } else {
                    let size = entry.isDirectory ? "-" : String(entry.size ?? -1)
                    let time = entry.mtimeNanoseconds.map(formatTime) ?? "-"
                    print(
                        "\(size.leftPadded(12))  \(time.padding(toLength: 30, withPad: " ", startingAt: 0))  \(relative)\(entry.isDirectory ? "/" : "")"
                    )
                }
            }
            guard root.isDirectory else {
                show(root)
                return
            }
            if recursive {
                try session.listRecursive(base, show)  // streams: trees can be huge
            } else {
                var entries: [Entry] = []
                try session.list(base) { entries.append($0) }
                entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
                entries.forEach(show)
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// RFC 3339 with nanoseconds, UTC.
func formatTime(_ ns: Int64) -> String {
    let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns - 999_999_999) / 1_000_000_000
    let fraction = ns - seconds * 1_000_000_000
    var t = time_t(seconds)
    var parts = tm()
    gmtime_r(&t, &parts)
    return String(
        format: "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
        parts.tm_hour, parts.tm_min, parts.tm_sec, fraction)
}
