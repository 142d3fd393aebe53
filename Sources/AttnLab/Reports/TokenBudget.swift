import Foundation

/// The training token budget of a set of runs, for report headers: steps × tokens per step
/// (batch_size × seq_len × grad_accum) = tokens, and tokens per parameter.
public enum TokenBudget {
    /// One line per distinct (steps, tokens per step), e.g. "300 steps × 2,048 tokens per step =
    /// 614,400 tokens (0.75 to 0.81 tokens per parameter)"; empty without runs.
    public static func lines(_ runs: [RunRecord]) -> [String] {
        let budgets = Dictionary(grouping: runs) { [$0.config.train.steps, $0.tokensPerStep] }
        return budgets.keys.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }.map { key in
            let tokens = key[0] * key[1]
            let perParameter = Set(budgets[key]!.map(\.parameters)).sorted().map { fixed(Double(tokens) / Double(max($0, 1)), 2) }
            let ratio = perParameter.first == perParameter.last ? perParameter[0] : "\(perParameter.last!) to \(perParameter.first!)"
            return "\(grouped(key[0])) steps × \(grouped(key[1])) tokens per step = \(grouped(tokens)) tokens "
                + "(\(ratio) tokens per parameter)"
        }
    }
}
