import Foundation

// The evaluation loop of training runs and of `attnlab eval`: mean next-token cross-entropy over
// fixed batches, without recording a graph.

/// Mean cross-entropy per labelled token over `batches` (each batch's mean weighted by its
/// tokens), in nats.
public func meanLoss(_ model: DecoderLM<Float>, batches: [TokenBatch]) -> Double {
    meanLossAndRecall(model, batches: batches, recall: false).loss
}

/// The mean loss and the exact-match accuracy of the argmax prediction at labelled positions
/// (MQAR's recall; 0 when nothing is labelled).
public func meanLossAndRecall(_ model: DecoderLM<Float>, batches: [TokenBatch]) -> (loss: Double, accuracy: Double) {
    meanLossAndRecall(model, batches: batches, recall: true)
}

private func meanLossAndRecall(_ model: DecoderLM<Float>, batches: [TokenBatch], recall: Bool) -> (loss: Double, accuracy: Double) {
    var lossSum = 0.0, tokens = 0, correct = 0, labelled = 0
    let g = Graph<Float>(recording: false)
    let v = model.config.vocabSize
    for batch in batches {
        let logits = model.logits(g, ids: batch.inputs, batch: batch.batchSize)
        lossSum += Double(g.crossEntropy(logits, targets: batch.targets)[flat: 0]) * Double(batch.inputs.count)
        tokens += batch.inputs.count
        if recall {
            for (row, target) in batch.targets.enumerated() where target != ignoreIndex {
                let p = logits.ptr + row * v
                var best = 0
                for j in 1..<v where p[j] > p[best] { best = j }
                labelled += 1
                if best == Int(target) { correct += 1 }
            }
        }
        g.reset()
    }
    return (lossSum / Double(max(tokens, 1)), labelled > 0 ? Double(correct) / Double(labelled) : 0)
}
