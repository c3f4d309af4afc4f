import Foundation

/// Where frames go and keys come from: the ncurses terminal, or memory in tests and benchmarks.
public protocol Screen: AnyObject {
    /// The current size in cells.
    var size: GridSize { get }
    /// What colours the screen can show (decides how theme colours degrade).
    var colorDepth: ColorDepth { get }
    /// A file descriptor that becomes readable when keys are waiting (polled by the app loop).
    var inputDescriptor: Int32 { get }
    /// Shows a frame.
    func present(_ grid: CellGrid)
    /// The keys waiting now, without blocking.
    func readKeys() -> [Key]
    /// Re-reads the size after the terminal was resized.
    func updateSize()
}

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

/// A non-blocking pipe used to wake `poll`: the engine thread and signal handlers write single bytes.
final class WakePipe {
    let readDescriptor: Int32
    let writeDescriptor: Int32

    init() throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw DashboardError.system("pipe", errno) }
        (readDescriptor, writeDescriptor) = (descriptors[0], descriptors[1])
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// Writes one byte (async-signal-safe; a full pipe already means "wake up", so a failed write is fine).
    func wake(_ byte: UInt8) {
        var value = byte
        _ = write(writeDescriptor, &value, 1)
    }

    /// Every byte written so far.
    func drain() -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = read(readDescriptor, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }
}

/// Failures of the dashboard itself, as one line each.
public enum DashboardError: Error, CustomStringConvertible, Equatable {
    case notATerminal
    case terminalSetupFailed(String)
    case system(String, Int32)

    public var description: String {
        switch self {
        case .notATerminal: return "the dashboard needs a terminal on stdin and stdout (bnas search --headless runs without one)"
        case .terminalSetupFailed(let reason): return "cannot set up the terminal: \(reason)"
        case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
        }
    }
}
