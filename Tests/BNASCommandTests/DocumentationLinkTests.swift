import Foundation
import Testing

/// The documentation stands on its own: every relative link of the repository's Markdown files leads to a file
/// (and, with a fragment, to a heading) that exists; every docs anchor cited in the code, the README and docs/
/// names a real heading; and nothing cites the design documents that were never part of the repository.
struct DocumentationLinkTests {
    /// The repository root, from this file's place in it (Tests/BNASCommandTests/).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The Markdown files whose links must resolve.
    static func markdownFiles() throws -> [URL] {
        let docs = try FileManager.default.contentsOfDirectory(at: root.appendingPathComponent("docs"), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "md" }.sorted { $0.path < $1.path }
        #expect(!docs.isEmpty, "no docs/*.md under \(root.path)")
        return ["README.md", "CONTRIBUTING.md", "runs/README.md"].map { root.appendingPathComponent($0) } + docs
    }

    /// Every file of the folders and files that may cite the docs, read as text (others are skipped).
    static func citingFiles() -> [(path: String, text: String)] {
        var files: [(String, String)] = []
        for name in ["README.md", "CONTRIBUTING.md", "runs/README.md", "Makefile"] {
            if let text = try? String(contentsOf: root.appendingPathComponent(name), encoding: .utf8) { files.append((name, text)) }
        }
        for folder in ["Sources", "Tests", "scripts", "docs"] {
            guard let walker = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker {
                guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
                files.append((String(url.path.dropFirst(root.path.count + 1)), text))
            }
        }
        return files
    }

    @Test func relativeLinksOfTheMarkdownFilesResolve() throws {
        var broken: [String] = []
        for file in try Self.markdownFiles() {
            let text = try String(contentsOf: file, encoding: .utf8)
            let name = String(file.path.dropFirst(Self.root.path.count + 1))
            for link in try Markdown.links(in: text) where !link.target.contains(":") {
                let parts = link.target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let path = String(parts[0])
                let target = path.isEmpty ? file : file.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
                guard FileManager.default.fileExists(atPath: target.path) else {
                    broken.append("\(name):\(link.line): \(link.target): no such file")
                    continue
                }
                guard parts.count == 2, target.pathExtension == "md" else { continue }
                let anchors = try Markdown.anchors(in: String(contentsOf: target, encoding: .utf8))
                if !anchors.contains(String(parts[1])) {
                    broken.append("\(name):\(link.line): \(link.target): no heading with that anchor")
                }
            }
        }
        #expect(broken.isEmpty, "broken links:\n\(broken.joined(separator: "\n"))")
    }

    @Test func citedDocsAnchorsNameRealHeadings() throws {
        let citation = try Regex("docs/([A-Za-z0-9_-]+)\\.md#([A-Za-z0-9_-]+)")
        var anchors: [String: Set<String>?] = [:]
        var broken: [String] = []
        var cited = 0
        for (path, text) in Self.citingFiles() {
            for match in text.matches(of: citation) {
                cited += 1
                let (document, anchor) = (String(match.output[1].substring ?? ""), String(match.output[2].substring ?? ""))
                if anchors[document] == nil {
                    let url = Self.root.appendingPathComponent("docs/\(document).md")
                    anchors[document] = try (try? String(contentsOf: url, encoding: .utf8)).map(Markdown.anchors(in:))
                }
                guard let known = anchors[document] ?? nil else {
                    broken.append("\(path): docs/\(document).md does not exist")
                    continue
                }
                if !known.contains(anchor) { broken.append("\(path): docs/\(document).md has no heading #\(anchor)") }
            }
        }
        #expect(cited > 50, "only \(cited) docs citations found under \(Self.root.path): is this the repository?")
        #expect(broken.isEmpty, "citations of missing docs or headings:\n\(broken.joined(separator: "\n"))")
    }

