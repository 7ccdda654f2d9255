/// Where a file an HTTP client sent lands in the inbox: `up-<token id>-<name>`. Every PUT and every
/// tus hand-off carries its uploader's token id in its name, so no uploader can name, replace,
/// caption or re-ticket another's file: a ticket's caption names are rewritten to the same prefix,
/// and ingest takes captions only of the clip's own uploader. Files dropped into a mounted inbox
/// by hand carry no prefix (whoever can write the folder is trusted).
enum UploaderFile {
    static let prefix = "up-"

    /// "IMG_5151.mp4" sent by token 3f2a9c1b → "up-3f2a9c1b-IMG_5151.mp4".
    static func inboxName(_ name: String, uploader: String) -> String {
        "\(prefix)\(uploader)-\(name)"
    }

    /// The token id an inbox name was sent under; nil for a file dropped in by hand.
    static func uploader(of inboxName: String) -> String? {
        let utf8 = Array(inboxName.utf8)
        guard inboxName.hasPrefix(prefix), utf8.count > prefix.count + 9, utf8[prefix.count + 8] == UInt8(ascii: "-") else { return nil }
        let id = utf8[prefix.count..<prefix.count + 8]
        guard id.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return String(decoding: id, as: UTF8.self)
    }

    /// The name as its sender chose it, without the uploader's prefix (for pages and logs).
    static func sentName(of inboxName: String) -> String {
        uploader(of: inboxName) == nil ? inboxName : String(inboxName.dropFirst(prefix.count + 9))
    }
}

extension Ticket {
    /// The ticket as `uploader` files it: every caption it names is that uploader's own file.
    func captionsOwned(by uploader: String) -> Ticket {
        var owned = self
        owned.captions = captions?.map { caption in
            var mine = caption
            if UploaderFile.uploader(of: caption.file) != uploader { mine.file = UploaderFile.inboxName(caption.file, uploader: uploader) }
            return mine
        }
        return owned
    }
}
