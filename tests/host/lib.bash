# Helpers shared by the host bats suites. The programs under test are the ASan/UBSan builds
# (build/asan/), so a memory error in any code path a test reaches fails that test.
ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
RVISORCTL=$ROOT/build/asan/rvisorctl
RVISORD=$ROOT/build/asan/rvisord
RVISOR_VERSION=$(cat "$ROOT/VERSION")
RVISOR_ABI=$(sed -nE 's/^#define RVISOR_ABI_VERSION ([0-9]+).*/\1/p' "$ROOT/include/uapi/linux/rvisor.h")
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
