// sync-bench: measurements for `make bench` (never run by tests; tests assert no timings).
//   sync-bench load                 discover and load every plugin once; prints milliseconds
//   sync-bench stream SRC DST       stream SRC to DST through the local connector's reader and
//                                   writer (no hashing); prints bytes and seconds
import Foundation
import SyncCore
import SyncHost

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sync-bench: \(message)\n".utf8))
    exit(1)
}

let args = CommandLine.arguments
switch args.dropFirst().first {
case "load":
    let start = now()
    let (plugins, problems) = PluginHost.standard().loadAll()
    let ms = (now() - start) * 1000
    print(String(format: "%.3f ms %d plugins %d problems", ms, plugins.count, problems.count))
case "stream":
    guard args.count == 4 else { fail("usage: sync-bench stream SRC DST") }
    let (src, dst) = (args[2], args[3])
    do {
        guard let plugin = PluginHost.standard().plugin(named: "local") else { fail("local connector not found") }
        let session = try Session(plugin: plugin, config: ["root": .string("/")])
        let source = String(src.drop(while: { $0 == "/" }))
        let target = String(dst.drop(while: { $0 == "/" }))
        let size = try session.stat(source).size
        let start = now()
        let reader = try session.openReader(source)
        let writer = try session.openWriter(target, options: .init(size: size, replace: true))
        let outcome = try StreamPump().run(from: reader, to: writer)
        reader.close()
        _ = try writer.finish()
        print(String(format: "%lld bytes %.4f s", outcome.bytes, now() - start))
    } catch {
        fail("\(error)")
    }
default:
    fail("usage: sync-bench load | stream SRC DST")
}
