// HTML character references, decoded exactly like CPython 3.11's html.unescape and like ftfy
// 6.3.1's fixes.unescape_html.
#pragma once

#include <string>

namespace lincir::detail {

// Python's html.unescape: named references from the HTML5 table (with or without ';', longest
// prefix match for names without ';'), decimal/hex numeric references with Python's replacements
// (0 and surrogates/too large -> U+FFFD, C1 range -> windows-1252, other control and noncharacter
// code points removed).
std::u32string python_html_unescape(const std::u32string& text);

// ftfy's unescape_html: only `&name;` references (including all-caps forms of common names such as
// &EACUTE;) and numeric ones that end in ';'.
std::u32string ftfy_unescape_html(const std::u32string& text);

}  // namespace lincir::detail
