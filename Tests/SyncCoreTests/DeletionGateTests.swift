import Testing

@testable import SyncCore

/// Why a sync did or did not delete: every reason, and which wins when several apply.
@Suite struct DeletionGateTests {
    typealias S = DeletionGate.Situation

    @Test func deletionsHappenOnlyWhenNothingSpeaksAgainstThem() {
        #expect(DeletionGate.refusal(S(deletions: 3)) == nil)
        #expect(DeletionGate.refusal(S(deletions: 3, maxDelete: 3)) == nil, "at the limit is allowed")
        #expect(DeletionGate.refusal(S(deletions: 3, sourceEmpty: true, allowEmptySource: true)) == nil)
    }

    @Test func eachReasonHoldsThemBack() {
        let cases: [(S, String)] = [
            (S(deletions: 1, interrupted: true), "the run was interrupted"),
            (S(deletions: 1, sourceListingFailed: true), "part of the source could not be listed"),
            (
                S(deletions: 1, copiesFailed: true),
                "some files failed; deletions happen only after every copy succeeded"
            ),
            (
                S(deletions: 1, sourceEmpty: true),
                "the source is empty (use --allow-empty-source to empty the destination)"
            ),
            (S(deletions: 4, maxDelete: 3), "4 deletions exceed --max-delete 3"),
        ]
        for (situation, reason) in cases { #expect(DeletionGate.refusal(situation) == reason) }
    }

    @Test func theSafestReasonIsTheOneGiven() {
        let everything = S(
            deletions: 9, interrupted: true, sourceListingFailed: true, copiesFailed: true, sourceEmpty: true,
            maxDelete: 1)
        #expect(DeletionGate.refusal(everything) == "the run was interrupted")
        var noInterruption = everything
        noInterruption.interrupted = false
        #expect(DeletionGate.refusal(noInterruption) == "part of the source could not be listed")
    }
}
