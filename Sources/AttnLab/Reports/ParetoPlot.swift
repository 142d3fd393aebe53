import Foundation

/// Final validation loss against KV-cache bytes per token, one labelled point per variant with a
/// ±1 std error bar, and the Pareto front (nothing both smaller and better) as a step line.
public enum ParetoPlot {
    /// Indices of the points no other point beats on both axes (lower is better on both), in
    /// ascending x: sorted by x then y, a point is on the front when its y is below every earlier y.
    public static func front(_ points: [(x: Double, y: Double)]) -> [Int] {
        var best = Double.infinity
        var out: [Int] = []
        for i in points.indices.sorted(by: { (points[$0].x, points[$0].y) < (points[$1].x, points[$1].y) }) where points[i].y < best {
            best = points[i].y
            out.append(i)
        }
        return out
    }

    public static func svg(_ stats: [VariantStats]) -> String {
        let shown = stats.enumerated().compactMap { i, v -> (VariantStats, String, SampleSummary)? in
            v.finalValLoss.map { (v, plotPalette[i % plotPalette.count], $0) }
        }
        var svg = SVGDocument(width: 660, height: 460)
        let xs = shown.map { Double($0.0.kvBytesPerTokenFP32) }
        let ys = shown.flatMap { [$0.2.mean - ($0.2.std ?? 0), $0.2.mean + ($0.2.std ?? 0)] }
        let frame = PlotFrame(x: PlotAxis.log2(xs, pixels: (75, 630)), y: PlotAxis.linear(ys, pixels: (400, 60)))
        frame.draw(into: &svg, title: "Final validation loss vs KV cache (mean ± std over seeds)",
                   xLabel: "KV cache bytes per token, fp32 (log2 scale)", yLabel: "final validation loss")
        let pixels = shown.map { (frame.x.map(Double($0.0.kvBytesPerTokenFP32)), frame.y.map($0.2.mean)) }
        let frontIdx = front(shown.map { (Double($0.0.kvBytesPerTokenFP32), $0.2.mean) })
        if let first = frontIdx.first {
            // Horizontal to the next front point's x, then down to its loss: the boundary of
            // the region the front dominates.
            var d = "M \(n(pixels[first].0)) \(n(pixels[first].1))"
            for i in frontIdx.dropFirst() { d += " H \(n(pixels[i].0)) V \(n(pixels[i].1))" }
            svg.add("path", ["class": "pareto-front", "d": d, "fill": "none", "stroke": "#555",
                             "stroke-width": "1.50", "stroke-dasharray": "6 4"])
        }
        for ((v, colour, s), p) in zip(shown, pixels) {
            if let std = s.std, std > 0 {
                let top = frame.y.map(s.mean + std), bottom = frame.y.map(s.mean - std)
                svg.line(p.0, top, p.0, bottom, stroke: colour, width: 1.5)
                svg.line(p.0 - 5, top, p.0 + 5, top, stroke: colour, width: 1.5)
                svg.line(p.0 - 5, bottom, p.0 + 5, bottom, stroke: colour, width: 1.5)
            }
            svg.add("circle", ["class": "point", "data-variant": v.name, "cx": n(p.0), "cy": n(p.1), "r": "5.00",
                               "fill": colour, "stroke": "white", "stroke-width": "1.00"])
            // Labels near the right edge go to the left of their point so they stay inside.
            let leftSide = p.0 > frame.right - 120
            svg.text("\(v.name) (n=\(s.n))", x: leftSide ? p.0 - 9 : p.0 + 9, y: p.1 - 8,
                     anchor: leftSide ? "end" : "start", size: 12, color: colour)
        }
        svg.text("dashed step line: Pareto front (lower-left is better)", x: frame.right, y: frame.top - 6, anchor: "end",
                 size: 11, color: "#555")
        return svg.render()
    }
}
