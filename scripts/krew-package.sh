#!/usr/bin/env bash
# Builds the kubectl plugin's release archive and the krew manifest that installs it:
#   target/krew/ktriage-collect-vVERSION.tar.gz   the collector, as `ktriage-collect`
#   deploy/krew/ktriage-collect.yaml              krew Plugin manifest with the archive's sha256
# The archive is reproducible (sorted, fixed owner, mode and time, gzip without a name or time),
# so the manifest in the repository names the exact bytes this script builds from the same
# collector; tests/krew.rs checks that. Run it again after changing the collector, and attach
# the archive to the GitHub release vVERSION.
#
# Usage: scripts/krew-package.sh [--out DIR] [--manifest FILE]
# Needs bash, GNU tar (gtar on macOS), gzip and sha256sum or shasum.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/krew
manifest=deploy/krew/ktriage-collect.yaml
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift 2 ;;
        --manifest) manifest=$2; shift 2 ;;
        *) echo "krew-package: unexpected argument \`$1\`" >&2; exit 2 ;;
    esac
done

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
collector_version=$(sed -n 's/^readonly VERSION=//p' collector/ktriage-collect)
if [ "$version" != "$collector_version" ]; then
    echo "krew-package: Cargo.toml says $version, collector/ktriage-collect says $collector_version" >&2
    exit 1
fi

tar=tar
if ! tar --version 2>/dev/null | grep -q 'GNU tar'; then
    command -v gtar >/dev/null || { echo "krew-package: needs GNU tar (gtar)" >&2; exit 1; }
    tar=gtar
fi
if command -v sha256sum >/dev/null; then sha256() { sha256sum "$1"; }
else sha256() { shasum -a 256 "$1"; }; fi

archive_name=ktriage-collect-v$version.tar.gz
mkdir -p "$out" "$(dirname "$manifest")"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
install -m 0755 collector/ktriage-collect "$staging/ktriage-collect"
install -m 0644 LICENSE "$staging/LICENSE"
"$tar" --create --format=ustar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --directory "$staging" LICENSE ktriage-collect | gzip -9 -n >"$staging/$archive_name"
mv "$staging/$archive_name" "$out/$archive_name"
sum=$(sha256 "$out/$archive_name" | cut -d ' ' -f 1)

cat >"$manifest" <<MANIFEST
# krew plugin manifest (https://krew.sigs.k8s.io/docs/developer-guide/plugin-manifest/),
# written by scripts/krew-package.sh: the sha256 is that of the archive it builds. Installs the
# collector as \`kubectl ktriage-collect\`; try it before a release with
#   scripts/krew-package.sh
#   kubectl krew install --manifest=deploy/krew/ktriage-collect.yaml \\
#     --archive=target/krew/$archive_name
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: ktriage-collect
spec:
  version: v$version
  homepage: https://github.com/ktriage/ktriage
  shortDescription: Dump a cluster's state, events and logs for offline triage
  description: |
    Dumps the pods, events, workloads, nodes and the logs of crash-looping containers of a
    cluster into one redacted .tar.gz that \`ktriage analyze\` reads offline to find the root
    causes of CrashLoopBackOff. Secret values are never written to the bundle; env values and log lines that
    look like credentials are masked. Needs only kubectl, bash, tar and gzip.
  caveats: |
    The bundle holds your cluster's resource YAML and recent logs (redacted). Check it before
    you share it. Analyze it with ktriage: https://github.com/ktriage/ktriage
  platforms:
  - selector:
      matchExpressions:
      - key: os
        operator: In
        values:
        - darwin
        - linux
    uri: https://github.com/ktriage/ktriage/releases/download/v$version/$archive_name
    sha256: $sum
    files:
    - from: ktriage-collect
      to: .
    - from: LICENSE
      to: .
    bin: ktriage-collect
MANIFEST
echo "$out/$archive_name $sum"
echo "$manifest"
