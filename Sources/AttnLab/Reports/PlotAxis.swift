import Foundation

/// One axis of a plot: a data range mapped onto a pixel range, linearly, in log2 or in log10,
/// with tick positions and labels. For log axes `lo` and `hi` are logarithms.
struct PlotAxis {
    enum Scale { case linear, log2, log10 }
    let lo: Double, hi: Double
    let pixelLo: Double, pixelHi: Double
    let scale: Scale
    /// The tick label of a value on a log10 axis; nil: `%g` (learning rates).
    var log10Label: ((Double) -> String)? = nil

    /// A linear axis over `values` with 5% headroom each side; a single value gets a unit-wide range.
    static func linear(_ values: [Double], pixels: (Double, Double)) -> PlotAxis {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        let pad = hi > lo ? 0.05 * (hi - lo) : max(abs(lo) * 0.05, 0.5)
        lo -= pad; hi += pad
        return PlotAxis(lo: lo, hi: hi, pixelLo: pixels.0, pixelHi: pixels.1, scale: .linear)
    }

    /// A log2 axis with half a power of two of headroom each side, so no point sits on the frame.
    static func log2(_ values: [Double], pixels: (Double, Double)) -> PlotAxis {
        let positive = values.filter { $0 > 0 }
        var lo = Foundation.log2(positive.min() ?? 1) - 0.5
        var hi = Foundation.log2(positive.max() ?? 1) + 0.5
        // At least one whole power of two inside, so there are two ticks to read the scale from.
        if hi - lo < 1.5 { lo -= 0.5; hi += 0.5 }
        return PlotAxis(lo: lo, hi: hi, pixelLo: pixels.0, pixelHi: pixels.1, scale: .log2)
    }

    /// A log10 axis with a fifth of a decade of headroom each side (learning rates and such).
    static func log10(_ values: [Double], pixels: (Double, Double)) -> PlotAxis {
        let positive = values.filter { $0 > 0 }
        var lo = Foundation.log10(positive.min() ?? 1) - 0.2
        var hi = Foundation.log10(positive.max() ?? 1) + 0.2
        // At least one 1-2-5 tick inside.
        if hi - lo < 0.5 { lo -= 0.25; hi += 0.25 }
        return PlotAxis(lo: lo, hi: hi, pixelLo: pixels.0, pixelHi: pixels.1, scale: .log10)
    }

    func map(_ v: Double) -> Double {
        let x: Double
        switch scale {
        case .linear: x = v
        case .log2: x = Foundation.log2(v)
        case .log10: x = Foundation.log10(v)
        }
        return pixelLo + (x - lo) / (hi - lo) * (pixelHi - pixelLo)
    }

    /// Tick values and their labels: 1-2-5 steps for linear axes, powers of two for log2 ones,
    /// 1, 2 and 5 times powers of ten for log10 ones.
    func ticks() -> [(value: Double, label: String)] {
        if scale == .log10 {
            let first = Int(lo.rounded(.down)), last = Int(hi.rounded(.up))
            return (first...last).flatMap { e in [1.0, 2, 5].map { $0 * Foundation.pow(10, Double(e)) } }
                .filter { Foundation.log10($0) >= lo && Foundation.log10($0) <= hi }
                .map { ($0, log10Label?($0) ?? String(format: "%g", $0)) }
        }
        if scale == .log2 {
            let first = Int(lo.rounded(.up)), last = Int(hi.rounded(.down))
            let every = last - first > 8 ? 2 : 1
            return stride(from: first, through: last, by: every).map { e in
                let v = Foundation.pow(2, Double(e))
                return (v, e >= 0 ? grouped(Int(v)) : String(format: "%g", v))
            }
        }
        let raw = (hi - lo) / 8
        let magnitude = Foundation.pow(10, Foundation.log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let digits = max(0, -Int(Foundation.log10(step).rounded(.down)))
        var out: [(Double, String)] = []
        var k = (lo / step).rounded(.up)
        while k * step <= hi + 1e-9 * step {
            let v = k * step
            out.append((v, String(format: "%.\(digits)f", abs(v) < step * 1e-9 ? 0 : v)))
            k += 1
        }
        return out
    }
}

/// The rectangle a plot draws into and its two axes.
struct PlotFrame {
    let x: PlotAxis
    let y: PlotAxis

    var left: Double { x.pixelLo }
    var right: Double { x.pixelHi }
    var bottom: Double { y.pixelLo }
    var top: Double { y.pixelHi }

    /// Grid lines, tick labels, axis titles, the plot title and a border.
    func draw(into svg: inout SVGDocument, title: String, xLabel: String, yLabel: String) {
        for t in x.ticks() {
            let px = x.map(t.value)
            svg.line(px, top, px, bottom, stroke: "#e4e4e4")
            svg.line(px, bottom, px, bottom + 5, stroke: "#444")
            svg.text(t.label, x: px, y: bottom + 18, anchor: "middle", size: 11)
        }
        for t in y.ticks() {
            let py = y.map(t.value)
            svg.line(left, py, right, py, stroke: "#e4e4e4")
            svg.line(left - 5, py, left, py, stroke: "#444")
            svg.text(t.label, x: left - 8, y: py + 4, anchor: "end", size: 11)
        }
        svg.add("rect", ["x": n(left), "y": n(top), "width": n(right - left), "height": n(bottom - top),
                         "fill": "none", "stroke": "#444", "stroke-width": "1.00"])
        svg.text(xLabel, x: (left + right) / 2, y: bottom + 40, anchor: "middle", size: 13)
        svg.text(yLabel, x: left - 52, y: (top + bottom) / 2, anchor: "middle", size: 13, rotate: true)
        svg.text(title, x: (left + right) / 2, y: 24, anchor: "middle", size: 15)
    }
}
