#!/usr/bin/env bash
# Builds (or reuses) a Debian trixie chroot holding a real GIMP 3, for the GIMP bridge's
# end-to-end tests. Debian 12 only ships GIMP 2.10 without Python, trixie ships GIMP 3 with
# PyGObject, and it runs from a chroot on a Debian 12 host without any /proc, /dev or /sys mounts.
#
# Usage: bash scripts/gimp-chroot.sh            (needs root and debootstrap)
# The chroot goes into .cache/gimp-chroot under the repository (git-ignored), or into
# $PORTRAIT_UPSCALE_GIMP_ROOT. Prints the chroot's path on its last line.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
root="${PORTRAIT_UPSCALE_GIMP_ROOT:-$repo/.cache/gimp-chroot}"
suite="${PORTRAIT_UPSCALE_GIMP_SUITE:-trixie}"
mirror="${PORTRAIT_UPSCALE_GIMP_MIRROR:-http://deb.debian.org/debian}"

if [ -x "$root/usr/bin/gimp-console" ]; then
  echo "GIMP chroot already present"
  echo "$root"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "gimp-chroot: building the GIMP 3 chroot needs root (debootstrap and chroot)." >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "gimp-chroot: debootstrap is missing; install it with: apt-get install -y debootstrap" >&2
  exit 1
fi

# A half-built chroot from an interrupted run would make debootstrap fail; start clean, but only
# delete a folder that is recognisably a Debian tree, never an arbitrary non-empty path.
if [ -e "$root" ] && [ -n "$(ls -A "$root" 2>/dev/null)" ]; then
  if [ "$(cd "$root" && pwd -P)" = "/" ]; then
    echo "gimp-chroot: refusing to use / as the chroot." >&2
    exit 1
  fi
  if [ -d "$root/debootstrap" ] || [ -f "$root/etc/debian_version" ]; then
    echo "Removing an incomplete chroot at $root"
    rm -rf --one-file-system "$root"
  else
    echo "gimp-chroot: $root exists, is not empty and is not a chroot; choose another PORTRAIT_UPSCALE_GIMP_ROOT." >&2
    exit 1
  fi
fi
mkdir -p "$(dirname "$root")"

echo "== debootstrap $suite into $root"
debootstrap --variant=minbase "$suite" "$root" "$mirror"

echo "== installing GIMP 3 inside the chroot"
# The host's resolver, so apt inside can reach the mirror.
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 apt-get update -qq
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends gimp
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get clean

if [ ! -x "$root/usr/bin/gimp-console" ]; then
  echo "gimp-chroot: GIMP was installed but $root/usr/bin/gimp-console is missing." >&2
  exit 1
fi
chroot "$root" /usr/bin/gimp-console --version
echo "$root"
