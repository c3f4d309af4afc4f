import Datasets
import Tensor

/// The two disjoint halves a search uses: one trains the weights, the other the architecture
/// (docs/algorithms.md#bi-level-optimisation). The test split is never touched during search.
public struct SearchData: Sendable {
    public let weights: Dataset
    public let architecture: Dataset
    public let displayName: String

    public init(weights: Dataset, architecture: Dataset, displayName: String) {
        self.weights = weights
        self.architecture = architecture
        self.displayName = displayName
    }

    /// Loads the configured data set and draws `trainSize` + `trainSize` images from its training split.
    public static func load(_ configuration: SearchConfiguration) throws -> SearchData {
        guard let kind = configuration.datasetKind else { throw SearchConfigurationError("unknown data set '\(configuration.dataset)'") }
        let splits = try DatasetLoader.load(kind, dataDirectory: configuration.dataDirectory,
                                            trainLimit: 2 * configuration.trainSize, seed: configuration.seed)
        var rng = SeededRNG(seed: configuration.seed &+ 0x5EA7C4)
        let (weights, architecture) = try splits.train.split(first: configuration.trainSize, second: configuration.trainSize, rng: &rng)
        return SearchData(weights: weights, architecture: architecture, displayName: kind.displayName)
    }
}
