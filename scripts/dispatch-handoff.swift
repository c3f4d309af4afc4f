// What libdispatch's hand-off to a second core costs: two equal bodies of 5 to 1,000 µs of work run
// one after the other on one thread, and as `DispatchQueue.concurrentPerform(iterations: 2)`. On the
// 2-vCPU virtual machine bnas was built on, waking libdispatch's sleeping worker took 50-100 µs, so
// regions under a few hundred µs ran no faster, or slower, on two cores; that is why the numeric code
// runs on `WorkerPool` instead (its own numbers: the last table of `bnas bench kernels`).
//
// Build and run:  swiftc -O scripts/dispatch-handoff.swift -o /tmp/dispatch-handoff && /tmp/dispatch-handoff
import Dispatch
import Foundation

/// About n steps of dependent floating-point work (the seed keeps the optimiser from hoisting it).
@inline(never) func work(_ n: Int, _ seed: Double) -> Double {
    var s = seed
    for i in 0..<n { s = s * 0.9999999 + Double(i & 7) }
    return s
}

func microseconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e3 }

var sink = 0.0
let start = microseconds()
sink += work(1_000_000, sink)
let perStep = (microseconds() - start) / 1_000_000

print("body us  one thread, both us  concurrentPerform(2) us  speed-up")
for target in [5.0, 20.0, 50.0, 200.0, 1000.0] {
    let steps = Int(target / perStep)
    var serial: [Double] = [], parallel: [Double] = []
    for _ in 0..<5 {
        var t = microseconds()
        for k in 0..<200 { sink += work(steps, Double(k)); sink += work(steps, sink) }
        serial.append((microseconds() - t) / 200)
        t = microseconds()
        for k in 0..<200 {
            DispatchQueue.concurrentPerform(iterations: 2) { i in if work(steps, Double(k + i)) < 0 { print("unreachable") } }
        }
        parallel.append((microseconds() - t) / 200)
    }
    let (one, two) = (serial.sorted()[2], parallel.sorted()[2])
    print(String(format: "%7.0f  %19.1f  %23.1f  %8.2f", target, one, two, one / two))
}
if sink.isNaN { print(sink) }
