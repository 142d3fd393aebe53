import Foundation

/// A minimal SVG writer: elements are appended in order and numbers are printed with two
/// decimals, so the same data always gives the same bytes.
struct SVGDocument {
    let width: Double
    let height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) { self.width = width; self.height = height }

    /// Appends `<tag attr="value" ...>` with optional text content; attributes keep their order.
    mutating func add(_ tag: String, _ attributes: KeyValuePairs<String, String>, text: String? = nil) {
        let attrs = attributes.map { " \($0.key)=\"\(Self.escape($0.value))\"" }.joined()
        if let text { elements.append("<\(tag)\(attrs)>\(Self.escape(text))</\(tag)>") } else { elements.append("<\(tag)\(attrs)/>") }
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1) {
        add("line", ["x1": n(x1), "y1": n(y1), "x2": n(x2), "y2": n(y2), "stroke": stroke, "stroke-width": n(width)])
    }

    mutating func text(_ s: String, x: Double, y: Double, anchor: String = "start", size: Double = 12,
                       color: String = "#222", rotate: Bool = false) {
        if rotate {
            add("text", ["x": n(x), "y": n(y), "text-anchor": anchor, "font-size": n(size), "fill": color,
                         "transform": "rotate(-90 \(n(x)) \(n(y)))"], text: s)
        } else {
            add("text", ["x": n(x), "y": n(y), "text-anchor": anchor, "font-size": n(size), "fill": color], text: s)
        }
    }

    /// "x1,y1 x2,y2 ..." for polyline and polygon.
    static func points(_ p: [(Double, Double)]) -> String { p.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ") }

    func render() -> String {
        let header = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">"
        let background = "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>"
        return ([header, background] + elements.map { "  " + $0 } + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// Coordinates rounded to hundredths of a pixel.
func n(_ x: Double) -> String { String(format: "%.2f", x) }

/// Distinct colours (Tableau 10), assigned to variants in report order.
let plotPalette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
