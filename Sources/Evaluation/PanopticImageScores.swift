// One image's PQ, SQ, RQ and counts: panopticapi's pq_average over that image alone (the categories
// present in it, averaged), from the same accumulator `maskscope eval` sums over the dataset.

public struct PanopticImageScores: Sendable, Equatable {
    public var pq: Double
    public var sq: Double
    public var rq: Double
    public var tp: Int
    public var fp: Int
    public var fn: Int

    public init(_ matching: PanopticMatching, categories: [PanopticCategory]) {
        var accumulator = PanopticQualityAccumulator()
        accumulator.add(matching)
        let (scores, _) = accumulator.average(categories: categories, isThing: nil)
        let totals = accumulator.totals
        pq = scores.pq; sq = scores.sq; rq = scores.rq
        tp = totals.tp; fp = totals.fp; fn = totals.fn
    }

    /// The figures as `maskscope eval --json` writes them (percentages, as for the dataset).
    public var json: [String: Any] { ["pq": 100 * pq, "sq": 100 * sq, "rq": 100 * rq, "tp": tp, "fp": fp, "fn": fn] }
}
