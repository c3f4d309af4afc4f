import Foundation
import Testing
import Binary
import Tensor

/// The ReAct flavour's options of `BinarizationConfig`: files without them, labels, and combinations
/// that cannot be built.
@Suite struct BinarizationConfigTests {
    /// A configuration written before the options existed decodes with every one off and encodes to
    /// the same keys; a configuration with them round-trips and names only those that are on.
    @Test func filesWithoutTheOptionsDecodeWithThemOff() throws {
        let old = try JSONDecoder().decode(BinarizationConfig.self, from: Data(#"{"activations":"binary","weights":"xnor"}"#.utf8))
        #expect(old == BinarizationConfig(weights: .xnor, activations: .binary))
        #expect(!old.thresholds && !old.shortcuts && old.signGradient == .ste)
        let flavour = BinarizationConfig(weights: .pcnn, activations: .binary, thresholds: true, shortcuts: false, signGradient: .approx)
        #expect(try JSONDecoder().decode(BinarizationConfig.self, from: JSONEncoder().encode(flavour)) == flavour)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(old), as: UTF8.self) == #"{"activations":"binary","weights":"xnor"}"#, "written as before")
        #expect(String(decoding: try encoder.encode(flavour), as: UTF8.self)
                == #"{"activations":"binary","signGradient":"approx","thresholds":true,"weights":"pcnn"}"#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(BinarizationConfig.self, from: Data(#"{"activations":"binary","weights":"xnor","signGradient":"tanh"}"#.utf8))
        }
    }

    @Test func labelsNameThePresetOrTheOptionsInUse() {
        #expect(BinarizationConfig.float.label == "none")
        #expect(BinarizationConfig(weights: .xnor, activations: .binary).label == "xnor/binary")
        #expect(BinarizationConfig.react.label == "react")
        #expect(BinarizationConfig(weights: .xnor, activations: .binary, thresholds: true).label == "xnor/binary+thresholds")
        #expect(BinarizationConfig(weights: .pcnn, activations: .real, shortcuts: true).label == "pcnn/real+shortcuts")
        var ablation = BinarizationConfig.react
        ablation.signGradient = .ste
        #expect(ablation.label == "xnor/binary+thresholds+shortcuts")
        #expect(BinarizationConfig(weights: .xnor, activations: .binary, signGradient: .approx).label == "xnor/binary+approxsign")
    }

    @Test func optionsThatNeedSignActivationsOrBinaryWeightsAreRefused() {
        #expect(BinarizationConfig.react.conflict == nil)
        #expect(BinarizationConfig(weights: .xnor, activations: .real, shortcuts: true).conflict == nil)
        #expect(BinarizationConfig(weights: .xnor, activations: .real, thresholds: true).conflict?.contains("--activations binary") == true)
        #expect(BinarizationConfig(weights: .pcnn, activations: .real, signGradient: .approx).conflict?.contains("--activations binary") == true)
        #expect(BinarizationConfig(weights: .none, activations: .binary, shortcuts: true).conflict?.contains("--binarize") == true)
        #expect(BinarizationConfig(weights: .xnor, activations: .real, thresholds: false).usesThresholds == false)
        #expect(BinarizationConfig.react.usesThresholds && BinarizationConfig.react.usesShortcuts)
    }
}
