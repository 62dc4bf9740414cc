#!/bin/sh
# setup.sh: Gradescope runs this once, as root, when it builds the
# autograder's image (the zip made by `make gradescope` is unpacked into
# /autograder/source).  It installs the Debian packages the kit needs to
# build and builds the kit in /autograder/source/nnlab.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends build-essential zlib1g-dev gawk
cd /autograder/source/nnlab
./configure
make -j2
