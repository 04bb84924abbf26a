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

    /// OneDrive's rules: Windows' reserved names are stored with one character as its full-width
    /// twin and come back exactly; a twin that was in the source name stays one.
    @Test func reservedNamesRoundTrip() {
        let oneDrive = NameEncoder(
            rules: NameRules(
                forbiddenCharacters: "\"*:<>?\\|", caseInsensitive: true, noTrailingDot: true, noTrailingSpace: true,
                noLeadingSpace: true, windowsReserved: true))
        let expected = [
            "CON.srt": "ＣON.srt", "con": "ｃon", "LPT1.txt": "ＬPT1.txt", "desktop.ini": "ｄesktop.ini",
            ".lock": ".ｌock", "~$report.docx": "～$report.docx", "a_vti_b": "a＿vti_b", "CONSOLE.txt": "CONSOLE.txt",
            "NUL.tar.gz": "ＮUL.tar.gz", "COM10": "COM10", "name.": "name．",
        ]
        for (name, stored) in expected {
            #expect(oneDrive.encode(name) == stored, "\(name)")
            #expect(oneDrive.decode(stored) == name, "\(stored)")
        }
        // Names that already hold the twin in that place are escaped, and come back as they were.
        for literal in ["ＣON.srt", "ｄesktop.ini", "a＿vti_b", ".ｌock", "～x", "Ｃ", "plain ＣON"] {
            let stored = oneDrive.encode(literal)
            #expect(oneDrive.decode(stored) == literal, "\(literal) → \(stored)")
        }
        #expect(oneDrive.encode("ＣON.srt") == "‛ＣON.srt")
        #expect(oneDrive.encode("plain ＣON") == "plain ＣON")
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
