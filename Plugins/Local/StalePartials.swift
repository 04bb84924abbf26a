import Foundation

/// The folders where this session's listings met partial files. A small new file is written with
/// no name and so never needs its partial file; one a killed run left for the same name is removed
/// when the new file lands, but only in a folder known to hold partial files. Asking the kernel for
/// every file instead cost a failing unlink, a look-up of a name not in the folder: 6% of a
/// 10,000-file copy's time.
///
/// Folders this session never listed are not known to hold any, so nothing is removed there: the
/// engine lists every destination folder before it writes into it, and a partial file left behind
/// is hidden from listings and replaced by the next large write under its name. Past `capacity`
/// folders the set stops growing and every finished file looks for its partial again.
// Unchecked: the folder set is only touched under `lock`.
final class StalePartials: @unchecked Sendable {
    private let lock = NSLock()
    private var folders = Set<String>()
    private var overflowed = false
    private let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    /// A listing of `folder` (an absolute path) met a partial file.
    func found(in folder: String) {
        lock.lock()
        defer { lock.unlock() }
        if overflowed || folders.contains(folder) { return }
        if folders.count >= capacity {
            overflowed = true
            folders = []
        } else {
            folders.insert(folder)
        }
    }

    /// Whether `folder` (an absolute path) may hold a partial file to clean up.
    func mayHold(in folder: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return overflowed || folders.contains(folder)
    }
}
