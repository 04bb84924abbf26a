import Foundation
import SyncHost

/// Which paths a run considers. Rules are tried in order and the first whose pattern matches
/// decides; when include rules exist, a file no rule matches is excluded. A pattern that starts with
/// '/' is anchored at the root; otherwise it matches at any depth (`*.srt` matches `a/b/x.srt`).
/// A pattern that ends with '/' is a folder rule: an excluded folder is not even listed.
/// Size, age and type bounds then apply to files. Filters apply to both sides, so a sync never
/// deletes a destination file that the filters exclude.
public struct Filter: Sendable {
    public struct Rule: Sendable, Equatable {
        public var include: Bool
        public var glob: Glob
        var anchored: Bool
        var folderRule: Bool

        public init(include: Bool, pattern: String) throws(ConfigError) {
            guard !pattern.isEmpty else { throw ConfigError("empty filter pattern") }
            self.include = include
            var body = pattern
            anchored = body.hasPrefix("/")
            if anchored { body.removeFirst() }
            folderRule = body.hasSuffix("/")
            if folderRule { body.removeLast() }
            glob = try Glob(body)
        }

        func matches(_ path: String) -> Bool {
            if glob.matches(path) { return true }
            if anchored { return false }
            // Unanchored: also try every suffix that starts at a component boundary.
            var index = path.startIndex
            while let slash = path[index...].firstIndex(of: "/") {
                index = path.index(after: slash)
                if glob.matches(String(path[index...])) { return true }
            }
            return false
        }
    }

    public var rules: [Rule] = []
    public var minSize: Int64?
    public var maxSize: Int64?
    /// Files must be at least this old (modified at or before now − minAge), in nanoseconds.
    public var minAgeNanoseconds: Int64?
    /// Files must be at most this old.
    public var maxAgeNanoseconds: Int64?
    public var types: Set<FileType> = []
    /// "Now" for the age bounds, fixed once per run.
    public var now: Int64 = Int64(Date().timeIntervalSince1970 * 1e9)

    public init() {}

    /// True when no rule or bound is set.
    public var isEmpty: Bool {
        rules.isEmpty && minSize == nil && maxSize == nil && minAgeNanoseconds == nil && maxAgeNanoseconds == nil
            && types.isEmpty
    }

    /// True when files are selected by anything but folder rules (so folders with nothing selected
    /// in them should not be created at the destination).
    public var selectsFiles: Bool {
        rules.contains { !$0.folderRule } || minSize != nil || maxSize != nil || minAgeNanoseconds != nil
            || maxAgeNanoseconds != nil || !types.isEmpty
    }

    private var hasIncludes: Bool { rules.contains { $0.include && !$0.folderRule } }

    /// Whether a folder is listed at all. Only folder rules (and excluded parents) prune.
    public func includesFolder(_ path: String) -> Bool {
        for rule in rules where rule.folderRule && rule.matches(path) { return rule.include }
        return true
    }

    public func includesFile(_ path: String, size: Int64?, mtimeNanoseconds: Int64?) -> Bool {
        var decided: Bool?
        for rule in rules where !rule.folderRule && rule.matches(path) {
            decided = rule.include
            break
        }
        if !(decided ?? !hasIncludes) { return false }
        if let size {
            if let minSize, size < minSize { return false }
            if let maxSize, size > maxSize { return false }
        }
        if minAgeNanoseconds != nil || maxAgeNanoseconds != nil {
            guard let mtime = mtimeNanoseconds else { return false }
            let age = now - mtime
            if let minAgeNanoseconds, age < minAgeNanoseconds { return false }
            if let maxAgeNanoseconds, age > maxAgeNanoseconds { return false }
        }
        if !types.isEmpty {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            guard let type = FileType.of(name), types.contains(type) else { return false }
        }
        return true
    }

    public func includes(_ entry: Entry, relative: String) -> Bool {
        entry.isDirectory
            ? includesFolder(relative)
            : includesFile(relative, size: entry.size, mtimeNanoseconds: entry.mtimeNanoseconds)
    }

    /// Rules from a filter file: `+ PATTERN` includes, `- PATTERN` excludes, `#` starts a comment.
    public static func rules(fromFile path: String) throws(ConfigError) -> [Rule] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError("cannot read filter file \(path): \(error.localizedDescription)")
        }
        var rules: [Rule] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.count > 2, line.hasPrefix("+ ") || line.hasPrefix("- ") else {
                throw ConfigError("filter file \(path): line \(number + 1): expected '+ PATTERN' or '- PATTERN'")
            }
            do {
                rules.append(try Rule(include: line.hasPrefix("+"), pattern: String(line.dropFirst(2))))
            } catch {
                throw ConfigError("filter file \(path): line \(number + 1): \(error)")
            }
        }
        return rules
    }

    /// Parses `100`, `100k`, `1.5M`, `2G`, `1T` (binary units, optional trailing B or iB).
    public static func parseSize(_ text: String) throws(ConfigError) -> Int64 {
        var body = text.trimmingCharacters(in: .whitespaces).uppercased()
        if body.hasSuffix("IB") { body.removeLast(2) } else if body.hasSuffix("B") { body.removeLast() }
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40, "P": 0x1p50]
        guard let value = quantity(body, units) else {
            throw ConfigError("'\(text)' is not a size (examples: 500, 100k, 1.5M, 2G)")
        }
        return Int64(value)
    }

    /// Parses `90s`, `30m`, `12h`, `7d`, `2w` (a bare number is seconds) into nanoseconds.
    public static func parseAge(_ text: String) throws(ConfigError) -> Int64 {
        let body = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800, "y": 31_557_600]
        guard let value = quantity(body, units) else {
            throw ConfigError("'\(text)' is not an age (examples: 90s, 30m, 12h, 7d, 2w)")
        }
        return Int64(value * 1e9)
    }

    /// A non-negative number with an optional one-letter unit from `units`.
    private static func quantity(_ text: String, _ units: [Character: Double]) -> Double? {
        var body = text
        var multiplier = 1.0
        if let last = body.last, let unit = units[last] {
            multiplier = unit
            body.removeLast()
        }
        guard let value = Double(body), value >= 0, value.isFinite else { return nil }
        return value * multiplier
    }
}

/// File type classes for `--type`, by extension.
public enum FileType: String, CaseIterable, Sendable {
    case video, audio, image, subtitle, archive, document

    static let extensions: [FileType: Set<String>] = [
        .video: [
            "mkv", "mp4", "m4v", "avi", "mov", "wmv", "flv", "webm", "mpg", "mpeg", "ts", "m2ts", "vob", "3gp", "ogv",
        ],
        .audio: ["mp3", "flac", "aac", "m4a", "ogg", "opus", "wav", "wma", "alac", "aiff", "ape", "mka"],
        .image: [
            "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "tif", "tiff", "bmp", "raw", "cr2", "nef", "svg",
        ],
        .subtitle: ["srt", "ass", "ssa", "sub", "idx", "vtt", "sup", "smi"],
        .archive: ["zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "zst", "iso"],
        .document: [
            "pdf", "epub", "mobi", "azw3", "doc", "docx", "odt", "txt", "rtf", "md", "xls", "xlsx", "ppt", "pptx",
            "nfo",
        ],
    ]

    public static func of(_ name: String) -> FileType? {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        let ext = name[name.index(after: dot)...].lowercased()
        return allCases.first { extensions[$0]!.contains(ext) }
    }
}
