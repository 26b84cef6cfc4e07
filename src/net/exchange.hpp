// Exchange: one HTTP request through the pipeline — route → extract actions → decide + record
// (decision.hpp) → forward (upstream_call.hpp) or answer — then the outcome record.
#pragma once

#include <memory>
#include <string>

#include "net/http_session.hpp"

namespace portcullis::net {

// Runs on the session's strand; calls session->exchange_done() or write_answer() when finished.
void start_exchange(std::shared_ptr<HttpSession> session, Request request, std::string request_id);

}  // namespace portcullis::net
