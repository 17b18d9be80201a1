// Pillow 9.4's resampling kernels on packed HWC uint8 buffers (no mode logic: premultiplication
// and the NEAREST-for-palette rule live in resize_bicubic).
#pragma once

#include <cstdint>

namespace lincir::detail {

// Separable fixed-point bicubic (a = -0.5), horizontal pass first, each pass skipped when that
// side is unchanged; bit-exact with ImagingResample(BICUBIC) for 8-bit bands.
void resample_bicubic_u8(const uint8_t* src, int in_w, int in_h, int channels, uint8_t* dst,
                         int out_w, int out_h);

// NEAREST as Pillow's ImagingScaleAffine: source index int(x0) with x0 = n/(2m) + i * n/m
// accumulated by repeated double addition, per axis.
void resample_nearest_u8(const uint8_t* src, int in_w, int in_h, int channels, uint8_t* dst,
                         int out_w, int out_h);

}  // namespace lincir::detail
