import SyncHost

/// What a run does with one pair of entries (the same relative path on both sides), decided from
/// what is known of them, without any I/O: the executor (`SyncRun`) gathers the facts and carries
/// the action out. Every mode's rules are here, in one place a table test drives in-process.
enum Planner {
    /// What the executor does with a pair.
    enum Action: Equatable {
        /// Nothing to do (both folders; a folder the filters leave to the files inside it; an
        /// extra entry where the mode deletes nothing).
        case nothing
        /// The pair fails with this reason; the run goes on.
        case fail(String)
        /// check: the two sides differ in this way.
        case differs(String)
        /// check: compare the contents (a hash both stores report or can compute, else the listings).
        case compareContents
        /// Make the folder at the destination.
        case createFolder
        /// Send the source file (`replace`: over the destination's).
        case copy(replace: Bool)
        /// Unchanged. With `deleteSource` (move), the source goes once a hash proves the copy.
        case skip(thenVerifyAndDeleteSource: Bool)
        /// The state remembers this exact copy: unchanged. With `deleteSource` (move), the source
        /// goes at once, the copy having been verified when it was made.
        case skipRemembered(thenDeleteSource: Bool)
        /// Sizes are equal but one side's listing lacks the mtime its store keeps: a stat decides.
        case decideAfterStat
        /// sync: the destination has what the source does not; delete it once every copy succeeded.
        case deleteExtra(folder: Bool)
    }

    /// What is known of a pair. The facts that cost something (a database look-up) are asked only
    /// when the decision needs them.
    protocol Facts {
        var source: Entry? { get }
        var destination: Entry? { get }
        /// Why the name must never be written (`..`, `/`, NUL, not UTF-8: `NameCheck`), if so.
        var refusal: String? { get }
        /// Why the destination's rules refuse the encoded name, if they do.
        func unstorable() -> String?
        /// The listings say the files are the same (size, a shared hash, or mtime).
        func sameByListing() -> Bool
        /// The state records this exact source file copied to this exact destination file.
        func remembered() -> Bool
        /// Same size, and one side's listing lacks the mtime its store keeps.
        func mtimeNeedsStat() -> Bool
    }

    /// How the mode treats a pair.
    struct Rules {
        var mode: SyncOptions.Mode
        /// move, or migrate --delete-source.
        var deletesSource = false
        /// File filters are set: a folder is made only when a selected file lands in it.
        var filtersSelectFiles = false

        init(_ options: SyncOptions) {
            mode = options.mode
            deletesSource = options.deletesSourceFiles
            filtersSelectFiles = options.filter.selectsFiles
        }

        init(mode: SyncOptions.Mode, deletesSource: Bool = false, filtersSelectFiles: Bool = false) {
            self.mode = mode
            self.deletesSource = deletesSource
            self.filtersSelectFiles = filtersSelectFiles
        }
    }

    static func decide(_ facts: some Facts, _ rules: Rules) -> Action {
        if let refusal = facts.refusal { return .fail(refusal) }
        let check = rules.mode == .check
        switch (facts.source, facts.destination) {
        case (let s?, nil):
            if check { return .differs("only in the source") }
            if let refusal = facts.unstorable() { return .fail("cannot be stored at the destination: \(refusal)") }
            if s.isDirectory { return rules.filtersSelectFiles ? .nothing : .createFolder }
            return .copy(replace: false)
        case (nil, let d?):
            if check { return .differs("only in the destination") }
            return rules.mode == .sync ? .deleteExtra(folder: d.isDirectory) : .nothing
        case (let s?, let d?):
            if s.isDirectory != d.isDirectory {
                let what = s.isDirectory ? "a folder in the source but a file" : "a file in the source but a folder"
                return check
                    ? .differs("\(what) in the destination") : .fail("\(what) in the destination; left as it is")
            }
            if s.isDirectory { return .nothing }
            if check { return .compareContents }
            // move: a file the state says was copied (and verified) may go from the source at once.
            if rules.deletesSource && facts.remembered() { return .skipRemembered(thenDeleteSource: true) }
            if facts.sameByListing() { return .skip(thenVerifyAndDeleteSource: rules.deletesSource) }
            if rules.deletesSource { return .copy(replace: true) }
            // Listings cannot always tell (a store without settable times or shared hashes): there
            // the state decides, without reading anything. Asked only here, so an unchanged tree
            // costs no database look-up per file.
            if facts.remembered() { return .skipRemembered(thenDeleteSource: false) }
            if facts.mtimeNeedsStat() { return .decideAfterStat }
            return .copy(replace: true)
        case (nil, nil):
            return .nothing
        }
    }
}
