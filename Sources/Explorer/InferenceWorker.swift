// Background inference for the explorer: the model runs on the images one at a time on its own
// thread, the requested image first, and results are kept for the session. The UI thread only
// reads results and progress under the lock.

import FileIO
import Foundation
import Imaging
import Mask2Former
import Segmentation
#if canImport(Glibc)
import Glibc
#endif

/// The thread holds the worker strongly, so the worker lives as long as the thread runs whatever
/// the UI does; `stop` asks it to finish at its next check (between images and stages).
public final class InferenceWorker: DocumentSource, @unchecked Sendable {
    public typealias Result = DocumentStatus

    private let lock = NSLock()
    private var results: [Int: Result] = [:]
    private var wanted = 0
    private var started = DispatchTime.now()
    private var stage = ""
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)
    private let images: [(path: String, name: String)]
    private let model: Mask2FormerModel
    private let options: PostProcessingOptions
    private let stuff: Set<Int>
    private let groundTruth: PanopticGroundTruth?

    /// `images`: the file to read and the name exports use; `groundTruth`: errors are computed against it.
    public init(images: [(path: String, name: String)], model: Mask2FormerModel, options: PostProcessingOptions, stuff: Set<Int>,
                groundTruth: PanopticGroundTruth? = nil) {
        self.images = images
        self.model = model
        self.options = options
        self.stuff = stuff
        self.groundTruth = groundTruth
    }

    public func start() {
        let thread = Thread { [self] in
            work()
            finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private var shouldStop: Bool { lock.withLock { stopRequested } }

    private func work() {
        while !shouldStop {
            let next: Int? = lock.withLock {
                if results[wanted] == nil { return wanted }
                return images.indices.first { results[$0] == nil }
            }
            guard let index = next else { return }
            lock.withLock { started = DispatchTime.now(); stage = "decoding the image" }
            let result: Result?
            do {
                // A FIFO, device or socket lying in a folder is never opened: a read would block for good.
                if let problem = Self.notRegularFile(path: images[index].path) { throw problem }
                let picture = try loadImage(path: images[index].path)
                result = try ExplorerDocument.make(
                    name: images[index].name, image: picture, model: model, options: options, stuff: stuff,
                    progress: { [self] stage in lock.withLock { self.stage = stage } },
                    shouldStop: { [self] in shouldStop }).map { document in
                        if let groundTruth { lock.withLock { stage = "comparing with the ground truth" } }
                        return .done(groundTruth.map { document.attaching($0, imagePath: images[index].path, maskThreshold: options.maskThreshold) }
                                     ?? document)
                    }
            } catch {
                result = .failed("\(error)")
            }
            guard let result else { return }
            lock.withLock { results[index] = result }
        }
    }

    /// Asks the thread to stop and waits up to `seconds` for it; false when it is still running.
    public func stop(waitingUpTo seconds: Double) -> Bool {
        lock.withLock { stopRequested = true }
        guard finished.wait(timeout: .now() + seconds) == .success else { return false }
        finished.signal()   // a second stop returns at once
        return true
    }

    public func request(_ index: Int) { lock.withLock { wanted = index } }
    public func result(_ index: Int) -> Result? { lock.withLock { results[index] } }
    /// "pixel decoder, 1.4 s": the stage running now and the time since this image started.
    public var progress: String {
        lock.withLock { stage + String(format: ", %.1f s", Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9) }
    }

    /// Why `path` must not be opened as an image (a FIFO would wait for a writer for good), judged by
    /// its `stat` alone; nil for a regular file or a path that does not exist (whoever opens it says so).
    public static func notRegularFile(path: String) -> FileError? {
        guard let mode = fileMode(path), mode & S_IFMT != S_IFREG else { return nil }
        if mode & S_IFMT == S_IFDIR { return .isDirectory(path: path) }
        return .notRegularFile(path: path, kind: fileKindName(mode: mode))
    }
}
