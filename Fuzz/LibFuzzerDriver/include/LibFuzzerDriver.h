// libFuzzer's own driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM gives an executable
// target an entry point of its own, so the harness calls the driver instead of libFuzzer's main.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
