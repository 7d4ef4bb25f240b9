// Sizes derived from a config and an input image, multiplied and added with overflow reported
// instead of trapped: a hostile config must end in a message, never in "arithmetic overflow".

/// A size product or sum that does not fit in Int (so certainly not in memory).
public struct SizeOverflow: Error, Equatable {}

/// `a · b · …`, or `SizeOverflow`. Factors are sizes (non-negative).
func checkedProduct(_ factors: Int...) throws(SizeOverflow) -> Int {
    var result = 1
    for factor in factors {
        let (value, overflow) = result.multipliedReportingOverflow(by: factor)
        if overflow { throw SizeOverflow() }
        result = value
    }
    return result
}

/// `a + b + …`, or `SizeOverflow`.
func checkedSum(_ terms: Int...) throws(SizeOverflow) -> Int {
    try checkedSum(terms)
}

func checkedSum(_ terms: [Int]) throws(SizeOverflow) -> Int {
    var result = 0
    for term in terms {
        let (value, overflow) = result.addingReportingOverflow(term)
        if overflow { throw SizeOverflow() }
        result = value
    }
    return result
}

/// `⌈a / b⌉` for a ≥ 0, b > 0, without the `a + b − 1` that can overflow.
func ceilDivide(_ a: Int, _ b: Int) -> Int {
    a / b + (a % b == 0 ? 0 : 1)
}
