// The files sst_simulate writes and sst_evaluate reads (examples/sst_emulator):
//   snapshots.bin  "KYSSTSN1", int32 nx, ny, weeks, then weeks x ny x nx float32 (row-major, x fastest)
//   pod.bin        "KYSSTPD1", int32 nx, ny, modes, train_weeks, then the mean field (ny*nx float64),
//                  the modes (modes x ny*nx float64, orthogonal, each with a mean square of 1 over
//                  the grid) and the singular values (modes float64)
// With modes of mean square 1, a coefficient is in the field's units whatever the grid:
// a_k = mean over cells of phi_k (T - mean), T ~ mean + sum_k a_k phi_k, and the field's mean
// squared error of a reconstruction is the POD floor's plus the sum of the squared coefficient errors.
// Native byte order: the files are made and read on the same machine.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sst {

struct Snapshots {
  int nx = 0, ny = 0, weeks = 0;
  std::vector<float> values;  // weeks x ny x nx
  const float* week(int w) const { return values.data() + std::size_t(w) * nx * ny; }
};

struct Pod {
  int nx = 0, ny = 0, modes = 0, train_weeks = 0;
  std::vector<double> mean;      // ny*nx
  std::vector<double> basis;     // modes x ny*nx, mean square 1 each
  std::vector<double> singular;  // modes
  std::size_t cells() const { return std::size_t(nx) * ny; }
  const double* mode(int k) const { return basis.data() + std::size_t(k) * cells(); }
  // The coefficient of mode k in `field - mean`.
  template <class T>
  double project(int k, const T* field) const {
    double sum = 0;
    for (std::size_t c = 0; c < cells(); ++c) sum += mode(k)[c] * (double(field[c]) - mean[c]);
    return sum / double(cells());
  }
};

namespace detail {
template <class T>
void put(std::ofstream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <class T>
void put(std::ofstream& out, const std::vector<T>& v) {
  out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(T)));
}
template <class T>
void get(std::ifstream& in, T& v, const std::string& path) {
  if (!in.read(reinterpret_cast<char*>(&v), sizeof(T))) throw std::runtime_error("truncated file '" + path + "'");
}
template <class T>
void get(std::ifstream& in, std::vector<T>& v, std::size_t n, const std::string& path) {
  v.resize(n);
  if (!in.read(reinterpret_cast<char*>(v.data()), std::streamsize(n * sizeof(T))))
    throw std::runtime_error("truncated file '" + path + "'");
}
inline std::ifstream open(const std::string& path, const char* magic) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  char m[8];
  if (!in.read(m, 8) || std::memcmp(m, magic, 8) != 0)
    throw std::runtime_error("'" + path + "' is not a " + std::string(magic, 8) + " file");
  return in;
}
inline std::ofstream create(const std::string& path, const char* magic) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
  out.write(magic, 8);
  return out;
}
}  // namespace detail

inline void write(const std::string& path, const Snapshots& s) {
  auto out = detail::create(path, "KYSSTSN1");
  detail::put(out, std::int32_t(s.nx)), detail::put(out, std::int32_t(s.ny)), detail::put(out, std::int32_t(s.weeks));
  detail::put(out, s.values);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

inline Snapshots read_snapshots(const std::string& path) {
  auto in = detail::open(path, "KYSSTSN1");
  std::int32_t nx, ny, weeks;
  detail::get(in, nx, path), detail::get(in, ny, path), detail::get(in, weeks, path);
  Snapshots s;
  s.nx = nx, s.ny = ny, s.weeks = weeks;
  detail::get(in, s.values, std::size_t(nx) * ny * weeks, path);
  return s;
}

inline void write(const std::string& path, const Pod& p) {
  auto out = detail::create(path, "KYSSTPD1");
  for (int v : {p.nx, p.ny, p.modes, p.train_weeks}) detail::put(out, std::int32_t(v));
  detail::put(out, p.mean), detail::put(out, p.basis), detail::put(out, p.singular);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

inline Pod read_pod(const std::string& path) {
  auto in = detail::open(path, "KYSSTPD1");
  std::int32_t v[4];
  for (auto& x : v) detail::get(in, x, path);
  Pod p;
  p.nx = v[0], p.ny = v[1], p.modes = v[2], p.train_weeks = v[3];
  detail::get(in, p.mean, p.cells(), path);
  detail::get(in, p.basis, p.cells() * p.modes, path);
  detail::get(in, p.singular, std::size_t(p.modes), path);
  return p;
}

}  // namespace sst
