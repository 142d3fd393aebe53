/// The middle value; the mean of the two middle values for an even count.
public func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let s = values.sorted(), k = s.count / 2
    return s.count % 2 == 1 ? s[k] : 0.5 * (s[k - 1] + s[k])
}
