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
