// A structural check of a torch.save zip archive, run before LibTorch's PyTorchStreamReader
// opens it.
//
// Why: LibTorch 1.13's PyTorchStreamReader constructor opens the zip (miniz copies the central
// directory into memory) and only then checks the archive's layout (a first entry inside a
// folder, a readable "version" record in the supported range). When one of those checks throws,
// the half-built reader is never destroyed and the miniz state leaks: up to the size of the
// file's central directory per failed load, which a service loading untrusted files cannot
// afford. This check rejects those files first, with Error(format) naming the file and the
// problem. It also rejects compressed records: torch.save writes every record stored, and a
// deflated record's declared size (which LibTorch allocates up front) is not bounded by the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lincir::detail {

// Throws Error(format) (or Error(unsupported) for compressed records) unless the `size` bytes at
// `data` are a zip archive whose central directory is well formed, whose first entry lies in a
// folder <archive>/, and which holds a stored <archive>/version (or <archive>/.data/version)
// record, CRC-correct, naming a version LibTorch supports.
void check_torch_zip(const uint8_t* data, size_t size, const std::string& path);

}  // namespace lincir::detail
