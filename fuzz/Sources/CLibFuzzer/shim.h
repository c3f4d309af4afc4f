// libFuzzer's driver, linked by -sanitize=fuzzer. bnas-fuzz calls it from its own main: SwiftPM makes an
// executable target's main.swift the program's main, so libFuzzer's main is never linked in.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

// libFuzzer's own mutation of `data` (size bytes, at most max_size), for a custom mutator to fall back on.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
