// zlib (Debian: zlib1g-dev). Swift cannot import the inflateInit2 macro, so a wrapper exposes it.
#include <zlib.h>

static inline int czlib_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);  // 15-bit window, +32: detect gzip or zlib header
}
