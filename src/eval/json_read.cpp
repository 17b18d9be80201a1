#include "eval/json_read.hpp"

#include <algorithm>

#include "core/file_io.hpp"
#include "lincir/common.hpp"

namespace lincir::detail {
namespace {

const char* type_name(const Json& j) {
  if (j.is_number_integer()) return "an integer";
  if (j.is_number_float()) return "a floating-point number";
  return j.type_name();
}

Json parse_bytes(const std::string& path, const std::vector<uint8_t>& bytes,
                 const Json::parser_callback_t& cb) {
  try {
    return Json::parse(bytes.begin(), bytes.end(), cb, /*allow_exceptions=*/true);
  } catch (const Json::exception& e) {
    LINCIR_THROW(Status::format, path + ": invalid JSON: " + e.what());
  }
}

}  // namespace

Json read_json_file(const std::string& path) { return parse_bytes(path, read_file(path), nullptr); }

Json read_json_object_ordered(const std::string& path, std::vector<std::string>* keys) {
  keys->clear();
  const auto bytes = read_file(path);
  Json j = parse_bytes(path, bytes, [keys](int depth, Json::parse_event_t ev, Json& parsed) {
    if (ev == Json::parse_event_t::key && depth == 1) keys->push_back(parsed.get<std::string>());
    return true;
  });
  if (!j.is_object()) json_format_error(path, "top level", "expected a JSON object");
  // Depth-1 keys of a top-level array would also be recorded, but the object check excludes it.
  if (keys->size() != j.size()) {
    std::vector<std::string> sorted = *keys;
    std::sort(sorted.begin(), sorted.end());
    auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    json_format_error(path, "top level",
                      "duplicate key \"" + (dup != sorted.end() ? *dup : std::string("?")) + "\"");
  }
  return j;
}

void json_format_error(const std::string& file, const std::string& where,
                       const std::string& problem) {
  LINCIR_THROW(Status::format, file + ": " + where + ": " + problem);
}

const Json& json_array(const Json& j, const std::string& file, const std::string& where) {
  if (!j.is_array())
    json_format_error(file, where, std::string("expected an array, found ") + type_name(j));
  return j;
}

const Json& json_object(const Json& j, const std::string& file, const std::string& where) {
  if (!j.is_object())
    json_format_error(file, where, std::string("expected an object, found ") + type_name(j));
  return j;
}

const Json* json_member(const Json& obj, const char* key, bool required, const std::string& file,
                        const std::string& where) {
  json_object(obj, file, where);
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) json_format_error(file, where, std::string("missing field \"") + key + "\"");
    return nullptr;
  }
  return &*it;
}

std::string json_string(const Json& j, const std::string& file, const std::string& where) {
  if (!j.is_string())
    json_format_error(file, where, std::string("expected a string, found ") + type_name(j));
  return j.get<std::string>();
}

int64_t json_int(const Json& j, const std::string& file, const std::string& where) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u > uint64_t(INT64_MAX)) json_format_error(file, where, "integer out of range");
    return int64_t(u);
  }
  if (!j.is_number_integer())
    json_format_error(file, where, std::string("expected an integer, found ") + type_name(j));
  return j.get<int64_t>();
}

std::vector<std::string> json_string_array(const Json& j, const std::string& file,
                                           const std::string& where) {
  json_array(j, file, where);
  std::vector<std::string> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i)
    out.push_back(json_string(j[i], file, where + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace lincir::detail
