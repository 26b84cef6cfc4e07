// The policy engine's public contract: what the gateway, the protocol adapters and the CLI use.
//
// STATUS: contract written first so modules can be built in parallel. The policy module owns
// this file and the headers it includes; it may add to them but must not change the meaning or
// signature of anything declared here without updating every caller.
//
// Thread safety: PolicySet, Entities and Authorizer are immutable once built; any number of
// threads may call Authorizer::is_authorized concurrently.
#pragma once

#include "portcullis/policy/authorizer.hpp"
#include "portcullis/policy/entities.hpp"
#include "portcullis/policy/policy_set.hpp"
#include "portcullis/policy/request.hpp"
#include "portcullis/policy/value.hpp"
