// 16 bytes straight from OpenSSL's CSPRNG, for ids that must not be guessable (record uids,
// request ids), without a syscall per id: RAND_bytes checks getpid() on every call for fork
// safety, so each thread draws from its own pool refilled 4 KiB at a time (one RAND_bytes per
// 256 ids). A fork() empties every pool, so a child never hands out bytes its parent also has,
// and bytes are wiped from the pool once handed out.
#pragma once

namespace portcullis {

// Fills out[0..15]. False only when OpenSSL has no entropy source at all; the caller decides
// what to use then.
[[nodiscard]] bool random_16(unsigned char* out);

}  // namespace portcullis
