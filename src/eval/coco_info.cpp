#include "eval/coco_info.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <unordered_set>

#include "core/file_io.hpp"
#include "lincir/common.hpp"

namespace lincir::detail {
namespace {

using Json = nlohmann::json;

// Depths count open containers: the top object is depth 1, "images" depth 2, an entry depth 3.
class CocoSax : public nlohmann::json_sax<Json> {
 public:
  explicit CocoSax(std::string path) : path_(std::move(path)) {}

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t v) override { return integer(int64_t(v), false); }
  bool number_unsigned(number_unsigned_t v) override {
    return integer(int64_t(v), v > number_unsigned_t(INT64_MAX));
  }
  bool number_float(number_float_t, const string_t&) override {
    if (in_entry_field("id")) return fail("\"id\" is not an integer");
    return value();
  }
  bool string(string_t& s) override {
    if (in_entry_field("file_name")) entry_.file_name = s;
    else if (in_entry_field("id")) return fail("\"id\" is not an integer");
    return value();
  }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    if (depth_ == 0) top_is_object_ = true;
    if (images_open_ && depth_ == 2) {
      entry_ = CocoImage{};
      has_id_ = false;
    }
    ++depth_;
    key_.clear();
    return true;
  }
  bool end_object() override {
    --depth_;
    if (images_open_ && depth_ == 2) {
      if (!has_id_) return fail("entry without an \"id\"");
      if (!ids_.insert(entry_.id).second) return fail("duplicate id " + std::to_string(entry_.id));
      if (entry_.file_name.empty()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%012lld.jpg", static_cast<long long>(entry_.id));
        entry_.file_name = buf;
      }
      if (entry_.file_name.find('/') != std::string::npos || entry_.file_name == ".." ||
          entry_.file_name == ".")
        return fail("unsafe file_name \"" + entry_.file_name + "\"");
      images.push_back(std::move(entry_));
    }
    key_.clear();
    return true;
  }
  bool start_array(std::size_t) override {
    if (images_open_ && depth_ == 2) return fail("entry is not an object");
    if (depth_ == 1 && key_ == "images") {
      images_open_ = true;
      found_images_ = true;
    }
    ++depth_;
    key_.clear();
    return true;
  }
  bool end_array() override {
    --depth_;
    if (depth_ == 1) images_open_ = false;
    key_.clear();
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    error_ = std::string("invalid JSON: ") + ex.what();
    return false;
  }

  void finish() const {
    if (!error_.empty()) LINCIR_THROW(Status::format, path_ + ": " + error_);
    if (!top_is_object_ || !found_images_)
      LINCIR_THROW(Status::format, path_ + ": no \"images\" array (is this a COCO image-info file?)");
  }

  std::vector<CocoImage> images;

 private:
  bool in_entry_field(const char* k) const { return images_open_ && depth_ == 3 && key_ == k; }
  bool value() {
    if (images_open_ && depth_ == 2) return fail("entry is not an object");
    key_.clear();
    return true;
  }
  bool integer(int64_t v, bool overflow) {
    if (in_entry_field("id")) {
      if (overflow || v < 0) return fail("\"id\" out of range");
      entry_.id = v;
      has_id_ = true;
    }
    return value();
  }
  bool fail(const std::string& what) {
    error_ = "\"images\"[" + std::to_string(images.size()) + "]: " + what;
    return false;
  }

  std::string path_;
  int depth_ = 0;
  bool top_is_object_ = false;
  bool images_open_ = false;
  bool found_images_ = false;
  bool has_id_ = false;
  std::string key_;
  CocoImage entry_;
  std::unordered_set<int64_t> ids_;
  std::string error_;
};

}  // namespace

std::vector<CocoImage> read_coco_image_info(const std::string& path) {
  const auto m = MappedFile::open(path);
  CocoSax sax(path);
  const uint8_t* begin = m->data();
  const bool ok = Json::sax_parse(begin, begin + m->size(), &sax, nlohmann::detail::input_format_t::json,
                                  /*strict=*/true);
  if (!ok) sax.finish();  // throws with the recorded error
  sax.finish();
  return std::move(sax.images);
}

}  // namespace lincir::detail
