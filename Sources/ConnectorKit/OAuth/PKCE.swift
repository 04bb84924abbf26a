import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636), S256: the code a redirect carries is useless without
/// the verifier that never left this process.
public struct PKCE: Sendable {
    public let verifier: String
    public var challenge: String { PKCE.challenge(for: verifier) }
    public let method = "S256"

    /// A fresh verifier: 32 random bytes, base64url (43 characters).
    public init() {
        verifier = base64URL(randomBytes(32))
    }

    public init(verifier: String) { self.verifier = verifier }

    public static func challenge(for verifier: String) -> String {
        base64URL(Array(SHA256.hash(data: Array(verifier.utf8))))
    }
}

/// Unpadded base64url (RFC 4648 §5).
func base64URL(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}
