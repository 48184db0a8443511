#!/usr/bin/env bash
# Checks Courier's alert rules with promtool (Debian: apt-get install prometheus): their syntax, and
# tests/courier-alerts-test.yaml, which fires every alert from the series that should fire it.
set -euo pipefail
cd "$(dirname "$0")"
promtool check rules courier-alerts.yaml
promtool test rules tests/courier-alerts-test.yaml
