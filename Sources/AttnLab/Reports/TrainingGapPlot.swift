import Foundation

/// Each variant's loss minus the baseline's against the step: the validation gap (thick mean line
/// with points, 95% t band over seeds) and the smoothed training gap (thin line), one colour per
/// variant (the colours of the loss plot), and a dashed zero line.
public enum TrainingGapPlot {
    /// `colours` maps variant names to their colour in the report's other plots.
    public static func svg(_ gaps: [TrainingGap], colours: [String: String]) -> String {
        var svg = SVGDocument(width: 820, height: 460)
        var xs: [Double] = [], ys: [Double] = [0]
        for g in gaps {
            xs += g.steps.map(Double.init)
            xs += g.trainSteps.map(Double.init)
            ys += g.mean
            ys += g.bandLow ?? []
            ys += g.bandHigh ?? []
            ys += g.trainSmoothed
        }
        let frame = PlotFrame(x: PlotAxis.linear(xs, pixels: (75, 620)), y: PlotAxis.linear(ys, pixels: (400, 45)))
        let baseline = gaps.first?.baseline ?? "baseline"
        frame.draw(into: &svg, title: "Loss gap to \(baseline) per step (paired by seed; band: 95% t interval)",
                   xLabel: "optimiser step", yLabel: "loss − \(baseline) loss (nats per token)")
        svg.add("line", ["class": "zero", "x1": n(frame.left), "y1": n(frame.y.map(0)), "x2": n(frame.right),
                         "y2": n(frame.y.map(0)), "stroke": "#555", "stroke-width": "1.00", "stroke-dasharray": "6 4"])
        for g in gaps {
            let colour = colours[g.variant] ?? "#555"
            if let low = g.bandLow, let high = g.bandHigh, g.steps.count > 1 {
                let upper: [(Double, Double)] = zip(g.steps, high).map { (frame.x.map(Double($0.0)), frame.y.map($0.1)) }
                let lower: [(Double, Double)] = zip(g.steps, low).map { (frame.x.map(Double($0.0)), frame.y.map($0.1)) }
                let band = upper + lower.reversed()
                svg.add("polygon", ["class": "gap-band", "data-variant": g.variant, "points": SVGDocument.points(band),
                                    "fill": colour, "fill-opacity": "0.18", "stroke": "none"])
            }
            let train = zip(g.trainSteps, g.trainSmoothed).map { (frame.x.map(Double($0.0)), frame.y.map($0.1)) }
            svg.add("polyline", ["class": "train-gap", "data-variant": g.variant, "points": SVGDocument.points(train),
                                 "fill": "none", "stroke": colour, "stroke-width": "1.00", "stroke-opacity": "0.55"])
            let val = zip(g.steps, g.mean).map { (frame.x.map(Double($0.0)), frame.y.map($0.1)) }
            svg.add("polyline", ["class": "val-gap", "data-variant": g.variant, "points": SVGDocument.points(val),
                                 "fill": "none", "stroke": colour, "stroke-width": "2.50"])
            for p in val { svg.add("circle", ["cx": n(p.0), "cy": n(p.1), "r": "3.00", "fill": colour]) }
        }
        LossCurvePlot.drawLegend(into: &svg, entries: gaps.map { ("\($0.variant) (n=\($0.seeds.count))", colours[$0.variant] ?? "#555") },
                                 x: 640, y: 60, thick: "validation gap (mean)", thin: "training gap (smoothed)",
                                 band: "95% t band (n ≥ 2)")
        return svg.render()
    }
}
