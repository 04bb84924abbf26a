import Foundation
import SyncCore
import Synchronization

/// A live view of a run on standard error: bytes, rate, ETA, files, and the files in flight.
/// Redrawn a few times a second in place; other output goes through `printing` so that a line
/// never lands in the middle of the display. With `json`, a `progress` event goes to standard
/// output once a second instead.
final class ProgressDisplay: Sendable {
    /// The display on screen, if any, for `printing`.
    private static let current = Mutex<ProgressDisplay?>(nil)

    private let progress: TransferProgress
    /// What is on screen, shared by the drawing thread and `printing`: held while drawing, so a
    /// line printed meanwhile never lands inside the display.
    private let screen = Mutex(Screen())
    private struct Screen {
        var drawnLines = 0
        var running = true
    }
    private let stopped = DispatchSemaphore(value: 0)
    private let width: Int
    private let json: Bool

    init(_ progress: TransferProgress, json: Bool = false) {
        self.progress = progress
        self.json = json
        var size = winsize()
        width = ioctl(2, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) : 100
    }

    func start() {
        ProgressDisplay.current.withLock { $0 = self }
        let thread = Thread { [self] in
            while true {
                let go = screen.withLock { screen in
                    if screen.running { draw(&screen) }
                    return screen.running
                }
                if !go { break }
                Thread.sleep(forTimeInterval: json ? 1 : 0.25)
            }
            stopped.signal()
        }
        thread.name = "sync-core progress"
        thread.start()
    }

    /// Clears the display for good (before the summary).
    func stop() {
        let wasRunning = screen.withLock { screen in
            defer { screen.running = false }
            clear(&screen)
            return screen.running
        }
        guard wasRunning else { return }
        stopped.wait()
        ProgressDisplay.current.withLock { $0 = nil }
    }

    /// Runs `body` (which prints) with the display cleared, then draws it again.
    static func printing(_ body: () -> Void) {
        guard let display = current.withLock({ $0 }) else { return body() }
        display.screen.withLock { screen in
            display.clear(&screen)
            body()
            if screen.running { display.draw(&screen) }
        }
    }

    private func clear(_ screen: inout Screen) {
        guard !json, screen.drawnLines > 0 else { return }
        var out = "\r\u{1B}[2K"
        for _ in 1..<screen.drawnLines { out += "\u{1B}[1A\u{1B}[2K" }
        write(out)
        screen.drawnLines = 0
    }

    private func draw(_ screen: inout Screen) {
        clear(&screen)
        let s = progress.snapshot()
        if json {
            var object: [String: Any] = [
                "event": "progress", "bytes": s.bytesDone, "bytes_queued": s.bytesQueued, "files": s.filesDone,
                "files_queued": s.filesQueued, "rate": Int64(s.rate), "elapsed": s.elapsed,
                "active": s.active.map { ["path": $0.path, "bytes": $0.done, "size": $0.total ?? -1] },
            ]
            if let eta = s.eta { object["eta"] = eta }
            EventPrinter.output.withLock { _ in printJSONLine(object) }
            return
        }
        var lines = [
            "\(humanBytes(s.bytesDone)) of \(humanBytes(s.bytesQueued)) queued, \(humanBytes(Int64(s.rate)))/s, "
                + "ETA \(s.eta.map(duration) ?? "-"), files \(s.filesDone)/\(s.filesQueued), "
                + "\(duration(s.elapsed)) elapsed"
        ]
        for a in s.active.prefix(8) {
            let percent = a.total.map { $0 > 0 ? " \(Int(Double(a.done) * 100 / Double($0)))%" : "" } ?? ""
            lines.append(" * \(a.path)\(percent)")
        }
        write(lines.map { String($0.prefix(width - 1)) }.joined(separator: "\n"))
        screen.drawnLines = lines.count
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
