// Declarations only (see include/LibFuzzerDriver.h); the driver itself is in libclang_rt.fuzzer.
#include "LibFuzzerDriver.h"
