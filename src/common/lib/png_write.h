/* png_write.h: a picture in memory to a PNG file in memory, for the platforms that make pictures
 * (dummy, builtin type). The pixels are plain bytes; nothing of libpng shows here. */
#ifndef PANIC_PNG_WRITE_H
#define PANIC_PNG_WRITE_H

#include "common/buf.h"

#include <stdint.h>

struct pngw_image {
    int width, height; /* 1..65535 */
    /* Rows top to bottom without padding: 3 bytes (R, G, B) a pixel, or with a palette one
     * palette index a byte (packed to bit_depth by the encoder). */
    const uint8_t *px;
    const uint8_t *palette; /* npal R, G, B triples for an indexed picture; NULL for RGB */
    int npal;               /* 1..256, and at most 1 << bit_depth */
    int bit_depth;          /* indexed: 1, 2, 4 or 8; RGB: 8 */
    int level;              /* zlib level 0..9, or -1 for libpng's default */
    int unfiltered;         /* no row filters (palette pictures compress best so) */
};

/* Append the PNG file of img to out. 0, -EINVAL for a spec libpng cannot write, -ENOMEM, or
 * -EIO if libpng failed; on error out is left exactly as it was. The same image and settings
 * always give the same bytes (with the same libpng and zlib). */
int pngw_encode(const struct pngw_image *img, struct buf *out);

#endif
