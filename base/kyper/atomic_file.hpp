// Replacing a file so that a crash at any instant leaves either the old or the new content: the
// bytes go to "<path>.partial", are flushed to the disk, then renamed over `path`.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace kyper {

// Writes `content` to `path` atomically. `what` names the file in errors ("ensemble file").
void write_file_atomically(const std::string& path, const std::string& content, const std::string& what);

// Same, with the content streamed by `write` (binary mode).
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           const std::string& what);

}  // namespace kyper
