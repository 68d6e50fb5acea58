// libpng's simplified API (Debian: libpng-dev): whole images in one call, no setjmp.
#ifndef RBM_CPNG_SHIM_H
#define RBM_CPNG_SHIM_H
#include <png.h>
#include <string.h>
#include <stdlib.h>

/// Encodes an 8-bit grayscale image (rows top to bottom) as PNG bytes in memory: *bytes is
/// malloc'ed (free it) and *size its length. Returns 0 on success, else -1. Encoding in memory
/// leaves the writing (and a full disk's error) to the caller's checked writer.
static inline int rbm_png_encode_gray(unsigned width, unsigned height, const unsigned char *pixels,
                                      unsigned char **bytes, size_t *size) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_GRAY;
    png_alloc_size_t needed = 0;
    *bytes = NULL;
    *size = 0;
    if (!png_image_write_to_memory(&image, NULL, &needed, 0, pixels, 0, NULL)) return -1;
    *bytes = malloc(needed);
    if (*bytes == NULL) { png_image_free(&image); return -1; }
    if (!png_image_write_to_memory(&image, *bytes, &needed, 0, pixels, 0, NULL)) {
        free(*bytes);
        *bytes = NULL;
        return -1;
    }
    *size = needed;
    return 0;
}

/// Reads any PNG as 8-bit grayscale; *pixels is malloc'ed (free it). Returns 0 on success.
static inline int rbm_png_read_gray(const char *path, unsigned *width, unsigned *height,
                                    unsigned char **pixels) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path)) return -1;
    image.format = PNG_FORMAT_GRAY;
    *pixels = malloc(PNG_IMAGE_SIZE(image));
    if (*pixels == NULL) { png_image_free(&image); return -1; }
    if (!png_image_finish_read(&image, NULL, *pixels, 0, NULL)) { free(*pixels); *pixels = NULL; return -1; }
    *width = image.width;
    *height = image.height;
    return 0;
}
#endif
