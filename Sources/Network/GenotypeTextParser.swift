/// A recursive-descent reader for the DARTS `Genotype(...)` expression (see `Genotype.init(dartsText:name:)`):
///
///     call    = "Genotype" "(" [argument {"," argument} [","]] ")"
///     argument = ("normal" | "reduce") "=" "[" [pair {"," pair} [","]] "]"
///              | ("normal_concat" | "reduce_concat") "=" ("[" [int {"," int} [","]] "]" | "range" "(" int "," int [","] ")")
///     pair    = "(" string "," int [","] ")"
///
/// Whitespace, line breaks, `\` continuations and `#` comments may appear between any two tokens.
struct GenotypeTextParser {
    private static let keyword = Array("Genotype")
    private static let maximumRangeLength = 64

    private let text: [Character]
    private var position = 0

    init(_ text: String) {
        self.text = Array(text)
    }

    /// Every `Genotype(` outside a comment, with the name it is assigned to (`NAME = Genotype(`), if any.
    func genotypeCalls() -> [(name: String?, start: Int)] {
        var calls: [(name: String?, start: Int)] = []
        var lineStart = 0
        var index = 0
        while index + Self.keyword.count <= text.count {
            if text[index].isNewline { lineStart = index + 1 }
            if text[index..<(index + Self.keyword.count)].elementsEqual(Self.keyword),
               index == 0 || !isIdentifierCharacter(text[index - 1]) {
                var after = index + Self.keyword.count
                while after < text.count, text[after] == " " || text[after] == "\t" { after += 1 }
                let prefix = text[lineStart..<index]
                if after < text.count, text[after] == "(", !prefix.contains("#") {
                    calls.append((assignedName(prefix), index))
                }
            }
            index += 1
        }
        return calls
    }

    /// Parses the call whose `Genotype` keyword starts at `start` (an index from `genotypeCalls()`).
    mutating func parseCall(at start: Int) throws -> Genotype {
        position = start + Self.keyword.count
        try expect("(", "'(' after Genotype")
        var cells: [String: [GenotypeEdge]] = [:]
        var concats: [String: [Int]] = [:]
        skipTrivia()
        while peek() != ")" {
            let keyStart = position
            let key = identifier()
            guard !key.isEmpty else {
                throw syntaxError("a keyword argument (normal=, normal_concat=, reduce= or reduce_concat=) or ')'")
            }
            guard cells[key] == nil, concats[key] == nil else {
                position = keyStart
                throw syntaxError("each of normal, normal_concat, reduce, reduce_concat once", found: "a second '\(key)'")
            }
            try expect("=", "'=' after '\(key)'")
            switch key {
            case "normal", "reduce":
                cells[key] = try list(open: "[", close: "]", of: "(operation, input) pairs") { try $0.pair() }
            case "normal_concat", "reduce_concat":
                concats[key] = try concat()
            default:
                position = keyStart
                throw syntaxError("normal, normal_concat, reduce or reduce_concat")
            }
            guard try separator(close: ")") else { break }
        }
        skipTrivia()
        let closing = position
        try expect(")", "',' or ')' closing Genotype(")
        position = closing  // errors about missing arguments point at the ')'
        guard let normal = cells["normal"] else { throw syntaxError("a 'normal=' argument") }
        guard let normalConcat = concats["normal_concat"] else { throw syntaxError("a 'normal_concat=' argument") }
        guard let reduce = cells["reduce"] else { throw syntaxError("a 'reduce=' argument") }
        guard let reduceConcat = concats["reduce_concat"] else { throw syntaxError("a 'reduce_concat=' argument") }
        return Genotype(normal: normal, normalConcat: normalConcat, reduce: reduce, reduceConcat: reduceConcat)
    }

    // MARK: - Grammar

    /// `('sep_conv_3x3', 1)`
    private mutating func pair() throws -> GenotypeEdge {
        try expect("(", "'(' starting an (operation, input) pair such as ('sep_conv_3x3', 0)")
        skipTrivia()
        let nameStart = position
        let name = try string()
        guard let operation = OperationKind(rawValue: name) else {
            throw GenotypeError.unknownOperation(name: name, location: location(of: nameStart))
        }
        try expect(",", "',' after the operation name")
        let input = try integer()
        skipTrivia()
        if peek() == "," { position += 1 }
        try expect(")", "')' closing the (operation, input) pair")
        return GenotypeEdge(operation: operation, input: input)
    }

