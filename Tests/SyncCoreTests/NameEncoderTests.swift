import SyncHost
import Testing

@Suite struct NameEncoderTests {
    let windowsLike = NameEncoder(
        rules: NameRules(
            forbiddenCharacters: "\"*:<>?\\|\u{1}", maxNameBytes: 30, maxPathBytes: 0,
            flags: windowsLikeNameFlags))

    @Test func identityWhenNothingIsForbidden() {
        let plain = NameEncoder(rules: NameRules(forbiddenCharacters: "/", maxNameBytes: 255))
        #expect(plain.isIdentity && !plain.foldsKeys)
        #expect(plain.encode("a:b ") == "a:b ")
        #expect(plain.key("Café") == "Café")
    }

    @Test func forbiddenCharactersRoundTrip() {
        let names = [
            "Movie: The Sequel?.mkv", "a*b<c>d|e\\f\"g", " leading", "trailing ", "dot.", "ctrl\u{1}x",
            "already ： full-width", "quote ‛ mark", "␠ picture", "both : and ：", "．", "plain",
        ]
        for name in names {
            let encoded = windowsLike.encode(name)
            #expect(windowsLike.decode(encoded) == name, "\(name) → \(encoded)")
            #expect(!encoded.unicodeScalars.contains { "\"*:<>?\\|\u{1}".unicodeScalars.contains($0) }, "\(encoded)")
            #expect(!encoded.hasPrefix(" ") && !encoded.hasSuffix(" ") && !encoded.hasSuffix("."), "\(encoded)")
        }
        #expect(windowsLike.encode("Movie: The Sequel?.mkv") == "Movie： The Sequel？.mkv")
    }

    @Test func keysFoldCaseAndNormalisation() {
        #expect(windowsLike.key("README.md") == windowsLike.key("readme.MD"))
        #expect(windowsLike.key("caf\u{E9}") == windowsLike.key("cafe\u{301}"))
        #expect(windowsLike.key("a") != windowsLike.key("b"))
    }

    @Test func tooLongNamesAreRefused() {
        #expect(windowsLike.refusal(String(repeating: "x", count: 30)) == nil)
        #expect(
            windowsLike.refusal(String(repeating: "é", count: 16))?.contains(
                "32 bytes, longer than the destination's 30") == true)
    }
}

/// Case-insensitive, no trailing dot or space, no leading space.
let windowsLikeNameFlags: UInt32 = 0x1 | 0x4 | 0x8 | 0x10
