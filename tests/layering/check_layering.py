#!/usr/bin/env python3
"""Checks that every #include <kyper/...> in the library's layers points down, never up or sideways.

The layers, bottom to top, and what each may include besides itself (README, "What is here"):
  base           -
  kernels        - (Kokkos only)
  core           base, kernels
  search         base (no Kokkos)
  uq             core, base, kernels
  orchestration  everything below
The build enforces the same rule (each layer's include path is its own folder); this test also
catches an include that resolves only by accident and third-party includes a layer must not use.
Usage: check_layering.py <source root>
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()

LAYERS = {  # layer -> folders whose files belong to it (headers under <folder>/kyper/)
    "base": ["base"],
    "kernels": ["kernels"],
    "core": ["src/core"],
    "search": ["search"],
    "uq": ["uq"],
    "orchestration": ["src/orchestration", "src/cli"],
}
ALLOWED = {
    "base": set(),
    "kernels": set(),
    "core": {"base", "kernels"},
    "search": {"base"},
    "uq": {"core", "base", "kernels"},
    "orchestration": {"base", "kernels", "core", "search", "uq"},
}
# Third-party headers a layer must not include (prefix match).
FORBIDDEN_EXTERNAL = {
    "base": ["Kokkos", "mpi.h", "Eigen/"],
    "kernels": ["mpi.h", "fstream", "iostream", "cereal/", "Eigen/"],
    "search": ["Kokkos", "mpi.h"],
}
GENERATED = {"kyper/config.hpp": "core"}  # configured into the build folder by src/core

include_re = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)

provider = dict(GENERATED)
for layer, folders in LAYERS.items():
    for folder in folders:
        for header in (root / folder).glob("kyper/**/*.hpp"):
            name = header.relative_to(root / folder).as_posix()
            if name in provider and provider[name] != layer:
                print(f"{name} is provided by both {provider[name]} and {layer}")
                sys.exit(1)
            provider[name] = layer
        for template in (root / folder).glob("kyper/**/*.hpp.in"):
            provider[template.relative_to(root / folder).as_posix()[:-3]] = layer

problems = []
checked = 0
for layer, folders in LAYERS.items():
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".hpp", ".cpp", ".in") or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for include in include_re.findall(text):
                checked += 1
                where = path.relative_to(root).as_posix()
                if include.startswith("kyper/"):
                    owner = provider.get(include)
                    if owner is None:
                        problems.append(f"{where}: includes <{include}>, which no layer provides")
                    elif owner != layer and owner not in ALLOWED[layer]:
                        problems.append(f"{where}: layer '{layer}' includes <{include}> of layer '{owner}'")
                for banned in FORBIDDEN_EXTERNAL.get(layer, []):
                    if include.startswith(banned):
                        problems.append(f"{where}: layer '{layer}' must not include <{include}>")

for p in problems:
    print(p)
print(f"layering: {checked} includes checked, {len(problems)} violations")
sys.exit(1 if problems or checked == 0 else 0)
