// The kyper command.
#include <cstring>
#include <iostream>

#include <kyper/config.hpp>
#include <kyper/runtime.hpp>

int main(int argc, char** argv) {
  if (argc >= 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    std::cout << "kyper " << KYPER_VERSION_STRING << "\n" << kyper::describe_backends() << "\n";
    return 0;
  }
  std::cerr << "usage: kyper --version\n";
  return 2;
}
