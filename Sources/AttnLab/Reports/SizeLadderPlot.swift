import Foundation

/// The size ladder's plot: each variant's final-validation-loss gap to the baseline (paired mean,
/// 95% t interval as an error bar) against the baseline's parameter count on a log10 axis, one
/// series (colour, connecting line) per variant, a dashed zero line, and the pending sizes named.
public enum SizeLadderPlot {
    public static func svg(_ ladder: SizeLadderReport) -> String {
        var svg = SVGDocument(width: 820, height: 460)
        let done = ladder.sizes.filter { $0.pending == nil }
        let xs = done.compactMap { $0.parameters[ladder.baseline] }.map(Double.init)
        var ys: [Double] = [0]
        for s in done { for g in s.gaps { ys += [g.meanDifference] + [g.ciLow, g.ciHigh].compactMap { $0 } } }
        var x = PlotAxis.log10(xs, pixels: (75, 620))
        x.log10Label = parameterLabel
        let frame = PlotFrame(x: x, y: PlotAxis.linear(ys, pixels: (400, 45)))
        frame.draw(into: &svg, title: "Final validation loss gap to \(ladder.baseline) by model size (paired by seed; bars: 95% t interval)",
                   xLabel: "parameters of \(ladder.baseline) (log scale)", yLabel: "variant − \(ladder.baseline) loss (nats per token)")
        svg.add("line", ["class": "zero", "x1": n(frame.left), "y1": n(frame.y.map(0)), "x2": n(frame.right),
                         "y2": n(frame.y.map(0)), "stroke": "#555", "stroke-width": "1.00", "stroke-dasharray": "6 4"])
        var legendRow = 60.0
        for (i, variant) in ladder.variants.enumerated() {
            let colour = plotPalette[(i + 1) % plotPalette.count]
            let points = done.compactMap { s -> (Double, PairedComparison)? in
                guard let p = s.parameters[ladder.baseline], let g = s.gaps.first(where: { $0.variant == variant }) else { return nil }
                return (frame.x.map(Double(p)), g)
            }
            svg.add("polyline", ["class": "ladder-gap", "data-variant": variant,
                                 "points": SVGDocument.points(points.map { ($0.0, frame.y.map($0.1.meanDifference)) }),
                                 "fill": "none", "stroke": colour, "stroke-width": "2.00"])
            for (x, g) in points {
                if let lo = g.ciLow, let hi = g.ciHigh {
                    svg.line(x, frame.y.map(lo), x, frame.y.map(hi), stroke: colour, width: 1.5)
                    svg.line(x - 5, frame.y.map(lo), x + 5, frame.y.map(lo), stroke: colour, width: 1.5)
                    svg.line(x - 5, frame.y.map(hi), x + 5, frame.y.map(hi), stroke: colour, width: 1.5)
                }
                svg.add("circle", ["class": "point", "data-variant": variant, "cx": n(x), "cy": n(frame.y.map(g.meanDifference)),
                                   "r": "4.00", "fill": colour])
            }
            svg.line(640, legendRow - 4, 666, legendRow - 4, stroke: colour, width: 2.5)
            svg.text("\(variant) − \(ladder.baseline)", x: 674, y: legendRow, size: 12)
            legendRow += 20
        }
        let pending = ladder.sizes.filter { $0.pending != nil }
        if !pending.isEmpty {
            svg.text("not plotted (pending): " + pending.map(\.experiment).joined(separator: ", "), x: frame.left, y: 452, size: 11, color: "#555")
        }
        return svg.render()
    }

    /// A parameter count as a tick label: 500k, 1M, 2M, 1.5B.
    static func parameterLabel(_ count: Double) -> String {
        for (unit, size) in [("B", 1e9), ("M", 1e6), ("k", 1e3)] where count >= size { return trimmedDecimal(count / size) + unit }
        return trimmedDecimal(count)
    }
}
