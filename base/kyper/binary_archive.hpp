// A cereal binary input archive that reads exactly what cereal::BinaryInputArchive reads, but never
// trusts a length prefix: every container size is checked against the bytes left in the stream
// before cereal allocates for it, so a corrupt or hostile file whose length field claims 10^12
// elements is an error ("claims ... elements, only ... bytes remain"), not a terabyte allocation.
// Every element takes at least one byte, so a vector or string is never allocated larger than the
// file. Used by every reader of binary files (model files, search checkpoints).
#pragma once

#include <algorithm>
#include <cstdint>
#include <istream>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include <cereal/archives/binary.hpp>
#include <cereal/cereal.hpp>

namespace kyper {

class CheckedBinaryInputArchive
    : public cereal::InputArchive<CheckedBinaryInputArchive, cereal::AllowEmptyClassElision> {
 public:
  // The bytes left are those from the stream's position to its end (a stream that cannot seek is
  // read without the bound).
  explicit CheckedBinaryInputArchive(std::istream& stream)
      : cereal::InputArchive<CheckedBinaryInputArchive, cereal::AllowEmptyClassElision>(this), stream_(stream) {
    const auto here = stream.tellg();
    if (here == std::streampos(-1)) return;
    stream.seekg(0, std::ios::end);
    const auto end = stream.tellg();
    stream.seekg(here);
    if (end != std::streampos(-1) && end >= here) remaining_ = std::uint64_t(end - here);
    stream.clear(stream.rdstate() & ~std::ios::eofbit);
  }

  void loadBinary(void* const data, std::streamsize size) {
    const auto read = stream_.rdbuf()->sgetn(reinterpret_cast<char*>(data), size);
    if (read != size)
      throw cereal::Exception("Failed to read " + std::to_string(size) + " bytes from input stream! Read " +
                              std::to_string(read));
    remaining_ -= std::min<std::uint64_t>(remaining_, std::uint64_t(size));
  }

  // A container about to be read claims `size` elements: each needs at least one byte.
  void check_size(std::uint64_t size) const {
    if (size > remaining_)
      throw cereal::Exception("a length field claims " + std::to_string(size) + " elements, only " +
                              std::to_string(remaining_) + " bytes remain");
  }
  std::uint64_t remaining() const { return remaining_; }

 private:
  std::istream& stream_;
  std::uint64_t remaining_ = std::numeric_limits<std::uint64_t>::max();
};

template <class T>
inline typename std::enable_if<std::is_arithmetic<T>::value && !std::is_same<T, bool>::value, void>::type
CEREAL_LOAD_FUNCTION_NAME(
    CheckedBinaryInputArchive& ar, T& t) {
  ar.loadBinary(std::addressof(t), sizeof(t));
}

// A bool is one byte that must be 0 or 1: loading any other value into a bool is undefined
// behaviour (UndefinedBehaviorSanitizer caught a corrupt model file doing it).
inline void CEREAL_LOAD_FUNCTION_NAME(CheckedBinaryInputArchive& ar, bool& b) {
  std::uint8_t byte = 0;
  ar.loadBinary(&byte, 1);
  if (byte > 1) throw cereal::Exception("a boolean field holds " + std::to_string(int(byte)));
  b = byte != 0;
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(CheckedBinaryInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(CheckedBinaryInputArchive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);
  ar.check_size(std::uint64_t(t.size));
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(CheckedBinaryInputArchive& ar, cereal::BinaryData<T>& bd) {
  ar.loadBinary(bd.data, static_cast<std::streamsize>(bd.size));
}

}  // namespace kyper

CEREAL_REGISTER_ARCHIVE(kyper::CheckedBinaryInputArchive)

// Minimal (enum) loads look up the output archive the input archive pairs with.
namespace cereal::traits::detail {
template <>
struct get_output_from_input<kyper::CheckedBinaryInputArchive> {
  using type = cereal::BinaryOutputArchive;
};
}  // namespace cereal::traits::detail
