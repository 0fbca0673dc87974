// Internal: picks the RapidJSON that ships with cereal (bundled upstream, unbundled on Debian)
// so the search engine parses JSON without another dependency.
#pragma once

#if __has_include(<cereal/external/rapidjson/document.h>)
#include <cereal/external/rapidjson/document.h>
#include <cereal/external/rapidjson/stringbuffer.h>
#include <cereal/external/rapidjson/writer.h>
namespace kyper::search::json {
namespace rj = CEREAL_RAPIDJSON_NAMESPACE;
}
#else
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
namespace kyper::search::json {
namespace rj = ::rapidjson;
}
#endif
