import CSyncConnector

/// Runs one ABI call with a fresh error struct and turns a failure into a ConnectorError.
@inline(__always)
func abiCall(_ body: (UnsafeMutablePointer<sc_error>) -> sc_code) throws(ConnectorError) {
    var error = sc_error()
    let code = body(&error)
    if code != SC_OK { throw ConnectorError(abi: code, &error) }
}

/// Carries a Swift closure through a C callback's `void *ctx`, and the first error it threw back out.
final class CallbackBox<Value> {
    let body: (Value) throws -> Void
    var thrown: Error?
    init(_ body: @escaping (Value) throws -> Void) { self.body = body }

    var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ ctx: UnsafeMutableRawPointer?) -> CallbackBox<Value> {
        Unmanaged<CallbackBox<Value>>.fromOpaque(ctx!).takeUnretainedValue()
    }

    /// Calls the closure; a thrown error stops the enumeration (the connector returns CANCELLED).
    func deliver(_ value: Value) -> sc_code {
        do {
            try body(value)
            return SC_OK
        } catch {
            thrown = error
            return SC_ERR_CANCELLED
        }
    }
}

let entryTrampoline: sc_entry_fn = { ctx, entry in
    CallbackBox<Entry>.from(ctx).deliver(Entry(abi: entry!))
}

/// Runs `call` with an entry callback that feeds `body`; rethrows what `body` threw in preference
/// to the CANCELLED the connector returned because of it.
func withEntryCallback(
    _ body: (Entry) throws -> Void,
    _ call: (sc_entry_fn, UnsafeMutableRawPointer, UnsafeMutablePointer<sc_error>) -> sc_code
) throws {
    try withoutActuallyEscaping(body) { escaping in
        let box = CallbackBox<Entry>(escaping)
        var error = sc_error()
        let code = withExtendedLifetime(box) { call(entryTrampoline, box.context, &error) }
        if let thrown = box.thrown { throw thrown }
        if code != SC_OK { throw ConnectorError(abi: code, &error) }
    }
}

/// Collects the single entry a stat()/finish() reports.
func singleEntry(
    _ call: (sc_entry_fn, UnsafeMutableRawPointer, UnsafeMutablePointer<sc_error>) -> sc_code
) throws -> Entry {
    var result: Entry?
    try withEntryCallback({ result = $0 }, call)
    guard let result else { throw ConnectorError(.internal, "connector reported success without an entry") }
    return result
}
