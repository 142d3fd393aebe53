import Foundation
import AttnLab
var c = ModelConfig()
c.dModel = 256; c.nLayers = 4; c.mlpHidden = 683; c.maxSeqLen = 256
c.attention.nHeads = 8
for kind in AttentionKind.allCases {
    c.attention.kind = kind
    let r = measureTrainingThroughput(config: c, batch: 16, seqLen: 256, steps: 5)
    print(kind, Int(r.tokensPerSecond), r.stepSeconds.map { String(format: "%.3f", $0) }, r.parameterCount)
}
