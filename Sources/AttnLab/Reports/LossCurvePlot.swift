import Foundation

/// Mean and spread of one curve over seeds, at the steps every seed logged.
struct SeedBand {
    var steps: [Double] = []
    var mean: [Double] = []
    var min: [Double] = []
    var max: [Double] = []

    /// `curves` holds one (steps, values) pair per seed.
    init(_ curves: [(steps: [Int], values: [Double])]) {
        guard let first = curves.first else { return }
        let maps = curves.map { c in Dictionary(zip(c.steps, c.values), uniquingKeysWith: { _, last in last }) }
        let shared = Set(first.steps).filter { s in maps.allSatisfy { $0[s] != nil } }.sorted()
        for s in shared {
            let v = maps.map { $0[s]! }
            steps.append(Double(s))
            mean.append(v.reduce(0, +) / Double(v.count))
            min.append(v.min()!)
            max.append(v.max()!)
        }
    }
}

/// Validation loss (thick mean line, min-max band over seeds) and training loss (thin mean
/// line) against the step, one colour per variant.
public enum LossCurvePlot {
    public static func svg(_ variants: [ReportVariant]) -> String {
        let series = variants.enumerated().compactMap { i, v -> (String, String, SeedBand, SeedBand)? in
            let runs = v.finished
            guard !runs.isEmpty else { return nil }
            let val = SeedBand(runs.map { ($0.evalSteps, $0.eval["loss"] ?? []) })
            let train = SeedBand(runs.map { ($0.trainSteps, $0.trainLoss) })
            return (v.name, plotPalette[i % plotPalette.count], val, train)
        }
        var svg = SVGDocument(width: 820, height: 460)
        let allSteps = series.flatMap { $0.2.steps + $0.3.steps }
        let allLoss = series.flatMap { $0.2.min + $0.2.max + $0.3.mean }
        let frame = PlotFrame(x: PlotAxis.linear(allSteps, pixels: (75, 620)), y: PlotAxis.linear(allLoss, pixels: (400, 45)))
        frame.draw(into: &svg, title: "Loss per step (mean over seeds; band: min–max of validation loss)",
                   xLabel: "optimiser step", yLabel: "loss (nats per token)")
        for (name, colour, val, train) in series {
            let band = zip(val.steps, val.max).map { (frame.x.map($0.0), frame.y.map($0.1)) }
                + zip(val.steps, val.min).reversed().map { (frame.x.map($0.0), frame.y.map($0.1)) }
            if val.steps.count > 1 {
                svg.add("polygon", ["class": "val-band", "data-variant": name, "points": SVGDocument.points(band),
                                    "fill": colour, "fill-opacity": "0.18", "stroke": "none"])
            }
            svg.add("polyline", ["class": "train-mean", "data-variant": name,
                                 "points": SVGDocument.points(zip(train.steps, train.mean).map { (frame.x.map($0.0), frame.y.map($0.1)) }),
                                 "fill": "none", "stroke": colour, "stroke-width": "1.00", "stroke-opacity": "0.55"])
            let valPoints = zip(val.steps, val.mean).map { (frame.x.map($0.0), frame.y.map($0.1)) }
            svg.add("polyline", ["class": "val-mean", "data-variant": name, "points": SVGDocument.points(valPoints),
                                 "fill": "none", "stroke": colour, "stroke-width": "2.50"])
            for p in valPoints { svg.add("circle", ["cx": n(p.0), "cy": n(p.1), "r": "3.00", "fill": colour]) }
        }
        drawLegend(into: &svg, entries: series.map { ($0.0, $0.1) }, x: 640, y: 60)
        return svg.render()
    }

    /// The legend of the curve plots: one line per entry (name, colour), then the three line
    /// styles they share: a thick line (`thick`), a thin one (`thin`) and a shaded band (`band`).
    static func drawLegend(into svg: inout SVGDocument, entries: [(String, String)], x: Double, y: Double,
                           thick: String = "validation (mean)", thin: String = "training (mean)",
                           band: String = "validation min–max") {
        var row = y
        for (name, colour) in entries {
            svg.line(x, row - 4, x + 26, row - 4, stroke: colour, width: 2.5)
            svg.text(name, x: x + 34, y: row, size: 12)
            row += 20
        }
        row += 10
        svg.line(x, row - 4, x + 26, row - 4, stroke: "#555", width: 2.5)
        svg.text(thick, x: x + 34, y: row, size: 11)
        row += 18
        svg.line(x, row - 4, x + 26, row - 4, stroke: "#555", width: 1)
        svg.text(thin, x: x + 34, y: row, size: 11)
        row += 18
        svg.add("rect", ["x": n(x), "y": n(row - 10), "width": "26.00", "height": "10.00", "fill": "#555", "fill-opacity": "0.18"])
        svg.text(band, x: x + 34, y: row, size: 11)
    }
}
