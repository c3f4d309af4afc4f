import CLibFuzzer
import Foundation

// One binary holds every target; BNAS_FUZZ_TARGET picks the one this process feeds (fuzz/README.md
// says why one binary). The arguments are libFuzzer's.

guard let target = FuzzTarget.all.first(where: { $0.name == ProcessInfo.processInfo.environment["BNAS_FUZZ_TARGET"] }) else {
    fputs("bnas-fuzz: set BNAS_FUZZ_TARGET to one of:", stderr)
    for target in FuzzTarget.all { fputs(" \(target.name)", stderr) }
    fputs("\n", stderr)
    exit(2)
}
FuzzTarget.selected = target

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, size in
    FuzzTarget.selected?.run(bytes.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
})
