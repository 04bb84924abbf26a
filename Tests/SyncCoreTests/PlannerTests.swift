import Testing

@testable import SyncCore
@testable import SyncHost

/// The planner's table: for every mode, what happens to each kind of pair. In-process, no I/O.
@Suite struct PlannerTests {
    struct Given: Planner.Facts {
        var source: Entry?
        var destination: Entry?
        var refusal: String?
        var unstorableName: String?
        var same = false
        var inState = false
        var needsStat = false
        func unstorable() -> String? { unstorableName }
        func sameByListing() -> Bool { same }
        func remembered() -> Bool { inState }
        func mtimeNeedsStat() -> Bool { needsStat }
    }

    static let file = Entry(path: "a", kind: .file, size: 3)
    static let folder = Entry(path: "a", kind: .directory, size: nil)

    typealias Row = (name: String, given: Given, expected: [SyncOptions.Mode: Planner.Action])

    /// Each row: a situation, and the action for copy, sync, migrate, move and check.
    static let table: [Row] = {
        let f = file
        let d = folder
        func all(
            _ copy: Planner.Action, sync: Planner.Action? = nil, move: Planner.Action? = nil, check: Planner.Action
        )
            -> [SyncOptions.Mode: Planner.Action]
        {
            [.copy: copy, .migrate: copy, .sync: sync ?? copy, .move: move ?? copy, .check: check]
        }
        return [
            ("new file", Given(source: f), all(.copy(replace: false), check: .differs("only in the source"))),
            ("new folder", Given(source: d), all(.createFolder, check: .differs("only in the source"))),
            (
                "a name the destination cannot store", Given(source: f, unstorableName: "too long"),
                all(.fail("cannot be stored at the destination: too long"), check: .differs("only in the source"))
            ),
            (
                "a name that could escape the tree", Given(source: f, refusal: "refusing the name '..'"),
                all(.fail("refusing the name '..'"), check: .fail("refusing the name '..'"))
            ),
            (
                "an extra file", Given(destination: f),
                all(.nothing, sync: .deleteExtra(folder: false), check: .differs("only in the destination"))
            ),
            (
                "an extra folder", Given(destination: d),
                all(.nothing, sync: .deleteExtra(folder: true), check: .differs("only in the destination"))
            ),
            (
                "a folder on both sides", Given(source: d, destination: d), all(.nothing, check: .nothing)
            ),
            (
                "a file where the destination has a folder", Given(source: f, destination: d),
                all(
                    .fail("a file in the source but a folder in the destination; left as it is"),
                    check: .differs("a file in the source but a folder in the destination"))
            ),
            (
                "a folder where the destination has a file", Given(source: d, destination: f),
                all(
                    .fail("a folder in the source but a file in the destination; left as it is"),
                    check: .differs("a folder in the source but a file in the destination"))
            ),
            (
                "the same file by its listing", Given(source: f, destination: f, same: true),
                all(
                    .skip(thenVerifyAndDeleteSource: false), move: .skip(thenVerifyAndDeleteSource: true),
                    check: .compareContents)
            ),
            (
                "a changed file", Given(source: f, destination: f),
                all(.copy(replace: true), check: .compareContents)
            ),
            (
                "a file the listings cannot tell, which the state remembers",
                Given(source: f, destination: f, inState: true),
                all(
                    .skipRemembered(thenDeleteSource: false), move: .skipRemembered(thenDeleteSource: true),
                    check: .compareContents)
            ),
            (
                "same size, an mtime only a stat shows", Given(source: f, destination: f, needsStat: true),
                all(.decideAfterStat, move: .copy(replace: true), check: .compareContents)
            ),
        ]
    }()

    @Test func everyModeDecidesEveryKindOfPair() {
        for row in Self.table {
            for (mode, expected) in row.expected {
                let rules = Planner.Rules(mode: mode, deletesSource: mode == .move)
                #expect(Planner.decide(row.given, rules) == expected, "\(row.name), \(mode)")
            }
        }
    }

    @Test func migrateWithDeleteSourceIsMove() {
        let rules = Planner.Rules(mode: .migrate, deletesSource: true)
        #expect(
            Planner.decide(Given(source: Self.file, destination: Self.file, inState: true), rules)
                == .skipRemembered(thenDeleteSource: true))
        #expect(
            Planner.decide(Given(source: Self.file, destination: Self.file, same: true), rules)
                == .skip(thenVerifyAndDeleteSource: true))
    }

    @Test func withFileFiltersAFolderWaitsForAFileToLandInIt() {
        let rules = Planner.Rules(mode: .copy, filtersSelectFiles: true)
        #expect(Planner.decide(Given(source: Self.folder), rules) == .nothing)
    }

    @Test func anUnchangedFileCostsNoStateLookUp() {
        struct Counting: Planner.Facts {
            var source: Entry? = PlannerTests.file
            var destination: Entry? = PlannerTests.file
            var refusal: String? { nil }
            func unstorable() -> String? { nil }
            func sameByListing() -> Bool { true }
            func remembered() -> Bool {
                Issue.record("the state was asked about an unchanged file")
                return false
            }
            func mtimeNeedsStat() -> Bool { false }
        }
        for mode in [SyncOptions.Mode.copy, .sync, .migrate] {
            #expect(Planner.decide(Counting(), Planner.Rules(mode: mode)) == .skip(thenVerifyAndDeleteSource: false))
        }
    }
}
