// Names, parsers and nominal colours of the world's attributes.
#include <cstring>

#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

constexpr const char* kShapeNames[kNumShapes] = {"circle",  "square", "triangle", "star", "cross",
                                                 "diamond", "ring",   "hexagon",  "heart"};
constexpr const char* kColorNames[kNumColors] = {"red",    "green", "blue", "yellow", "purple",
                                                 "orange", "cyan",  "pink", "white"};
constexpr const char* kSizeNames[kNumSizes] = {"small", "large"};
constexpr const char* kPositionNames[kNumPositions] = {"left", "right", "top", "bottom", "center"};
constexpr const char* kBackgroundNames[kNumBackgrounds] = {"black", "gray",  "brown",
                                                           "navy",  "white", "beige"};
constexpr const char* kTextureNames[kNumTextures] = {"plain", "stripes", "dots"};
constexpr const char* kKindNames[8] = {"color",      "shape",   "size", "position",
                                       "background", "texture", "add",  "remove"};

// Saturated, well-separated hues: the tiny CLIP must tell them apart after jitter.
constexpr uint8_t kColorRgb[kNumColors][3] = {{220, 40, 40},  {40, 180, 60},   {45, 85, 235},
                                              {240, 220, 40}, {150, 60, 200},  {250, 140, 30},
                                              {40, 210, 220}, {250, 130, 190}, {240, 240, 240}};
constexpr uint8_t kBackgroundRgb[kNumBackgrounds][3] = {
    {15, 15, 15}, {120, 120, 120}, {105, 70, 40}, {20, 30, 90}, {245, 245, 245}, {225, 205, 170}};

template <class E, size_t N>
E parse_enum(const char* const (&names)[N], const std::string& s, const char* what) {
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<E>(i);
  LINCIR_THROW(Status::invalid_argument, std::string("unknown ") + what + " '" + s + "'");
}

template <size_t N>
const char* name_of(const char* const (&names)[N], int i) {
  return i >= 0 && size_t(i) < N ? names[i] : "?";
}

}  // namespace

const char* to_string(Shape v) noexcept {
  return name_of(kShapeNames, int(v));
}
const char* to_string(Color v) noexcept {
  return name_of(kColorNames, int(v));
}
const char* to_string(Size v) noexcept {
  return name_of(kSizeNames, int(v));
}
const char* to_string(Position v) noexcept {
  return name_of(kPositionNames, int(v));
}
const char* to_string(Background v) noexcept {
  return name_of(kBackgroundNames, int(v));
}
const char* to_string(Texture v) noexcept {
  return name_of(kTextureNames, int(v));
}
const char* to_string(ChangeKind v) noexcept {
  return name_of(kKindNames, int(v));
}

Shape parse_shape(const std::string& s) {
  return parse_enum<Shape>(kShapeNames, s, "shape");
}
Color parse_color(const std::string& s) {
  return parse_enum<Color>(kColorNames, s, "colour");
}
Size parse_size(const std::string& s) {
  return parse_enum<Size>(kSizeNames, s, "size");
}
Position parse_position(const std::string& s) {
  return parse_enum<Position>(kPositionNames, s, "position");
}
Background parse_background(const std::string& s) {
  return parse_enum<Background>(kBackgroundNames, s, "background");
}
Texture parse_texture(const std::string& s) {
  return parse_enum<Texture>(kTextureNames, s, "texture");
}
ChangeKind parse_change_kind(const std::string& s) {
  return parse_enum<ChangeKind>(kKindNames, s, "change kind");
}

const char* to_string(Split s) noexcept {
  switch (s) {
    case Split::train:
      return "train";
    case Split::heldout:
      return "heldout";
    case Split::all:
      return "all";
  }
  return "?";
}

Split parse_split(const std::string& s) {
  if (s == "train") return Split::train;
  if (s == "heldout") return Split::heldout;
  if (s == "all") return Split::all;
  LINCIR_THROW(Status::invalid_argument, "unknown split '" + s + "' (train, heldout, all)");
}

std::array<uint8_t, 3> color_rgb(Color c) noexcept {
  const auto& v = kColorRgb[int(c) < kNumColors ? int(c) : 0];
  return {v[0], v[1], v[2]};
}

std::array<uint8_t, 3> background_rgb(Background b) noexcept {
  const auto& v = kBackgroundRgb[int(b) < kNumBackgrounds ? int(b) : 0];
  return {v[0], v[1], v[2]};
}

}  // namespace lincir::synth
