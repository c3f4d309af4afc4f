import Foundation

/// A non-blocking pipe used to wake `poll`: the engine thread and signal handlers write single bytes.
package final class WakePipe {
    let readDescriptor: Int32
    let writeDescriptor: Int32

    package init() throws {
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

/// The byte written to the wake pipe, saying why.
enum WakeReason: UInt8 {
    case events = 0x65
    case interrupt = 0x69
    case resize = 0x77
}
