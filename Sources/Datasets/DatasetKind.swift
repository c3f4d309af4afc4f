/// The data sets bnas can search and train on; the raw values are the command line's `--dataset` names.
public enum DatasetKind: String, CaseIterable, Sendable {
    case fashionMNIST = "fashion-mnist"
    case mnist
    case cifar10
    case synthetic

    /// The name people write: "Fashion-MNIST", "MNIST", "CIFAR-10", "synthetic".
    public var displayName: String {
        switch self {
        case .fashionMNIST: return "Fashion-MNIST"
        case .mnist: return "MNIST"
        case .cifar10: return "CIFAR-10"
        case .synthetic: return "synthetic"
        }
    }

    /// The names of the ten classes, in label order.
    public var classNames: [String] {
        switch self {
        case .fashionMNIST:
            return [
                "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
            ]
        case .mnist:
            return (0...9).map(String.init)
        case .cifar10:
            return ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        case .synthetic:
            return SyntheticDataset.classNames
        }
    }
}