    @Test func nothingCitesDocumentsOutsideTheRepository() {
        // Spelled in pieces so that this file does not name them itself.
        let outside = ["REFERENCE", "DESIGN"].map { $0 + ".md" }
        let offenders = Self.citingFiles().filter { file in outside.contains { file.text.contains($0) } }.map(\.path)
        #expect(offenders.isEmpty, "files citing documents that are not in the repository: \(offenders)")
    }

    @Test func anchorsFollowGitHubsSlugs() throws {
        let text = """
            # Title
            ## Bi-level optimisation
            ## ReAct flavour
            ### `bnas experiment` (full size)
            ### The 1x1 bit depth
            ## Search
            ## Search
            ## snake_case & more, with [a link](x.md)!
            ```
            # not a heading
            ```
            """
        #expect(try Markdown.anchors(in: text) == ["title", "bi-level-optimisation", "react-flavour", "bnas-experiment-full-size",
                                                "the-1x1-bit-depth", "search", "search-1", "snake_case--more-with-a-link"])
    }

    @Test func linksAreFoundOutsideCodeOnly() throws {
        let text = """
            See [design](docs/design.md#modules) and [the site](https://example.com).
            `[not](a-link.md)`
            ```
            [also not](b.md)
            ```
            [ref]: docs/performance.md#targets
            """
        let links = try Markdown.links(in: text)
        #expect(links.map(\.target) == ["docs/design.md#modules", "https://example.com", "docs/performance.md#targets"])
        #expect(links.map(\.line) == [1, 1, 6])
    }
}

/// The bits of Markdown the link checks need: headings and their anchors, and links outside code.
enum Markdown {
    /// The lines of `text` outside fenced code blocks, with inline code spans blanked, numbered from 1.
    static func proseLines(_ text: String) -> [(number: Int, line: String)] {
        var inFence = false
        var lines: [(Int, String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inFence.toggle()
                continue
            }
            if !inFence { lines.append((index + 1, String(line))) }
        }
        return lines
    }

    /// GitHub's anchors of every heading: lowercased, links reduced to their text, every character but
    /// letters, digits, spaces, '-' and '_' dropped, spaces turned into '-'; a repeated anchor gets -1, -2, ...
    static func anchors(in text: String) throws -> Set<String> {
        let link = try linkPattern()
        var counts: [String: Int] = [:]
        var anchors: Set<String> = []
        for (_, line) in proseLines(text) {
            let hashes = line.prefix { $0 == "#" }.count
            guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { continue }
            let title = line.dropFirst(hashes + 1).replacing(link) { match in match.output[1].substring ?? "" }
            let slug = String(title.trimmingCharacters(in: .whitespaces).lowercased()
                .filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" })
                .replacingOccurrences(of: " ", with: "-")
            let seen = counts[slug, default: 0]
            counts[slug] = seen + 1
            anchors.insert(seen == 0 ? slug : "\(slug)-\(seen)")
        }
        return anchors
    }

    /// Inline links and images `[text](target)` and reference definitions `[name]: target`, outside code.
    static func links(in text: String) throws -> [(line: Int, target: String)] {
        let (link, reference, codeSpan) = (try linkPattern(), try referencePattern(), try codeSpanPattern())
        var links: [(Int, String)] = []
        for (number, line) in proseLines(text) {
            let prose = line.replacing(codeSpan, with: "")
            for match in prose.matches(of: link) { links.append((number, String(match.output[2].substring ?? ""))) }
            if let match = prose.firstMatch(of: reference) { links.append((number, String(match.output[1].substring ?? ""))) }
        }
        return links
    }

    // Built from strings: the package's Swift 5 language mode has no bare regex literals.
    static func linkPattern() throws -> Regex<AnyRegexOutput> { try Regex("\\[([^\\]]*)\\]\\(([^)\\s]+)\\)") }
    static func referencePattern() throws -> Regex<AnyRegexOutput> { try Regex("^\\s*\\[[^\\]]+\\]:\\s*(\\S+)") }
    static func codeSpanPattern() throws -> Regex<AnyRegexOutput> { try Regex("`[^`]*`") }
}
