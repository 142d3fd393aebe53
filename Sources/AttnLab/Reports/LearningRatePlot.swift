import Foundation

/// Final validation loss against the learning rate (log10 axis), one colour per variant: every
/// finished tuning run as a small dot, the per-lr mean as a larger one, the fitted parabola over
/// the grid's range, the chosen lr as a ringed diamond (dashed ring when flagged: best grid
/// point, not the fitted optimum), and grid points whose runs were all left out as a cross on
/// the top edge.
public enum LearningRatePlot {
    public static func svg(_ tuning: LearningRateTuningReport) -> String {
        var svg = SVGDocument(width: 920, height: 460)
        let fits = tuning.variants
        let lrs = fits.flatMap { $0.fit.points.map(\.lr) }
        let losses = fits.flatMap { $0.fit.points.flatMap(\.losses) }
        let frame = PlotFrame(x: PlotAxis.log10(lrs, pixels: (75, 620)), y: PlotAxis.linear(losses, pixels: (400, 45)))
        frame.draw(into: &svg, title: "Final validation loss vs learning rate (\(tuning.experiment))",
                   xLabel: "peak learning rate (log scale)", yLabel: "final validation loss (nats per token)")
        let yRange = (frame.y.lo, frame.y.hi)
        for (i, v) in fits.enumerated() {
            let colour = plotPalette[i % plotPalette.count]
            let f = v.fit
            if let lo = f.points.first?.lr, let hi = f.points.last?.lr, f.a != nil {
                let samples = (0...60).map { k in Foundation.exp(Foundation.log(lo) + Double(k) / 60 * (Foundation.log(hi) - Foundation.log(lo))) }
                let curve = samples.compactMap { lr -> (Double, Double)? in
                    guard let y = f.predictedLoss(lr), y >= yRange.0, y <= yRange.1 else { return nil }
                    return (frame.x.map(lr), frame.y.map(y))
                }
                svg.add("polyline", ["class": "fit", "data-variant": v.variant, "points": SVGDocument.points(curve),
                                     "fill": "none", "stroke": colour, "stroke-width": "1.50"])
            }
            for p in f.points {
                for loss in p.losses {
                    svg.add("circle", ["class": "run", "data-variant": v.variant, "cx": n(frame.x.map(p.lr)),
                                       "cy": n(frame.y.map(loss)), "r": "2.50", "fill": colour, "fill-opacity": "0.5"])
                }
                if let mean = p.meanLoss {
                    svg.add("circle", ["class": "mean", "data-variant": v.variant, "cx": n(frame.x.map(p.lr)),
                                       "cy": n(frame.y.map(mean)), "r": "4.00", "fill": colour])
                } else {
                    let x = frame.x.map(p.lr), y = frame.top + 8
                    svg.add("path", ["class": "left-out", "data-variant": v.variant,
                                     "d": "M \(n(x - 5)) \(n(y - 5)) L \(n(x + 5)) \(n(y + 5)) M \(n(x - 5)) \(n(y + 5)) L \(n(x + 5)) \(n(y - 5))",
                                     "stroke": colour, "stroke-width": "2.00"])
                }
            }
            if let chosen = f.chosen, let y = f.flag == nil ? f.predictedLoss(chosen) : f.bestGridPoint?.meanLoss {
                let cx = frame.x.map(chosen), cy = frame.y.map(Swift.min(Swift.max(y, yRange.0), yRange.1))
                var ring: KeyValuePairs<String, String> = ["class": "chosen", "data-variant": v.variant,
                    "d": "M \(n(cx)) \(n(cy - 9)) L \(n(cx + 9)) \(n(cy)) L \(n(cx)) \(n(cy + 9)) L \(n(cx - 9)) \(n(cy)) Z",
                    "fill": "none", "stroke": colour, "stroke-width": "2.00"]
                if f.flag != nil {
                    ring = ["class": "chosen-flagged", "data-variant": v.variant,
                            "d": "M \(n(cx)) \(n(cy - 9)) L \(n(cx + 9)) \(n(cy)) L \(n(cx)) \(n(cy + 9)) L \(n(cx - 9)) \(n(cy)) Z",
                            "fill": "none", "stroke": colour, "stroke-width": "2.00", "stroke-dasharray": "3 2"]
                }
                svg.add("path", ring)
            }
        }
        var row = 60.0
        let x = 640.0
        for (i, v) in fits.enumerated() {
            let label = v.variant + ": " + (v.fit.chosen.map(LearningRateTuningReport.format) ?? "none")
                + (v.fit.flag.map { " (\($0.rawValue))" } ?? "")
            svg.line(x, row - 4, x + 26, row - 4, stroke: plotPalette[i % plotPalette.count], width: 1.5)
            svg.text(label, x: x + 34, y: row, size: 11)
            row += 20
        }
        row += 10
        let flagged = fits.contains { $0.fit.flag != nil }, leftOut = fits.contains { $0.fit.points.contains { $0.meanLoss == nil } }
        let legend = ["◇ chosen lr (fitted optimum)"] + (flagged ? ["dashed ◇: best grid point (flagged)"] : [])
            + (leftOut ? ["× all runs left out"] : [])
        for text in legend {
            svg.text(text, x: x, y: row, size: 11)
            row += 18
        }
        return svg.render()
    }
}
