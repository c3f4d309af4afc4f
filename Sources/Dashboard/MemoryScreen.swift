import Foundation

/// A screen in memory: frames are kept, keys are the bytes written to `keyPipe` (tab, return and
/// escape as themselves). Used by tests and `bnas bench dashboard`.
public final class MemoryScreen: Screen {
    public var size: GridSize
    public let colorDepth: ColorDepth = .trueColor
    /// The last frame presented.
    public private(set) var frame: CellGrid?
    /// Called with each frame as it is presented (tests script keys and resizes from here).
    public var onPresent: ((CellGrid) -> Void)?
    private let keys: WakePipe

    public init(size: GridSize) throws {
        self.size = size
        keys = try WakePipe()
    }

    public var inputDescriptor: Int32 { keys.readDescriptor }

    /// Queues keys as if typed.
    public func type(_ text: String) { for byte in text.utf8 { keys.wake(byte) } }

    public func present(_ grid: CellGrid) {
        frame = grid
        onPresent?(grid)
    }

    public func readKeys() -> [Key] {
        keys.drain().map { byte in
            switch byte {
            case 0x09: return .tab
            case 0x0A, 0x0D: return .enter
            case 0x1B: return .escape
            default: return .character(Character(Unicode.Scalar(byte)))
            }
        }
    }

    public func updateSize() {}
}
