/// Depthwise convolution (one input channel per group, weight [C, 1, k, k]) as direct loops.
///
/// Stride 1 (every depthwise conv of a normal cell) works on a zero-padded copy of each plane,
/// (H + 2p) x (W + 2p), and computes the output at the padded row pitch: each kernel tap is then one
/// long contiguous multiply-add over the whole plane, which vectorises well, and the columns past
/// the output width are dropped at the end. Other strides loop over output rows of the padded plane.
extension Convolution {
    /// Scratch geometry of the padded stride-1 path.
    private struct PaddedPlane {
        let pitch: Int, rows: Int, span: Int
        /// rows * pitch plus the tail that the dropped columns of the last output row read past the end.
        let capacity: Int
        init(_ g: ConvGeometry) {
            pitch = g.width + 2 * g.padding
            rows = g.height + 2 * g.padding
            span = g.outHeight * pitch
            capacity = rows * pitch + (g.kernel - 1) * g.dilation
        }
        /// Offset of tap (ky, kx) in the padded plane.
        @inline(__always) func offset(_ g: ConvGeometry, _ ky: Int, _ kx: Int) -> Int { ky * g.dilation * pitch + kx * g.dilation }

        func pad(_ g: ConvGeometry, _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
            target.update(repeating: 0, count: capacity)
            for y in 0..<g.height { (target + (y + g.padding) * pitch + g.padding).update(from: source + y * g.width, count: g.width) }
        }
    }

    static func depthwiseForward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let (k, h, wd, ho, wo) = (g.kernel, g.height, g.width, g.outHeight, g.outWidth)
        Parallelism.forEachChunk(g.batch * g.inChannels, minimumChunk: 4) { planes in
            if g.stride == 1 {
                let layout = PaddedPlane(g)
                let padded = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity)
                let wide = UnsafeMutablePointer<Float>.allocate(capacity: layout.span)
                defer { padded.deallocate(); wide.deallocate() }
                for plane in planes {
                    let channel = plane % g.inChannels
                    layout.pad(g, x + plane * h * wd, into: padded)
                    wide.update(repeating: 0, count: layout.span)
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let tap = w[(channel * k + ky) * k + kx]
                            let source = padded + layout.offset(g, ky, kx)
                            VectorKernels.axpy(tap, source, wide, count: layout.span)
                        }
                    }
                    let target = y + plane * ho * wo
                    for oy in 0..<ho { (target + oy * wo).update(from: wide + oy * layout.pitch, count: wo) }
                }
                return
            }
            let layout = PaddedPlane(g)
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity)
            defer { padded.deallocate() }
            for plane in planes {
                let channel = plane % g.inChannels
                layout.pad(g, x + plane * h * wd, into: padded)
                let target = y + plane * ho * wo
                target.update(repeating: 0, count: ho * wo)
                for ky in 0..<k {
                    for kx in 0..<k {
                        let tap = w[(channel * k + ky) * k + kx]
                        let tapOffset = layout.offset(g, ky, kx)
                        for oy in 0..<ho {
                            let row = padded + (tapOffset &+ oy &* g.stride &* layout.pitch)
                            let out = target + oy &* wo
                            for ox in 0..<wo { out[ox] += tap * row[ox &* g.stride] }
                        }
                    }
                }
            }
        }
    }

    /// Split over channels: each worker owns its channels' weight gradients and input planes.
    static func depthwiseBackward(
        _ g: ConvGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>?
    ) {
        let (k, h, wd, ho, wo) = (g.kernel, g.height, g.width, g.outHeight, g.outWidth)
        Parallelism.forEachChunk(g.inChannels) { channels in
            if g.stride == 1 {
                let layout = PaddedPlane(g)
                let scratch = layout.capacity
                let padded = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
                let paddedGrad = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
                let wideGrad = UnsafeMutablePointer<Float>.allocate(capacity: layout.span)
                defer { padded.deallocate(); paddedGrad.deallocate(); wideGrad.deallocate() }
                for channel in channels {
                    for n in 0..<g.batch {
                        let plane = n * g.inChannels + channel
                        // dy at the padded pitch, zero in the dropped columns so they contribute nothing.
                        wideGrad.update(repeating: 0, count: layout.span)
                        for oy in 0..<ho { (wideGrad + oy * layout.pitch).update(from: dy + plane * ho * wo + oy * wo, count: wo) }
                        if dw != nil { layout.pad(g, x + plane * h * wd, into: padded) }
                        if dx != nil { paddedGrad.update(repeating: 0, count: scratch) }
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let tapIndex = (channel * k + ky) * k + kx
                                let offset = layout.offset(g, ky, kx)
                                if let dw {
                                    dw[tapIndex] += VectorKernels.dot(wideGrad, padded + offset, count: layout.span)
                                }
                                if dx != nil {
                                    let tap = w[tapIndex]
                                    VectorKernels.axpy(tap, wideGrad, paddedGrad + offset, count: layout.span)
                                }
                            }
                        }
                        if let dx {
                            let target = dx + plane * h * wd
                            for y in 0..<h {
                                accumulate(target + y * wd, paddedGrad + (y + g.padding) * layout.pitch + g.padding, count: wd)
                            }
                        }
                    }
                }
                return
            }
            let layout = PaddedPlane(g)
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity)
            let paddedGrad = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity)
            defer { padded.deallocate(); paddedGrad.deallocate() }
            for channel in channels {
                for n in 0..<g.batch {
                    let plane = n * g.inChannels + channel
                    let outGrad = dy + plane * ho * wo
                    if dw != nil { layout.pad(g, x + plane * h * wd, into: padded) }
                    if dx != nil { paddedGrad.update(repeating: 0, count: layout.capacity) }
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let tapIndex = (channel * k + ky) * k + kx
                            let tap = w[tapIndex]
                            var tapGrad: Float = 0
                            let tapOffset = layout.offset(g, ky, kx)
                            for oy in 0..<ho {
                                let rowOffset = tapOffset &+ oy &* g.stride &* layout.pitch
                                let upstream = outGrad + oy &* wo
                                if dw != nil {
                                    let row = padded + rowOffset
                                    for ox in 0..<wo { tapGrad += upstream[ox] * row[ox &* g.stride] }
                                }
                                if dx != nil {
                                    let row = paddedGrad + rowOffset
                                    for ox in 0..<wo { row[ox &* g.stride] += tap * upstream[ox] }
                                }
                            }
                            if let dw { dw[tapIndex] += tapGrad }
                        }
                    }
                    if let dx {
                        let target = dx + plane * h * wd
                        for y in 0..<h {
                            accumulate(target + y * wd, paddedGrad + (y + g.padding) * layout.pitch + g.padding, count: wd)
                        }
                    }
                }
            }
        }
    }
}
