// The explorer's background inference: the thread owns the worker (a UI that quits and drops its
// reference mid-image must not leave the thread reading freed memory), stop is honoured between
// images, and a FIFO among the images is reported without ever being opened.

import Foundation
import Mask2Former
import Segmentation
import TestSupport
import Testing
@testable import Explorer

@Suite("Explorer background inference", .serialized)
struct InferenceWorkerTests {
    static let model = try! Mask2FormerModel(model: fixturePath("models/tiny-w7"))
    let scene = fixturePath("reference/images/scene-200x150.png")

    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { if condition() { return true }; usleep(10_000) }
        return condition()
    }

    @Test("the running thread keeps the worker alive after the UI lets go of it, and releases it when stopped")
    func ownedByItsThread() {
        weak var weakWorker: InferenceWorker?
        do {
            let worker = InferenceWorker(images: Array(repeating: (path: scene, name: "scene"), count: 40), model: Self.model,
                                         options: PostProcessingOptions(), stuff: [])
            worker.start()
            weakWorker = worker
        }
        // The UI's reference is gone (as when `q` returns from the run loop): the thread still holds it.
        #expect(weakWorker != nil, "nothing owns the worker while its thread runs")
        #expect(weakWorker?.stop(waitingUpTo: 30) == true, "stop is honoured at the next check")
        #expect(waitUntil(seconds: 5) { weakWorker == nil }, "the finished thread lets the worker go")
    }

    @Test("stop ends the run between images: no image is started after it")
    func stopBetweenImages() throws {
        let worker = InferenceWorker(images: Array(repeating: (path: scene, name: "scene"), count: 40), model: Self.model,
                                     options: PostProcessingOptions(), stuff: [])
        worker.start()
        #expect(waitUntil(seconds: 30) { worker.result(0) != nil })
        #expect(worker.stop(waitingUpTo: 30))
        let done = (0..<40).filter { worker.result($0) != nil }.count
        usleep(300_000)
        #expect((0..<40).filter { worker.result($0) != nil }.count == done, "results kept arriving after stop")
        #expect(done < 40, "stop came after every image was done; the test needs more images")
    }

    @Test("a FIFO among the images is reported as one, never opened; the next image gets results")
    func fifo() throws {
        let directory = NSTemporaryDirectory() + "maskscope-worker-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pipe = directory + "/pipe.png"
        #expect(mkfifo(pipe, 0o644) == 0)
        let worker = InferenceWorker(images: [(path: pipe, name: "pipe"), (path: scene, name: "scene")], model: Self.model,
                                     options: PostProcessingOptions(), stuff: [])
        worker.start()
        defer { _ = worker.stop(waitingUpTo: 30) }
        #expect(waitUntil(seconds: 30) { worker.result(1) != nil }, "the FIFO blocked the worker")
        guard case .failed(let message)? = worker.result(0) else { Issue.record("the FIFO has no error"); return }
        #expect(message.contains(pipe) && message.contains("FIFO"), "\(message)")
        guard case .done? = worker.result(1) else { Issue.record("the scene after the FIFO has no result"); return }
        // Nobody holds the FIFO open for reading: a non-blocking writer finds no reader (ENXIO).
        let writer = open(pipe, O_WRONLY | O_NONBLOCK)
        #expect(writer < 0 && errno == ENXIO)
        if writer >= 0 { close(writer) }
    }

    @Test("an image too large for the memory limit (a processor that does not resize) is one failed image, not a forward pass")
    func imageOverMemoryLimit() throws {
        let folder = NSTemporaryDirectory() + "maskscope-worker-model-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for file in ["config.json", "preprocessor_config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: fixturePath("models/tiny-w7/" + file), toPath: folder + "/" + file)
        }
        let processorPath = folder + "/preprocessor_config.json"
        var processor = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: processorPath))) as? [String: Any])
        processor["do_resize"] = false
        try JSONSerialization.data(withJSONObject: processor).write(to: URL(fileURLWithPath: processorPath))
        // 600×400 needs ~22 MiB with this model; the 120×90 scene fits the same limit (as predict's test).
        let model = try Mask2FormerModel(model: folder, memoryLimit: MemoryLimit(bytes: 12 << 20, source: "test"))
        let photo = repositoryRoot + "/SampleImages/photos/coffee.png", small = fixturePath("reference/images/scene-120x90.png")
        let worker = InferenceWorker(images: [(path: photo, name: "coffee"), (path: small, name: "scene")], model: model,
                                     options: PostProcessingOptions(), stuff: [])
        worker.start()
        defer { _ = worker.stop(waitingUpTo: 30) }
        #expect(waitUntil(seconds: 60) { worker.result(1) != nil })
        guard case .failed(let message)? = worker.result(0) else { Issue.record("the oversized image was run"); return }
        #expect(message.contains("600×400") && message.contains("more than the memory limit of 12.0 MiB (test)"), "\(message)")
        guard case .done? = worker.result(1) else { Issue.record("the small scene has no result"); return }
    }
}
