// `maskscope bench`: time preprocessing and every stage of the forward pass over repeated runs.
// Prints figures; it asserts nothing (timing belongs here, never in tests).

import ArgumentParser
import Foundation
import Imaging
import Mask2Former
import TensorCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time preprocessing and each stage of inference (median and min over repeats).")

    @Argument(help: "A PNG or JPEG image.")
    var image: String

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("repeat"), help: "Timed runs after one warm-up run.")
    var repeats = 5

    func run() throws {
        try reportingErrors {
            let model = try modelOptions.load()
            let picture = try loadImage(path: image)
            let processor = ImageProcessor(config: model.processorConfig)
            var samples: [String: [Double]] = [:]
            for run in 0...max(1, repeats) {
                let (pixels, preprocess) = measure { processor.preprocess(picture) }
                let predictions = model.forward(pixels)
                guard run > 0 else { continue }   // the first run warms caches and thread pools
                let t = predictions.timings
                for (name, value) in [("preprocess", preprocess), ("backbone", t.backbone), ("pixel decoder", t.pixelDecoder),
                                      ("transformer decoder", t.transformerDecoder), ("total", preprocess + t.total)] {
                    samples[name, default: []].append(value)
                }
            }
            let input = processor.outputSize(height: picture.height, width: picture.width)
            print("model \(model.location.name), input \(input.width)×\(input.height), \(parallelWorkerCount) threads, BLAS core \(blasCoreName), \(repeats) runs after 1 warm-up")
            print("stage                  median        min")
            for name in ["preprocess", "backbone", "pixel decoder", "transformer decoder", "total"] {
                let values = (samples[name] ?? [0]).sorted()
                print(name.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + String(format: " %9.1f ms %7.1f ms", values[values.count / 2] * 1000, values[0] * 1000))
            }
        }
    }
}
