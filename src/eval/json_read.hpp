// Reading annotation JSON with errors that name the file, the element and the problem.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lincir::detail {

using Json = nlohmann::json;

// Parses a whole file. Error(io) if unreadable, Error(format) "<path>: invalid JSON: ..." else.
Json read_json_file(const std::string& path);
// Same, also returning the keys of the top-level object in file order (nlohmann's default object
// is sorted; CIRR's split file order defines the gallery order). Error(format) on duplicate keys.
Json read_json_object_ordered(const std::string& path, std::vector<std::string>* keys);

// Error(format) "<file>: <where>: <problem>".
[[noreturn]] void json_format_error(const std::string& file, const std::string& where,
                                    const std::string& problem);

// Accessors that throw json_format_error with a precise message.
const Json& json_array(const Json& j, const std::string& file, const std::string& where);
const Json& json_object(const Json& j, const std::string& file, const std::string& where);
// Member `key` of object `obj`; nullptr when absent and !required.
const Json* json_member(const Json& obj, const char* key, bool required, const std::string& file,
                        const std::string& where);
std::string json_string(const Json& j, const std::string& file, const std::string& where);
int64_t json_int(const Json& j, const std::string& file, const std::string& where);
std::vector<std::string> json_string_array(const Json& j, const std::string& file,
                                           const std::string& where);

}  // namespace lincir::detail
