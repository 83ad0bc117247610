#!/bin/bash
# Writes a container image for the engines of the system test without a registry: the busybox
# tree of tests/images/make-busybox-image.sh as one layer, in the format `docker save` writes
# (a "docker-archive": manifest.json, the image's config, the layer as a tar), which
# `podman load`, `docker load` and `ctr images import` all read. The archive is
# byte-for-byte reproducible: same busybox, same archive, same image id.
#   tests/system/make-engine-image.sh BUSYBOX OUT.tar [NAME:TAG]
# BUSYBOX must be statically linked (Debian's busybox-static: /bin/busybox of the system
# test's tree). NAME:TAG defaults to localhost/rvisor-test:latest ("localhost/" so that no
# engine takes it for a Docker Hub name it would try to pull).
set -euo pipefail

[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: $0 BUSYBOX OUT.tar [NAME:TAG]" >&2; exit 2; }
busybox=$1 out=$2 ref=${3:-localhost/rvisor-test:latest}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The root filesystem: busybox and its links, passwd/group, and the mount points an OCI
# runtime mounts on (crun would create them, but a runtime may mount the image read-only).
BUSYBOX=$busybox "$here/../images/make-busybox-image.sh" "$work/rootfs"
mkdir -p "$work/rootfs/dev" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/run"
chmod 0755 "$work/rootfs/dev" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/run"

# One layer, reproducible: sorted names, numeric owners as they are, one fixed time.
mkdir "$work/archive"
tar -C "$work/rootfs" --sort=name --mtime=@0 --numeric-owner --format=gnu -cf "$work/layer.tar" .
layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir "$work/archive/$layer"
mv "$work/layer.tar" "$work/archive/$layer/layer.tar"

# The image's config (OCI image-spec "config", which docker's format shares): the platform
# (containerd unpacks only images for its own), a PATH, sh as the default command, the
# layer's diff id.
config=$(printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",%s,%s,%s}' \
	'"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}' \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer\"]}" \
	'"history":[{"created":"1970-01-01T00:00:00Z","created_by":"tests/system/make-engine-image.sh"}]')
printf '%s' "$config" >"$work/config.json"
cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/archive/$cfg.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
	"$cfg" "$ref" "$layer" >"$work/archive/manifest.json"
# The legacy index of `docker save` (name -> top layer), which older readers still look for.
printf '{"%s":{"%s":"%s"}}' "${ref%:*}" "${ref##*:}" "$layer" >"$work/archive/repositories"

tar -C "$work/archive" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	--format=gnu -cf "$out.new" .
chmod 0644 "$out.new"
mv "$out.new" "$out"
echo "$ref: image id sha256:$cfg, layer sha256:$layer, $(du -k "$out" | cut -f1) KiB"
