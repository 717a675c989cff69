#pragma once
// The pure parts of RestClient::watch (client-go's reflector), kept apart
// so unit tests reach them without a socket:
//   - LineSplitter: a watch body arrives in chunks that split JSON lines
//     anywhere; it hands on whole lines.
//   - WatchCache: what the watcher has delivered (namespace/name -> the last
//     object) and the resourceVersion to resume from. After a 410 Gone the
//     objects are listed again and diff() says what to deliver so the caller
//     ends up with the server's state: DELETED (the last object seen) for
//     the ones that vanished, then ADDED for new ones and MODIFIED for
//     changed ones (a different resourceVersion), in resourceVersion order.
// Not thread-safe: one watch owns one of each.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/kube/client.h"

namespace kf::kube {

class LineSplitter {
public:
  // Calls on_line for each complete non-empty line of `chunk` (the rest waits
  // for the next chunk); returns false as soon as on_line does.
  bool feed(std::string_view chunk, const std::function<bool(std::string_view)>& on_line);
  void reset() { m_partial.clear(); } // a new stream: drop an unfinished line
  bool empty() const { return m_partial.empty(); }

private:
  std::string m_partial;
};

// metadata.resourceVersion of an object ("" when absent).
std::string resource_version_of(const Json& obj);

class WatchCache {
public:
  // Remembers an event that is being delivered: ADDED/MODIFIED keep the
  // object, DELETED forgets it; the resourceVersion only moves forward.
  void record(const WatchEvent& event);
  // True when the event carries a state already delivered (the object at the
  // same or an older resourceVersion): a replay after a reconnect, or the
  // older change of an object a paged list already showed newer.
  bool seen(const WatchEvent& event) const;
  // The events that turn what was delivered into `items` (a fresh list).
  std::vector<WatchEvent> diff(const std::vector<Json>& items) const;

  const std::string& resource_version() const { return m_rv; }
  void set_resource_version(std::string rv) { m_rv = std::move(rv); }
  std::size_t size() const { return m_objects.size(); }

private:
  std::map<std::string, Json> m_objects; // "namespace/name" -> last delivered object
  std::string m_rv;
};

} // namespace kf::kube