    /// `[2, 3, 4, 5]` or `range(2, 6)`
    private mutating func concat() throws -> [Int] {
        skipTrivia()
        if peek() == "[" { return try list(open: "[", close: "]", of: "node indices") { try $0.integer() } }
        let rangeStart = position
        guard identifier() == "range" else {
            position = rangeStart
            throw syntaxError("a list of node indices such as [2, 3, 4, 5] or range(2, 6)")
        }
        try expect("(", "'(' after range")
        let lower = try integer()
        try expect(",", "',' between the bounds of range(start, stop)")
        let upper = try integer()
        skipTrivia()
        if peek() == "," { position += 1 }
        try expect(")", "')' closing range(start, stop)")
        let (length, overflow) = upper.subtractingReportingOverflow(lower)
        guard !overflow, length <= Self.maximumRangeLength else {
            position = rangeStart
            throw syntaxError("a range of at most \(Self.maximumRangeLength) node indices")
        }
        return lower < upper ? Array(lower..<upper) : []
    }

    /// `open element, element, ... [,] close`
    private mutating func list<Element>(
        open: Character, close: Character, of what: String, element: (inout Self) throws -> Element
    ) throws -> [Element] {
        try expect(open, "'\(open)' starting a list of \(what)")
        var elements: [Element] = []
        skipTrivia()
        while peek() != close {
            elements.append(try element(&self))
            guard try separator(close: close) else { break }
        }
        try expect(close, "',' or '\(close)' in the list of \(what)")
        return elements
    }

    /// After a list element: consumes a ',' and returns true when another element follows; false at `close`.
    private mutating func separator(close: Character) throws -> Bool {
        skipTrivia()
        guard peek() == "," else { return false }
        position += 1
        skipTrivia()
        return peek() != close
    }

    // MARK: - Tokens

    private mutating func string() throws -> String {
        guard let quote = peek(), quote == "'" || quote == "\"" else {
            throw syntaxError("a quoted operation name such as 'sep_conv_3x3'")
        }
        let start = position
        position += 1
        var value = ""
        while let character = peek(), character != quote, !character.isNewline {
            value.append(character)
            position += 1
        }
        guard peek() == quote else {
            position = start
            throw syntaxError("a closing \(quote) for this string", found: "an unterminated string")
        }
        position += 1
        return value
    }

    private mutating func integer() throws -> Int {
        skipTrivia()
        let start = position
        var digits = ""
        if peek() == "-" {
            digits.append("-")
            position += 1
        }
        while let character = peek(), character.isASCII, character.isNumber {
            digits.append(character)
            position += 1
        }
        guard let value = Int(digits) else {
            position = start
            throw syntaxError("an integer")
        }
        return value
    }

    /// The identifier at the current position (after trivia), or "" when there is none.
    private mutating func identifier() -> String {
        skipTrivia()
        var name = ""
        while let character = peek(), isIdentifierCharacter(character), !(name.isEmpty && character.isNumber) {
            name.append(character)
            position += 1
        }
        return name
    }

    private mutating func expect(_ character: Character, _ expected: String) throws {
        skipTrivia()
        guard peek() == character else { throw syntaxError(expected) }
        position += 1
    }

    /// Skips whitespace, line breaks, `\` line continuations and `#` comments.
    private mutating func skipTrivia() {
        while let character = peek() {
            if character.isWhitespace || character == "\\" {
                position += 1
            } else if character == "#" {
                while let next = peek(), !next.isNewline { position += 1 }
            } else {
                return
            }
        }
    }

    private func peek() -> Character? {
        position < text.count ? text[position] : nil
    }

    // MARK: - Errors

    private func syntaxError(_ expected: String, found: String? = nil) -> GenotypeError {
        let (line, column) = lineAndColumn(of: position)
        return .syntax(line: line, column: column, expected: expected, found: found ?? describeCurrentToken())
    }

    private func describeCurrentToken() -> String {
        guard let first = peek() else { return "the end of the text" }
        guard isIdentifierCharacter(first) else { return "'\(first)'" }
        let word = text[position...].prefix(while: isIdentifierCharacter)
        return "'\(String(word.prefix(24)))'"
    }

    private func location(of index: Int) -> String {
        let (line, column) = lineAndColumn(of: index)
        return "line \(line), column \(column)"
    }

    private func lineAndColumn(of index: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text[..<min(index, text.count)] {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}

private func isIdentifierCharacter(_ character: Character) -> Bool {
    character == "_" || character.isLetter || character.isNumber
}

/// The name in `NAME = ` at the end of `prefix` (the text before `Genotype` on its line), or nil.
private func assignedName(_ prefix: ArraySlice<Character>) -> String? {
    var rest = prefix
    while let last = rest.last, last.isWhitespace { rest.removeLast() }
    guard rest.last == "=" else { return nil }
    rest.removeLast()
    guard let beforeEquals = rest.last, !"=!<>+-*/%&|^:".contains(beforeEquals) else { return nil }
    while let last = rest.last, last.isWhitespace { rest.removeLast() }
    let name = String(rest.reversed().prefix(while: isIdentifierCharacter).reversed())
    return name.isEmpty || name.first?.isNumber == true ? nil : name
}
