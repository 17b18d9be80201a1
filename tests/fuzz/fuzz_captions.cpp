// Caption corpora (txt / jsonl / csv / tsv, optionally gzip-compressed, detected from the
// content): the first input byte picks the file extension, the rest is the file, read to the end
// of one pass with a small shuffle buffer.
#include <cstdint>
#include <memory>

#include "fuzz_util.hpp"
#include "lincir/captions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* kExt[] = {".txt", ".jsonl", ".csv", ".tsv"};
  static std::unique_ptr<lincir::fuzz::ScratchFile> files[4];
  if (size < 1) return 0;
  const int which = data[0] & 3;
  if (!files[which]) files[which] = std::make_unique<lincir::fuzz::ScratchFile>(kExt[which]);
  const std::string& path = files[which]->write(data + 1, size - 1);
  lincir::CaptionStreamOptions opt;
  opt.loop = false;
  opt.shuffle_buffer = (data[0] >> 2) & 7;
  opt.seed = data[0] >> 5;
  opt.on_warning = [](const std::string&, uint64_t, const std::string& reason) {
    if (reason.empty()) std::abort();
  };
  try {
    lincir::CaptionStream stream(path, opt);
    lincir::CaptionRecord rec;
    uint64_t n = 0;
    while (stream.next(rec)) {
      if (rec.text.empty()) std::abort();  // empty captions are malformed, never returned
      ++n;
    }
    if (stream.stats().records != n) std::abort();
  } catch (const lincir::Error& e) {
    lincir::fuzz::expect_message(e);
  }
  return 0;
}
