import Foundation

/// A file or folder of an emulated drive, as the shared tree knows it: an id, the id of the folder
/// it is in (the root is `""`), a name. Each provider's node class adds its own fields (hashes,
/// revisions, phases).
public protocol TreeNode: AnyObject {
    var id: String { get }
    var parentId: String { get set }
    var name: String { get set }
    var isFolder: Bool { get }
}

/// The tree of one emulated account, shared by the emulators: nodes by id, each folder's children
/// in the order they were added (as listings return them), moves, subtrees and free names. Names
/// are compared as each provider says (bytes, or case-blind); the tree never decides that itself.
/// Not thread-safe: used under its emulator's lock.
public final class NodeTree<Node: TreeNode> {
    public private(set) var nodes: [String: Node] = [:]
    private var children: [String: [String]] = ["": []]

    public init() {}

    public subscript(id: String) -> Node? { nodes[id] }

    /// The ids of a folder's children, in the order they were added.
    public func childIDs(of parent: String) -> [String] { children[parent] ?? [] }

    public func children(of parent: String) -> [Node] { childIDs(of: parent).compactMap { nodes[$0] } }

    public func add(_ node: Node) {
        nodes[node.id] = node
        children[node.parentId, default: []].append(node.id)
        if node.isFolder { children[node.id] = children[node.id] ?? [] }
    }

    /// Takes a node and everything under it out of the tree.
    @discardableResult
    public func remove(_ node: Node) -> [Node] {
        let gone = subtree(node.id)
        children[node.parentId]?.removeAll { $0 == node.id }
        for n in gone {
            nodes[n.id] = nil
            children[n.id] = nil
        }
        return gone
    }

    /// Takes a node out of its folder's listing, keeping it (a trashed item keeps its parent id).
    public func detach(_ node: Node) { children[node.parentId]?.removeAll { $0 == node.id } }

    public func move(_ node: Node, to parent: String) {
        detach(node)
        node.parentId = parent
        children[parent, default: []].append(node.id)
    }

    /// The first child of `parent` that `matches`.
    public func child(of parent: String, where matches: (Node) -> Bool) -> Node? {
        children[parent]?.lazy.compactMap { self.nodes[$0] }.first(where: matches)
    }

    /// Every node under `id` (itself included), parents before children.
    public func subtree(_ id: String) -> [Node] {
        var out: [Node] = []
        var stack = [id]
        while let next = stack.popLast() {
            if let node = nodes[next] { out.append(node) }
            stack.append(contentsOf: (children[next] ?? []).reversed())
        }
        return out
    }

    /// Whether `id` is `ancestor` or lies under it (everything lies under the root, `""`).
    public func isInside(_ id: String, _ ancestor: String) -> Bool {
        var current: String? = id
        while let c = current, !c.isEmpty {
            if c == ancestor { return true }
            current = nodes[c]?.parentId
        }
        return ancestor.isEmpty
    }

    /// The names from the root down to `id`, or nil when a folder on the way is gone.
    public func names(to id: String) -> [String]? {
        var out: [String] = []
        var current = id
        while !current.isEmpty {
            guard let node = nodes[current] else { return nil }
            out.append(node.name)
            current = node.parentId
        }
        return out.reversed()
    }

    /// `name` if `isTaken` says it is free, else the first of `numbered(stem, n, ext)` for n = 1, 2,
    /// … that is (`name(1).ext` for PikPak, `name (1).ext` for Dropbox).
    public func freeName(
        _ name: String, isTaken: (String) -> Bool, numbered: (_ stem: String, _ n: Int, _ ext: String) -> String
    ) -> String {
        guard isTaken(name) else { return name }
        let ext = (name as NSString).pathExtension
        let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
        var n = 1
        while true {
            let candidate = numbered(stem, n, ext)
            if !isTaken(candidate) { return candidate }
            n += 1
        }
    }
}
