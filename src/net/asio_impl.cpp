// The one translation unit that compiles Asio, Asio SSL and Beast (separate compilation mode,
// CONVENTIONS.md "Async and lifetimes"): every other unit only sees their declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
