/* png_write.c: PNG encoding into a buffer with libpng, the only file in src/ that includes png.h.
 * libpng reports errors by longjmp; the handlers below jump back here without printing, and
 * what was appended before the jump is cut off again, so a caller sees a return value and an
 * untouched buffer. Depends on libpng and common/buf only. */
#include "png_write.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stddef.h>

static void sink_write(png_structp png, png_bytep data, size_t n)
{
    buf_append(png_get_io_ptr(png), data, n);
}

static void sink_flush(png_structp png)
{
    (void)png;
}

/* libpng's default handlers print to stderr; we report through the return value instead. */
static void on_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static int valid(const struct pngw_image *img)
{
    if (!img->px || img->width <= 0 || img->height <= 0 || img->width > 65535 ||
        img->height > 65535 || img->level < -1 || img->level > 9)
        return 0;
    if (!img->palette)
        return img->bit_depth == 8;
    int d = img->bit_depth;
    return (d == 1 || d == 2 || d == 4 || d == 8) && img->npal >= 1 && img->npal <= (1 << d);
}

/* png, info and start are set before setjmp and never changed after it, and the row index is
 * not read after a jump, so no local here needs to be volatile. */
int pngw_encode(const struct pngw_image *img, struct buf *out)
{
    if (!img || !out || !valid(img))
        return -EINVAL;
    png_color pal[256];
    for (int i = 0; img->palette && i < img->npal; i++) {
        pal[i].red = img->palette[3 * i];
        pal[i].green = img->palette[3 * i + 1];
        pal[i].blue = img->palette[3 * i + 2];
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    if (!png)
        return -ENOMEM;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return -ENOMEM;
    }
    size_t start = out->len;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        buf_truncate(out, start);
        return -EIO;
    }
    png_set_write_fn(png, out, sink_write, sink_flush);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, img->bit_depth,
                 img->palette ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (img->palette)
        png_set_PLTE(png, info, pal, img->npal);
    if (img->unfiltered)
        png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    if (img->level >= 0)
        png_set_compression_level(png, img->level);
    png_write_info(png, info);
    if (img->palette && img->bit_depth < 8)
        png_set_packing(png); /* rows hold one index a byte; libpng packs them */
    size_t stride = (size_t)img->width * (img->palette ? 1 : 3);
    for (int y = 0; y < img->height; y++)
        png_write_row(png, img->px + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}
