import CNCurses
import Foundation

/// The terminal through ncursesw: UTF-8 locale, wide characters, the terminal's default colours, colour
/// pairs allocated on demand (extended pairs where the terminal has them), keys read without blocking.
final class NCursesScreen: Screen {
    private(set) var size: GridSize
    let colorDepth: ColorDepth
    private var screen: OpaquePointer?
    private var shown: CellGrid?
    private var pairs: [PairKey: Int32] = [:]

    private struct PairKey: Hashable {
        var foreground: Int32
        var background: Int32
    }

    /// Takes over the terminal. `noColor` (the `NO_COLOR` convention) keeps it monochrome.
    init(noColor: Bool) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw DashboardError.notATerminal }
        bnas_use_user_locale()
        guard let screen = newterm(nil, stdout, stdin) else {
            throw DashboardError.terminalSetupFailed("ncurses does not know TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "")")
        }
        self.screen = screen
        _ = cbreak()
        _ = noecho()
        _ = nonl()
        _ = keypad(stdscr, true)
        _ = nodelay(stdscr, true)
        _ = curs_set(0)
        _ = set_escdelay(25)
        var depth = ColorDepth.monochrome
        if !noColor, has_colors() {
            _ = start_color()
            _ = use_default_colors()
            depth = ColorDepth.forTerminal(colors: Int(bnas_colors()), noColor: false)
        }
        colorDepth = depth
        size = GridSize(width: Int(bnas_columns()), height: Int(bnas_lines()))
    }

    deinit { close() }

    /// Gives the terminal back as it was (idempotent).
    func close() {
        guard let screen else { return }
        _ = endwin()
        delscreen(screen)
        self.screen = nil
    }

    var inputDescriptor: Int32 { STDIN_FILENO }

    /// After SIGWINCH: tells ncurses the new size (it then queues a KEY_RESIZE, which `readKeys` takes).
    func updateSize() {
        var window = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0,
           Int(window.ws_row) != Int(bnas_lines()) || Int(window.ws_col) != Int(bnas_columns()) {
            _ = resizeterm(Int32(window.ws_row), Int32(window.ws_col))
        }
        takeNewSize()
    }

    private func takeNewSize() {
        size = GridSize(width: Int(bnas_columns()), height: Int(bnas_lines()))
        shown = nil
        _ = clearok(stdscr, true)
    }

    func present(_ grid: CellGrid) {
        guard grid.size == size else { return }
        let previous = shown
        for y in 0..<grid.size.height {
            var x = 0
            while x < grid.size.width {
                let cell = grid[x, y]
                if let previous, previous[x, y] == cell { x += 1; continue }
                // Write the run of changed cells that share this style in one call.
                var text = String(cell.character)
                var end = x + 1
                while end < grid.size.width, grid[end, y].style == cell.style, previous.map({ $0[end, y] != grid[end, y] }) ?? true {
                    text.append(grid[end, y].character)
                    end += 1
                }
                apply(cell.style)
                _ = mvaddstr(Int32(y), Int32(x), text)
                x = end
            }
        }
        _ = refresh()
        shown = grid
    }

    private func apply(_ style: Style) {
        var attributes: attr_t = 0
        if style.bold { attributes |= bnas_attr_bold() }
        if style.dim { attributes |= bnas_attr_dim() }
        if style.reverse { attributes |= bnas_attr_reverse() }
        if style.underline { attributes |= bnas_attr_underline() }
        _ = bnas_set_attributes(attributes, pair(for: style))
    }

    private func pair(for style: Style) -> Int32 {
        let key = PairKey(foreground: style.foreground.flatMap(colorDepth.colorNumber).map(Int32.init) ?? -1,
                          background: style.background.flatMap(colorDepth.colorNumber).map(Int32.init) ?? -1)
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let pair = pairs[key] { return pair }
        let pair = alloc_pair(key.foreground, key.background)
        pairs[key] = max(0, pair)
        return max(0, pair)
    }

    func readKeys() -> [Key] {
        var keys: [Key] = []
        var character: wint_t = 0
        while true {
            let status = get_wch(&character)
            if status == ERR { break }
            if status == KEY_CODE_YES {
                switch Int32(character) {
                case KEY_UP: keys.append(.up)
                case KEY_DOWN: keys.append(.down)
                case KEY_LEFT: keys.append(.left)
                case KEY_RIGHT: keys.append(.right)
                case KEY_ENTER: keys.append(.enter)
                case KEY_RESIZE: takeNewSize()
                default: break
                }
                continue
            }
            switch character {
            case 0x09: keys.append(.tab)
            case 0x0A, 0x0D: keys.append(.enter)
            case 0x1B: keys.append(.escape)
            default:
                if let scalar = Unicode.Scalar(UInt32(character)) { keys.append(.character(Character(scalar))) }
            }
        }
        return keys
    }
}
