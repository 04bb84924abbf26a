import Foundation

/// Reads a line from the terminal without echoing it (for secrets).
func promptSecret(_ prompt: String) -> String? {
    FileHandle.standardError.write(Data(prompt.utf8))
    var saved = termios()
    let isTerminal = tcgetattr(0, &saved) == 0
    if isTerminal {
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSAFLUSH, &quiet)
    }
    defer {
        if isTerminal {
            tcsetattr(0, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }
    return readLine(strippingNewline: true)
}

func promptLine(_ prompt: String) -> String? {
    FileHandle.standardError.write(Data(prompt.utf8))
    return readLine(strippingNewline: true)
}

var standardInputIsTerminal: Bool { isatty(0) == 1 }

/// The environment variable that can carry option `name`: SYNC_CORE_OPTION_<NAME>.
func optionEnvironmentName(_ name: String) -> String {
    "SYNC_CORE_OPTION_" + name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
}
