#!/usr/bin/env bash
# make_policies.sh DIR: a realistic 100-policy set for the gateway benchmark in DIR/policies.cedar
# (+ DIR/entities.json). One permit lets the load generator's identity
# (spiffe://perf.test/agent/loadgen, from gencerts.sh) call `payments_transfer` on route `tools`
# with a when-clause on its arguments; the other 99 are what a real deployment carries for other
# agents, tools and limits, so the evaluator has to look past them (scope index + conditions).
set -euo pipefail
dir=$1
mkdir -p "$dir"
out=$dir/policies.cedar
{
  echo '@id("session") permit(principal, action in Action::"mcp/session", resource);'
  echo '@id("loadgen-transfer")'
  echo 'permit(principal == Agent::"spiffe://perf.test/agent/loadgen", action == Action::"tools/call",'
  echo '       resource == Tool::"tools/payments_transfer")'
  echo '  when { context.input.amount.currency == "EUR" && context.input.dry_run == false };'
  echo '@id("transfer-cap") @reason("transfers over the cap need approval")'
  echo 'forbid(principal, action == Action::"tools/call", resource == Tool::"tools/payments_transfer")'
  echo '  when { context.input has amount && context.input.amount has cents && context.input.amount.cents > 10000000 };'
  echo '@id("quarantine-labels") forbid(principal, action, resource) when { context.session.labels.contains("tainted") };'
  echo '@id("rate") forbid(principal, action, resource) when { context.rate.agent_per_minute > 100000000 };'
  for i in $(seq 1 40); do
    echo "@id(\"agent$i-tools\") permit(principal == Agent::\"spiffe://perf.test/agent/a$i\", action == Action::\"tools/call\", resource == Tool::\"tools/tool$i\");"
  done
  for i in $(seq 1 30); do
    echo "@id(\"team$i-read\") permit(principal in Team::\"team$i\", action in Action::\"mcp/read\", resource in Server::\"tools\");"
  done
  for i in $(seq 1 20); do
    echo "@id(\"deny$i\") @reason(\"tool$i is off limits after hours\") forbid(principal, action == Action::\"tools/call\", resource == Tool::\"tools/tool$i\") when { context.hour < 6 || context.hour > 22 };"
  done
  for i in $(seq 1 5); do
    echo "@id(\"arg$i\") forbid(principal, action == Action::\"tools/call\", resource) when { context.input has path && context.input.path like \"/etc/secret$i*\" };"
  done
} >"$out"
echo '[]' >"$dir/entities.json"
n=$(grep -c '@id(' "$out")
[[ $n == 100 ]] || { echo "make_policies.sh: generated $n policies, expected 100" >&2; exit 1; }
