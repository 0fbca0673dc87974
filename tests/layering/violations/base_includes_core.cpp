// Must NOT compile: the base layer sees no other Kyper layer.
#include <kyper/graph.hpp>
