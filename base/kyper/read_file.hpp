// Reading a whole file into memory, with an error that names it ("cannot open search space
// 'out/space.json': No such file or directory").
#pragma once

#include <string>

namespace kyper {

// The bytes of the file at `path`. `what` names it in the error ("results table").
std::string read_file(const std::string& path, const std::string& what);

}  // namespace kyper
