/// The eight candidate operations of the DARTS search space (docs/algorithms.md#search-space), in the DARTS order.
///
/// The raw values are the DARTS names (`PRIMITIVES` in DARTS's `genotypes.py`), so genotypes written by bnas can
/// be read by the DARTS/PC-DARTS PyTorch code and the other way round. The position of a case in `allCases`
/// (its `index`) is the operation's column in every alpha table: events, checkpoints and the dashboard.
public enum OperationKind: String, CaseIterable, Codable, Sendable {
    /// The zero operation: the edge contributes nothing. Only the supernet uses it; final cells cannot.
    case none
    /// 3x3 max pooling.
    case maxPool3x3 = "max_pool_3x3"
    /// 3x3 average pooling (padding not counted).
    case avgPool3x3 = "avg_pool_3x3"
    /// Identity at stride 1, FactorizedReduce at stride 2.
    case skipConnect = "skip_connect"
    /// Two stacked (act -> depthwise 3x3 -> pointwise 1x1 -> BN) blocks.
    case sepConv3x3 = "sep_conv_3x3"
    /// Two stacked (act -> depthwise 5x5 -> pointwise 1x1 -> BN) blocks.
    case sepConv5x5 = "sep_conv_5x5"
    /// act -> depthwise 3x3 with dilation 2 -> pointwise 1x1 -> BN.
    case dilConv3x3 = "dil_conv_3x3"
    /// act -> depthwise 5x5 with dilation 2 -> pointwise 1x1 -> BN.
    case dilConv5x5 = "dil_conv_5x5"

    /// The operation's column in alpha tables: its position in `allCases` (0 for `none` ... 7 for `dil_conv_5x5`).
    public var index: Int {
        switch self {
        case .none: return 0
        case .maxPool3x3: return 1
        case .avgPool3x3: return 2
        case .skipConnect: return 3
        case .sepConv3x3: return 4
        case .sepConv5x5: return 5
        case .dilConv3x3: return 6
        case .dilConv5x5: return 7
        }
    }

    /// A four-character name for narrow table columns: "none", "max3", "avg3", "skip", "sep3", "sep5", "dil3", "dil5".
    public var shortName: String {
        switch self {
        case .none: return "none"
        case .maxPool3x3: return "max3"
        case .avgPool3x3: return "avg3"
        case .skipConnect: return "skip"
        case .sepConv3x3: return "sep3"
        case .sepConv5x5: return "sep5"
        case .dilConv3x3: return "dil3"
        case .dilConv5x5: return "dil5"
        }
    }

    /// Whether the operation has learned weights (the separable and dilated convolutions, which bnas binarizes).
    public var isParameterized: Bool {
        switch self {
        case .sepConv3x3, .sepConv5x5, .dilConv3x3, .dilConv5x5: return true
        case .none, .maxPool3x3, .avgPool3x3, .skipConnect: return false
        }
    }
}
