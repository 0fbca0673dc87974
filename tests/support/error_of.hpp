// The message of the kyper::Error that `f` throws, or "" (and a test failure) if it throws none.
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <kyper/error.hpp>

namespace kyper::testing {
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const kyper::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no kyper::Error thrown";
  return "";
}
}  // namespace kyper::testing
