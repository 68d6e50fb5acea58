// libpng's simplified API (Debian: libpng-dev): whole images in one call, no setjmp.
#ifndef RBM_CPNG_SHIM_H
#define RBM_CPNG_SHIM_H
#include <png.h>
#include <string.h>
#include <stdlib.h>

/// Writes an 8-bit grayscale image (rows top to bottom). Returns 0 on success, else an error
/// message that stays valid until the next call.
static inline const char *rbm_png_write_gray(const char *path, unsigned width, unsigned height,
                                            const unsigned char *pixels) {
    static char message[64];
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_GRAY;
    if (png_image_write_to_file(&image, path, 0, pixels, 0, NULL)) return NULL;
    strncpy(message, image.message, sizeof message - 1);
    message[sizeof message - 1] = 0;
    return message;
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
