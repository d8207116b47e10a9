// libFuzzer target: the shard's request decoder (replay_internal::DecodeRequest) on arbitrary
// bytes. It must either decode or throw DecodeError: any other exception, crash, sanitizer report
// or runaway allocation is a bug. Built only with clang (RLFLEET_BUILD_FUZZERS, replay/CMakeLists):
//   build/replay/replay_request_fuzzer -max_total_time=60 -max_len=4096

#include <cstddef>
#include <cstdint>

#include "replay/protocol.h"
#include "transport/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    rlfleet::replay_internal::DecodedRequest request =
        rlfleet::replay_internal::DecodeRequest(data, size);
    // Touch what was decoded, as the shard would.
    size_t bytes = request.table.size() + request.keys.size() + request.priorities.size();
    for (const auto& item : request.items) bytes += item->size();
    (void)bytes;
  } catch (const rlfleet::DecodeError&) {
    // Expected for garbage.
  }
  return 0;
}
