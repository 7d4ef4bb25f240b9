// What each query of one layer's prediction says, computed once per image and layer: its class
// probabilities (softmax over the K classes and "no object"), its best class, and how much of the
// image its mask covers. Post-processing, `predict`'s table, the explorer's query rows, layer line
// and details, `segment`, `eval` and `bench` all read it here instead of each redoing the softmax.

import Mask2Former
import TensorCore

public struct QueryReadouts: Sendable {
    public let queryCount: Int
    /// K, the real classes; the probabilities have K + 1 columns, "no object" last.
    public let classCount: Int
    /// `[Q, K+1]`: softmax over every column, "no object" included (as transformers' post-processing).
    public let probabilities: Tensor
    /// Each query's most likely column over all K + 1 (first on ties; K = "no object") and its
    /// probability: what panoptic post-processing filters on.
    public let bestClass: [Int]
    public let bestScore: [Float]
    /// Share of the mask-logit plane (H/4 × W/4 of the model input) where the query's logit is > 0,
    /// i.e. its mask probability is above one half.
    public let maskArea: [Float]

    public init(_ prediction: LayerPrediction) {
        let probabilities = softmax(prediction.classLogits)   // [Q, K+1]
        let queries = probabilities.shape[0], columns = probabilities.shape[1]
        var best = [Int](repeating: 0, count: queries), score = [Float](repeating: 0, count: queries)
        var area = [Float](repeating: 0, count: queries)
        let logits = prediction.maskLogits                     // [Q, H/4, W/4]
        let plane = logits.count / max(1, queries)
        probabilities.withUnsafeBufferPointer { p in
            logits.withUnsafeBufferPointer { m in
                for q in 0..<queries {
                    var top = 0
                    for c in 1..<columns where p[q * columns + c] > p[q * columns + top] { top = c }
                    best[q] = top
                    score[q] = p[q * columns + top]
                    var covered = 0
                    for i in 0..<plane where m[q * plane + i] > 0 { covered += 1 }
                    area[q] = Float(covered) / Float(max(1, plane))
                }
            }
        }
        self.probabilities = probabilities
        queryCount = queries
        classCount = columns - 1
        bestClass = best
        bestScore = score
        maskArea = area
    }

    /// One readout per layer of an image's prediction (index = layer, 0 = the learned queries).
    public static func layers(of predictions: Predictions) -> [QueryReadouts] {
        predictions.layers.map(QueryReadouts.init)
    }

    /// p(column | query); column K is "no object".
    public func probability(query: Int, column: Int) -> Float {
        probabilities.scalars[query * (classCount + 1) + column]
    }

    /// The most likely real class ("no object" left out; first on ties) and its probability: what a
    /// person asks "what does this query think it is".
    public func bestRealClass(query: Int) -> (label: Int, probability: Float) {
        var top = 0
        for c in 0..<classCount where probability(query: query, column: c) > probability(query: query, column: top) { top = c }
        return (top, probability(query: query, column: top))
    }

    /// The `count` most likely columns, most likely first (ties: lower column first); K is "no object".
    public func topColumns(query: Int, count: Int) -> [(column: Int, probability: Float)] {
        let columns: [(column: Int, probability: Float)] = (0...classCount).map { ($0, probability(query: query, column: $0)) }
        let ranked = columns.sorted { a, b in a.probability > b.probability || (a.probability == b.probability && a.column < b.column) }
        return Array(ranked.prefix(count))
    }

    /// The label a column names, with "no object" (column K) as −1 (the explorer's `labelName` convention).
    public func label(ofColumn column: Int) -> Int { column == classCount ? -1 : column }
}
