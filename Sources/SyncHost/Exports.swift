// The ABI's Swift names (ErrorCode, Capabilities, NameRules) are part of SyncCore's API.
@_exported import SyncABI
