import Foundation
import SyncHost

/// The march's folders still to visit: a stack of batches, one per visited folder that had
/// subfolders, each taken from its front, so the walk is depth first with siblings in name order.
///
/// At most `limit` folders are held in memory. A batch that would pass that goes to an unlinked
/// spill file while it is made and is read back in order, so a folder with a million subfolders
/// costs a few megabytes, not a hundred. Batches end in the order they began, so the one that ends
/// is always the last in the file, which is cut back to where it began.
struct FolderStack {
    typealias Folder = TreeMarch.Folder

    private enum Batch {
        case memory([Folder], next: Int)
        /// Folders decoded ahead of the reader (for `upcoming`) are in `window`, in order.
        case spilled(RunReader, window: [Folder], start: Int64)
    }

    let limit: Int
    /// Where to spill; nil: `SpillFile.defaultDirectory`, looked up only when needed.
    let directory: String?
    private var batches: [Batch] = []
    /// Folders in memory, in batches and windows.
    private(set) var held = 0
    private var spill: SpillFile?
    /// The batch being made by `add`, until `endBatch`.
    private var building: [Folder] = []
    private var buildingSpilled: (start: Int64, encoder: SpillRecord.Encoder)?

    init(limit: Int, directory: String? = nil) {
        self.limit = max(1, limit)
        self.directory = directory
    }

    /// Adds a folder to the batch being made (the subfolders of the folder being visited).
    mutating func add(_ folder: Folder) throws {
        if var spilled = buildingSpilled {
            buildingSpilled = nil  // the encoder's bytes are not copied while it is out
            FolderStack.encode(folder, into: &spilled.encoder)
            if spilled.encoder.bytes.count >= 1 << 20 { _ = try spill!.append(records: &spilled.encoder.bytes) }
            buildingSpilled = spilled
            return
        }
        building.append(folder)
        held += 1
        guard held > limit else { return }
        // Too many in memory: this batch goes to disk, what it holds so far and the rest.
        if spill == nil { spill = try SpillFile(directory: directory ?? SpillFile.defaultDirectory) }
        var encoder = SpillRecord.Encoder()
        let start = spill!.end
        for folder in building {
            FolderStack.encode(folder, into: &encoder)
            if encoder.bytes.count >= 1 << 20 { _ = try spill!.append(records: &encoder.bytes) }
        }
        held -= building.count
        building = []
        buildingSpilled = (start, encoder)
    }

    /// Puts the batch made by `add` on top: its folders come next, in the order added.
    mutating func endBatch() throws {
        if var spilled = buildingSpilled {
            buildingSpilled = nil
            let end = try spill!.append(records: &spilled.encoder.bytes).upperBound
            batches.append(
                .spilled(RunReader(file: spill!, range: spilled.start..<end), window: [], start: spilled.start))
        } else if !building.isEmpty {
            batches.append(.memory(building, next: 0))
            building = []
        }
    }

    /// Forgets the batch being made (its folder failed: nothing below it is visited).
    mutating func discardBatch() {
        held -= building.count
        building = []
        if let spilled = buildingSpilled { try? spill?.truncate(to: spilled.start) }  // give back what it wrote
        buildingSpilled = nil
    }

    /// The next folder to visit, or nil when the walk is done.
    mutating func pop() throws -> Folder? {
        while let top = batches.popLast() {
            switch top {
            case .memory(var folders, let next):
                guard next < folders.count else { continue }
                held -= 1
                let folder = folders[next]
                if next + 1 < folders.count {
                    // Free what was taken now and then, so memory follows what is left.
                    if next + 1 >= 1024 && (next + 1) * 2 >= folders.count {
                        folders.removeFirst(next + 1)
                        batches.append(.memory(folders, next: 0))
                    } else {
                        batches.append(.memory(folders, next: next + 1))
                    }
                }
                return folder
            case .spilled(var reader, var window, let start):
                let folder: Folder?
                if window.isEmpty {
                    folder = try reader.nextRecord(FolderStack.decode)
                } else {
                    folder = window.removeFirst()
                    held -= 1
                }
                guard let folder else {
                    try spill!.truncate(to: start)
                    continue
                }
                batches.append(.spilled(reader, window: window, start: start))
                return folder
            }
        }
        return nil
    }

    /// Up to `count` of the folders `pop` returns next, in that order (to list them ahead).
    mutating func upcoming(_ count: Int) throws -> [Folder] {
        var found: [Folder] = []
        var index = batches.count - 1
        while found.count < count && index >= 0 {
            switch batches[index] {
            case .memory(let folders, let next):
                found += folders[next..<min(folders.count, next + count - found.count)]
            case .spilled(var reader, var window, let start):
                while window.count < count - found.count, let folder = try reader.nextRecord(FolderStack.decode) {
                    window.append(folder)
                    held += 1
                }
                found += window.prefix(count - found.count)
                batches[index] = .spilled(reader, window: window, start: start)
            }
            index -= 1
        }
        return found
    }

    private static func encode(_ folder: Folder, into encoder: inout SpillRecord.Encoder) {
        encoder.record { out in
            out.bytes.append((folder.onSource ? 1 : 0) | (folder.onDestination ? 2 : 0))
            out.put(folder.relative)
            out.put(folder.sourcePath)
            out.put(folder.destinationPath)
        }
    }

    private static func decode(_ payload: UnsafeRawBufferPointer) -> Folder {
        var fields = SpillRecord.Fields(payload)
        let sides = fields.byte()
        let relative = fields.string()
        let sourcePath = fields.string()
        return Folder(
            relative: relative, sourcePath: sourcePath, destinationPath: fields.string(), onSource: sides & 1 != 0,
            onDestination: sides & 2 != 0)
    }
}
