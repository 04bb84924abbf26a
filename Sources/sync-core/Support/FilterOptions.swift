import ArgumentParser
import Foundation
import SyncCore
import SyncHost

/// --include/--exclude/--filter-from (in command-line order), size, age and type bounds.
struct FilterOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Consider only paths matching GLOB (repeatable; rules apply in order).", valueName: "GLOB"))
    var include: [String] = []

    @Option(
        help: ArgumentHelp(
            "Leave out paths matching GLOB; a pattern ending in / leaves out a folder.", valueName: "GLOB"))
    var exclude: [String] = []

    @Option(
        name: .customLong("filter-from"),
        help: ArgumentHelp("Read rules from FILE: '+ GLOB' or '- GLOB' per line.", valueName: "FILE"))
    var filterFrom: [String] = []

    @Option(name: .customLong("min-size"), help: "Only files at least this large (500, 100k, 1.5M, 2G).")
    var minSize: String?

    @Option(name: .customLong("max-size"), help: "Only files at most this large.")
    var maxSize: String?

    @Option(name: .customLong("min-age"), help: "Only files modified at least this long ago (90s, 30m, 12h, 7d, 2w).")
    var minAge: String?

    @Option(name: .customLong("max-age"), help: "Only files modified at most this long ago.")
    var maxAge: String?

    @Option(
        name: .customLong("type"),
        help: "Only files of this type (repeatable): video, audio, image, subtitle, archive, document.")
    var types: [String] = []

    /// Builds the filter; rule order is taken from the command line as typed.
    func makeFilter(arguments: [String] = CommandLine.arguments) throws -> Filter {
        var filter = Filter()
        for (flag, value) in Self.orderedRuleArguments(arguments) {
            switch flag {
            case "--include": filter.rules.append(try Filter.Rule(include: true, pattern: value))
            case "--exclude": filter.rules.append(try Filter.Rule(include: false, pattern: value))
            default: filter.rules.append(contentsOf: try Filter.rules(fromFile: value))
            }
        }
        filter.minSize = try minSize.map(Filter.parseSize)
        filter.maxSize = try maxSize.map(Filter.parseSize)
        filter.minAgeNanoseconds = try minAge.map(Filter.parseAge)
        filter.maxAgeNanoseconds = try maxAge.map(Filter.parseAge)
        for name in types {
            guard let type = FileType(rawValue: name.lowercased()) else {
                throw ConfigError(
                    "--type \(name): expected one of \(FileType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.types.insert(type)
        }
        return filter
    }

    /// (flag, value) for every --include/--exclude/--filter-from, in the order they were typed.
    static func orderedRuleArguments(_ arguments: [String]) -> [(String, String)] {
        let flags = ["--include", "--exclude", "--filter-from"]
        var result: [(String, String)] = []
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            if arg == "--" { break }
            if flags.contains(arg), i + 1 < arguments.count {
                result.append((arg, arguments[i + 1]))
                i += 2
                continue
            }
            if let eq = arg.firstIndex(of: "="), flags.contains(String(arg[..<eq])) {
                result.append((String(arg[..<eq]), String(arg[arg.index(after: eq)...])))
            }
            i += 1
        }
        return result
    }
}
