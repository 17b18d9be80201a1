// lincir_image: decoded images handed to the encoders.
#include "capi_handles.hpp"

using namespace lincir;

extern "C" {

int lincir_image_load(lincir_image** out, const char* path) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(out);
  *out = nullptr;
  LINCIR_C_NOT_NULL(path);
  *out = new lincir_image{Image::load(path)};
  LINCIR_C_CATCH
}

int lincir_image_decode(lincir_image** out, const void* data, size_t size) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(out);
  *out = nullptr;
  LINCIR_C_NOT_NULL(data);
  LINCIR_C_ARG(size > 0, "size is 0");
  *out = new lincir_image{Image::decode(data, size)};
  LINCIR_C_CATCH
}

int lincir_image_from_pixels(lincir_image** out, const uint8_t* pixels, int width, int height,
                             int channels, size_t stride) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(out);
  *out = nullptr;
  LINCIR_C_NOT_NULL(pixels);
  *out = new lincir_image{Image::from_pixels(pixels, width, height, channels, stride)};
  LINCIR_C_CATCH
}

int lincir_image_width(const lincir_image* image) noexcept { return image ? image->image.width : -1; }
int lincir_image_height(const lincir_image* image) noexcept {
  return image ? image->image.height : -1;
}
void lincir_image_free(lincir_image* image) noexcept { delete image; }

}  // extern "C"
