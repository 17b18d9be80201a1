// Streaming reader of COCO image-info files (image_info_unlabeled2017.json: ~123K images), which
// keeps only each image's id and file name instead of building the whole JSON tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lincir::detail {

struct CocoImage {
  int64_t id = -1;
  std::string file_name;  // "%012d.jpg" when the entry has none
};

// The "images" array of a COCO annotation/image-info file, in file order. Error(io) if
// unreadable, Error(format) naming the file and the problem (invalid JSON, no "images" array, an
// entry without an integer id, a duplicate id, an unsafe file name).
std::vector<CocoImage> read_coco_image_info(const std::string& path);

}  // namespace lincir::detail
