// CRC-32C (Castagnoli), the checksum of iSCSI, ext4 and leveldb: hardware-accelerated on x86-64
// (SSE4.2 crc32 instruction) with a table fallback, so checksumming a checkpoint costs far less
// than writing it.
#pragma once

#include <cstdint>
#include <string_view>

namespace heed {

// Chainable like zlib's crc32: crc32c(b, crc32c(a)) == crc32c(a + b). crc32c("123456789") is
// 0xe3069283.
uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);
// The same with the table only; exposed so tests can check both paths agree.
uint32_t crc32c_portable(std::string_view bytes, uint32_t crc = 0);

}  // namespace heed
