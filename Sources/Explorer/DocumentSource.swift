// Where the event loop gets each image's results: the inference worker in the program, documents
// already made in tests and the redraw benchmark.

/// One image's results, or why there are none.
public enum DocumentStatus: Sendable {
    case done(ExplorerDocument)
    case failed(String)
}

public protocol DocumentSource: AnyObject {
    /// The image the explorer shows: computed before the others.
    func request(_ index: Int)
    /// The image's results, nil while they are being computed.
    func result(_ index: Int) -> DocumentStatus?
    /// What is running now, for the status line.
    var progress: String { get }
}

/// Documents made beforehand, one per image.
public final class LoadedDocuments: DocumentSource {
    let documents: [DocumentStatus]
    public init(_ documents: [DocumentStatus]) { self.documents = documents }
    public func request(_ index: Int) {}
    public func result(_ index: Int) -> DocumentStatus? { index >= 0 && index < documents.count ? documents[index] : nil }
    public var progress: String { "" }
}
