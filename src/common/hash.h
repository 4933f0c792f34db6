/* hash.h: FNV-1a, the 64-bit non-cryptographic hash that turns a prompt or seed bytes into the
 * seed of a splitmix64 stream (rng.h). Not for anything an attacker chooses to collide. */
#ifndef PANIC_HASH_H
#define PANIC_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A64_INIT 14695981039346656037ull

/* h (FNV1A64_INIT to start) folded with len bytes of data; chain calls to hash several pieces. */
uint64_t fnv1a64(uint64_t h, const void *data, size_t len);

#endif
