import Foundation
import SyncHost

// Names compared and paths joined as their UTF-8 bytes, shared by the march, the run and the
// sorted listings: Swift's String equality would take NFC and NFD spellings for one name.

/// Byte order of UTF-8 names, with memcmp where the strings are contiguous (native ones are).
func bytesPrecede(_ a: String, _ b: String) -> Bool {
    let fast = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y -> Bool in
            let n = min(x.count, y.count)
            let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
            return c != 0 ? c < 0 : x.count < y.count
        }
    }
    return (fast ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
}

func bytesEqual(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    let fast = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y in x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
        }
    }
    return (fast ?? nil) ?? a.utf8.elementsEqual(b.utf8)
}

func bytesStart(_ s: String, with prefix: String) -> Bool {
    let fast = s.utf8.withContiguousStorageIfAvailable { x in
        prefix.utf8.withContiguousStorageIfAvailable { p -> Bool in
            p.count <= x.count && (p.count == 0 || memcmp(x.baseAddress!, p.baseAddress!, p.count) == 0)
        }
    }
    return (fast ?? nil) ?? s.utf8.starts(with: prefix.utf8)
}

func join(_ root: String, _ relative: String) -> String {
    if relative.isEmpty { return root }
    return root.isEmpty ? relative : root + "/" + relative
}

/// Ids in their natural order: numerically when both are numbers (Put.io's), else by bytes.
func idPrecedes(_ a: String, _ b: String) -> Bool {
    let digitsA = a.drop { !$0.isNumber }
    let digitsB = b.drop { !$0.isNumber }
    if let x = Int64(digitsA), let y = Int64(digitsB), x != y { return x < y }
    return bytesPrecede(a, b)
}
