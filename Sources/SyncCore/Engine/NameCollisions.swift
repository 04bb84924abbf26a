import Foundation
import SyncHost

extension TreeMarch {
    enum Collision {
        /// Not transferred: its key is another entry's.
        case collided(_ relative: String, with: String)
        /// Transferred under a name of its own.
        case renamed(_ relative: String, as: String)
    }

    /// Source entries whose keys are equal. Files with the very same name, in a store that allows
    /// that and reads by id, all travel: ordered by id, the first keeps the name and the others get
    /// `name (2).ext`, `name (3).ext`, … (names the folder does not hold), each read by its id, so
    /// the same files get the same names on every run. Anything else (names that differ only in case
    /// for a case-insensitive destination, same-named folders) keeps the first and reports the others.
    ///
    /// Works on a spilled folder too: the result is a set of changes read through its cursor, never
    /// a copy of the folder. What it does is told to `report`, for the march to pass on.
    func dropCollisions(
        _ entries: SortedEntries, in relative: String, report: (Collision) -> Void
    ) throws -> SortedEntries {
        guard entries.count > 1 else { return entries }
        if let array = entries.array {
            // The usual case, no collision, costs one scan of the array.
            let collides = array.indices.dropFirst().contains { bytesEqual(array[$0 - 1].key, array[$0].key) }
            guard collides else { return entries }
        }
        let groups = try collisionGroups(entries)
        guard !groups.isEmpty else { return entries }
        let byID = source.canReadByID && source.plugin.nameRules.duplicatesAllowed
        let renaming = groups.map { group in
            byID && group.members.allSatisfy { bytesEqual($0.name, group.members[0].name) }
                && group.members.allSatisfy { !$0.entry.isDirectory && $0.entry.id != nil }
        }
        let renamingGroups = groups.indices.filter { renaming[$0] }.map { groups[$0].members }
        var freeNames = try chooseFreeNames(for: renamingGroups, in: entries)[...]
        var result = entries
        for (index, group) in groups.enumerated() {
            for offset in 1..<group.members.count { result.dropped.insert(group.start + offset) }
            guard renaming[index] else {
                let first = join(relative, group.members[0].name)
                for entry in group.members.dropFirst() { report(.collided(join(relative, entry.name), with: first)) }
                continue
            }
            var members = group.members.sorted { idPrecedes($0.entry.id!, $1.entry.id!) }
            let names = freeNames.removeFirst()
            for offset in members.indices {
                members[offset].entry.readID = members[offset].entry.id
                guard offset > 0 else { continue }
                let name = names[offset - 1]
                report(.renamed(join(relative, members[offset].name), as: join(relative, name)))
                members[offset].name = name
                members[offset].key = self.names.foldsKeys ? self.names.key(name) : name
                result.added.append(members[offset])
            }
            result.replaced[group.start] = members[0]
        }
        // The renamed ones sort elsewhere: the cursor merges them in by key.
        result.added.sort(by: SortedEntries.precedes)
        return result
    }

    /// Runs of equal keys (adjacent in the sorted order), with the position of each run's first.
    private func collisionGroups(_ entries: SortedEntries) throws -> [(start: Int, members: [Named])] {
        var groups: [(start: Int, members: [Named])] = []
        var open: (start: Int, members: [Named])?
        var previous: Named?
        var position = 0
        var cursor = try entries.makeCursor()
        while let entry = try cursor.next() {
            if let previous, bytesEqual(previous.key, entry.key) {
                if open == nil { open = (position - 1, [previous]) }
                open!.members.append(entry)
            } else if let group = open {
                groups.append(group)
                open = nil
            }
            previous = entry
            position += 1
        }
        if let open { groups.append(open) }
        return groups
    }

    /// For each group, names for all members but the first: `stem (n).ext` for the lowest n ≥ 2
    /// whose key no entry of the folder has and no earlier choice took. Which candidates the folder
    /// holds is found in one pass over it, for n up to a window that grows until every name fits.
    private func chooseFreeNames(for groups: [[Named]], in entries: SortedEntries) throws -> [[String]] {
        guard !groups.isEmpty else { return [] }
        func parts(_ name: String) -> (stem: String, ext: String) {
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
            return (String(name[..<dot]), String(name[dot...]))
        }
        func key(_ name: String) -> [UInt8] { Array((names.foldsKeys ? names.key(name) : name).utf8) }
        var window = (groups.map(\.count).max() ?? 0) + 16
        while true {
            var candidates = Set<[UInt8]>()
            for group in groups {
                let (stem, ext) = parts(group[0].name)
                for n in 2..<(2 + window) { candidates.insert(key("\(stem) (\(n))\(ext)")) }
            }
            var taken = Set<[UInt8]>()
            var cursor = try entries.makeCursor()
            while let entry = try cursor.next() {
                let k = Array(entry.key.utf8)
                if candidates.contains(k) { taken.insert(k) }
            }
            var chosen: [[String]] = []
            var fits = true
            search: for group in groups {
                let (stem, ext) = parts(group[0].name)
                var names: [String] = []
                var n = 2
                while names.count < group.count - 1 {
                    guard n < 2 + window else {
                        fits = false
                        break search
                    }
                    let candidate = "\(stem) (\(n))\(ext)"
                    if taken.insert(key(candidate)).inserted { names.append(candidate) }
                    n += 1
                }
                chosen.append(names)
            }
            if fits { return chosen }
            window *= 4
        }
    }
}
