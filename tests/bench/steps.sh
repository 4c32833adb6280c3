#!/usr/bin/env bash
# Time `runbook steps` on a generated 50 MB guide (release build). Prints wall time and peak memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/big.md" <<'PY'
import sys
prose = "Some words about the service and why it matters to the team. " * 30
section = (f"## Section\n\n{prose}\n\n1. Log in:\n```bash\ncf login -a API_URL\n```\n2. Push:\n"
           "```bash\ncf push APP_NAME\n```\nThe output will look like:\n```json\n{\"ok\": true}\n```\n\n")
n = 50 * 1024 * 1024 // len(section) + 1
open(sys.argv[1], "w").write(section * n)
print(f"{n} sections, {2 * n} steps, {len(section) * n / 1e6:.1f} MB")
PY
for format in human json; do
  /usr/bin/time -f "steps --format $format: %e s, %M KB peak" target/release/runbook steps "$work/big.md" --format "$format" >/dev/null
done
